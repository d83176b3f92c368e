"""The analytics settings page (/analytics/settings/): the program's key metric with its target, and the RFM
analysis window (the dashboard's key metric block is console.views.analytics.key_metric_context). The rules
are analytics.services' (analytics_settings_update); this module only reads the form and shows them."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.figures import FIGURES
from analytics.models import (
    KEY_METRIC_DAYS_MAX,
    KEY_METRIC_DAYS_MIN,
    RFM_WINDOW_MAX,
    RFM_WINDOW_MIN,
    AnalyticsSettings,
    KeyMetric,
)
from analytics.selectors import analytics_settings_get
from analytics.services import SETTINGS_FIELDS, analytics_settings_update
from core.exceptions import DomainError
from core.formatting import points_format
from core.forms import BoundedDateField, EmptyChoiceDashMixin, LocalDecimalField, LocalIntegerField, add_domain_error
from core.permissions import permission_required
from loyalty.selectors import program_settings_get

from .analytics import _shown


class AnalyticsSettingsForm(EmptyChoiceDashMixin, forms.Form):
    """The settings as typed; the bounds and the rules between them are analytics.services' (their errors
    come back onto these fields)."""

    key_metric = forms.ChoiceField(
        label=gettext_lazy("Key metric"),
        choices=[("", gettext_lazy("None"))] + KeyMetric.choices,
        required=False,
        help_text=gettext_lazy("The one figure the program is for; the dashboard leads with it."),
    )
    target_percent = LocalDecimalField(
        label=gettext_lazy("Target change, %"),
        max_digits=6,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Raise the figure by this many per cent of its baseline (for churn: cut it), e.g. 15."),
    )
    target_date = BoundedDateField(
        label=gettext_lazy("Target date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The day to reach the target by."),
    )
    key_metric_days = LocalIntegerField(label=gettext_lazy("Measured over, days"))
    new_baseline = forms.BooleanField(
        label=gettext_lazy("Measure the baseline again from today"),
        required=False,
        help_text=gettext_lazy(
            "Start a new target from the figure as it is now. Changing the metric or its window does it anyway."
        ),
    )
    rfm_window_days = LocalIntegerField(label=gettext_lazy("RFM analysis window, days"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Help texts with the bounds, in the language of the request (a lazy text cannot take % at import).
        self.fields["key_metric_days"].help_text = _(
            "The baseline and the current value are the figure over this many whole days ending yesterday "
            "(%(min)s–%(max)s)."
        ) % {"min": points_format(KEY_METRIC_DAYS_MIN), "max": points_format(KEY_METRIC_DAYS_MAX)}
        self.fields["rfm_window_days"].help_text = _(
            "RFM scores the customers who bought in this many days before the snapshot's date "
            "(%(min)s–%(max)s); used from the next daily snapshot on."
        ) % {"min": points_format(RFM_WINDOW_MIN), "max": points_format(RFM_WINDOW_MAX)}


def _initial(row: AnalyticsSettings) -> dict:
    return {field: getattr(row, field) for field in SETTINGS_FIELDS}


def _baseline_shown(row: AnalyticsSettings, currency: str) -> dict | None:
    """The stored baseline as the page says it, or None when there is no key metric."""
    if not row.key_metric:
        return None
    return {
        "label": FIGURES[row.key_metric].label,
        "value": _shown(row.baseline_value, FIGURES[row.key_metric].kind, currency),
        "start": row.baseline_start,
        "end": row.baseline_end,
    }


@permission_required("console.view_dashboard", "analytics.change_analyticssettings")
def analytics_settings(request: HttpRequest) -> HttpResponse:
    """GET: the form with the current settings and the stored baseline. POST: save through
    analytics_settings_update (audited); a refused value is shown on its field (400) and nothing changes."""
    row = analytics_settings_get()
    if request.method == "POST":
        form = AnalyticsSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                analytics_settings_update(
                    actor=request.user,
                    origin="console",
                    new_baseline=data["new_baseline"],
                    **{field: data[field] for field in SETTINGS_FIELDS},
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Analytics settings saved."))
                return redirect("console:analytics_settings")
        status = 400
    else:
        form = AnalyticsSettingsForm(initial=_initial(row))
        status = 200
    context = {"form": form, "baseline": _baseline_shown(row, program_settings_get().currency)}
    return render(request, "console/analytics_settings.html", context, status=status)
