"""The console's customer import: upload a CSV, see the dry run's problems, then import every row or none."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.forms import EmptyChoiceDashMixin
from core.permissions import permission_required
from customers.imports import SAMPLE_CSV, import_job_rerun, import_job_submit, import_limits
from customers.imports.results import file_too_large
from customers.models import ImportJob

SHOWN_PROBLEMS = 500


class ImportUploadForm(EmptyChoiceDashMixin, forms.Form):
    # Kept beside its only view rather than in loyalty/forms.py (edited concurrently by the API work).
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain", "class": "form-control"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check every row and write nothing"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        largest = import_limits().max_bytes  # settings IMPORT_MAX_BYTES
        if upload.size > largest:
            raise forms.ValidationError(file_too_large(largest))
        return upload


def _job_or_404(job_id: int) -> ImportJob:
    # `content` (the uploaded file) is not needed to show a job, and the status fragment is polled every second.
    job = ImportJob.objects.defer("content").select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise Http404(_("No such import."))
    return job


COLUMN_HELP = [
    ("name", gettext_lazy("Required. The customer's name.")),
    ("phone", gettext_lazy("Required. Any usual spelling: +7 912 345-67-89, 8 (912) 345 67 89, +79123456789.")),
    ("email", gettext_lazy("Optional. Must be unique.")),
    ("birthday", gettext_lazy("Optional. YYYY-MM-DD or DD.MM.YYYY.")),
    ("consent_email", gettext_lazy("Optional. 1/0, yes/no or да/нет; empty means no.")),
    ("consent_sms", gettext_lazy("Optional. 1/0, yes/no or да/нет; empty means no.")),
    ("language", gettext_lazy("Optional. The language of the customer's messages: en or ru; empty means the shop's.")),
    (
        "card_number",
        gettext_lazy(
            "Optional. An existing 13-digit card number with a valid check digit is kept; "
            "otherwise a new card number is issued."
        ),
    ),
    ("balance", gettext_lazy("Optional. Opening points: a whole number, 0 or more; they expire like earned points.")),
    ("notes", gettext_lazy("Optional. Free text.")),
]


@permission_required("customers.add_customer")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_job_submit(
            content=upload.read(),
            file_name=upload.name,
            dry_run=form.cleaned_data["dry_run"],
            actor=request.user,
            language=get_language(),
        )
        return redirect("console:customer_import_job", job_id=job.pk)
    context = {
        "form": form,
        "columns": COLUMN_HELP,
        "recent": ImportJob.objects.defer("content", "errors", "warnings").select_related("created_by")[:10],
    }
    return render(request, "console/customer_import.html", context, status=400 if form.is_bound else 200)


@permission_required("customers.add_customer")
def import_sample(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SAMPLE_CSV.encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers-sample.csv"'
    return response


@permission_required("customers.add_customer")
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's progress and outcome; htmx polls the status fragment every second until it finishes."""
    job = _job_or_404(job_id)
    context = {"job": job, "problems": job.errors[:SHOWN_PROBLEMS], "shown_problems": SHOWN_PROBLEMS}
    if request.headers.get("HX-Request") == "true":
        return render(request, "console/partials/import_status.html", context)
    return render(request, "console/customer_import_job.html", context)


@permission_required("customers.add_customer")
@require_POST
def import_run(request: HttpRequest, job_id: int) -> HttpResponse:
    """ "Import N customers": the real run of the upload a dry run checked."""
    job = _job_or_404(job_id)
    if not (job.dry_run and job.status == ImportJob.Status.DONE):
        return redirect("console:customer_import_job", job_id=job.pk)
    job = ImportJob.objects.get(pk=job.pk)  # with the stored file this time
    try:
        real = import_job_rerun(job=job, actor=request.user, language=get_language())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console:customer_import")
    return redirect("console:customer_import_job", job_id=real.pk)
