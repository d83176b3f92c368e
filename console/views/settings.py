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
from loyalty.selectors import entry_tier, program_rates, program_settings_get, tiers_list
from loyalty.services import SETTINGS_FIELDS, program_settings_update

from ..forms import ProgramSettingsForm

EXAMPLE_AMOUNT = Decimal("1000.00")


def _preview_context(form: ProgramSettingsForm, tiers: list) -> dict:
    """What a EXAMPLE_AMOUNT purchase earns and may redeem for each group of customers, under the values
    in the form (typed, not yet saved): one row per rate that applies to someone (`program_rates`)."""
    if not form.is_valid():
        # The live preview replaces only itself: it names the fields to fix, which the form shows on saving.
        return {
            "examples": None,
            "problems": [
                (form.fields[name].label, errors) for name, errors in form.errors.items() if name in form.fields
            ],
        }
    data = form.cleaned_data
    rates = program_rates(
        tiers=tiers,
        base_cashback_percent=data["base_cashback_percent"],
        base_redeem_cap_percent=data["redeem_cap_percent"],
    )
    examples = [
        (
            rate,
            rules.program_example(
                amount=EXAMPLE_AMOUNT,
                cashback_percent=rate.cashback_percent,
                cap_percent=rate.redeem_cap_percent,
                point_value=data["point_value"],
                lifetime_days=data["points_lifetime_days"],
                activation_delay_days=data["activation_delay_days"],
            ),
        )
        for rate in rates
    ]
    return {
        "examples": examples,
        "example": examples[0][1],
        "currency": data["currency"],
        "boost_combine": data["boost_combine"],
        "boost_cap_percent": data["boost_cap_percent"],
    }


def _form(data, program, tiers) -> ProgramSettingsForm:
    return ProgramSettingsForm(data, instance=program, entry_tier=entry_tier(tiers))


@permission_required("loyalty.change_programsettings")
def settings_edit(request: HttpRequest) -> HttpResponse:
    program = program_settings_get()
    tiers = tiers_list()
    if request.method == "POST":
        form = _form(request.POST, program_settings_get(), tiers)
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
        form = _form(None, program, tiers)
        status = 200
    preview_form = form if form.is_bound else _form(_as_data(program), program, tiers)
    context = {"form": form, **_preview_context(preview_form, tiers)}
    return render(request, "console/settings_edit.html", context, status=status)


def _as_data(program) -> dict:
    return {field: "" if getattr(program, field) is None else getattr(program, field) for field in SETTINGS_FIELDS}


@permission_required("loyalty.change_programsettings")
def settings_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the preview for the values being typed, without saving anything."""
    tiers = tiers_list()
    form = _form(request.GET, program_settings_get(), tiers)
    return render(request, "console/partials/settings_preview.html", _preview_context(form, tiers))
