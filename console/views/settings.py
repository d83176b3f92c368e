"""The console's program settings, with a live preview of what they mean for one purchase."""

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from core.forms import add_domain_error
from core.permissions import permission_required
from loyalty import rules
from loyalty.selectors import program_settings_get, tiers_list
from loyalty.services import SETTINGS_FIELDS, program_settings_update

from ..forms import ProgramSettingsForm

EXAMPLE_AMOUNT = Decimal("1000.00")


def _example(data: dict) -> rules.ProgramExample:
    return rules.program_example(
        amount=EXAMPLE_AMOUNT,
        cashback_percent=data["base_cashback_percent"],
        cap_percent=data["redeem_cap_percent"],
        point_value=data["point_value"],
        lifetime_days=data["points_lifetime_days"],
        activation_delay_days=data["activation_delay_days"],
    )


def _preview_context(form: ProgramSettingsForm) -> dict:
    if form.is_valid():
        return {
            "example": _example(form.cleaned_data),
            "currency": form.cleaned_data["currency"],
            "tiers": tiers_list(),
        }
    return {"example": None}


@permission_required("loyalty.change_programsettings")
def settings_edit(request: HttpRequest) -> HttpResponse:
    program = program_settings_get()
    if request.method == "POST":
        form = ProgramSettingsForm(request.POST, instance=program_settings_get())
        if form.is_valid():
            try:
                program_settings_update(
                    actor=request.user, origin="console", **{f: form.cleaned_data[f] for f in SETTINGS_FIELDS}
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Settings saved. They apply from the next purchase; history is unchanged."))
                return redirect("console:settings")
        status = 400
    else:
        form = ProgramSettingsForm(instance=program)
        status = 200
    preview_form = form if form.is_bound else ProgramSettingsForm(data=_as_data(program), instance=program)
    context = {"form": form, **_preview_context(preview_form)}
    return render(request, "console/settings_edit.html", context, status=status)


def _as_data(program) -> dict:
    return {field: "" if getattr(program, field) is None else getattr(program, field) for field in SETTINGS_FIELDS}


@permission_required("loyalty.change_programsettings")
def settings_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the preview for the values being typed, without saving anything."""
    form = ProgramSettingsForm(request.GET, instance=program_settings_get())
    return render(request, "console/partials/settings_preview.html", _preview_context(form))
