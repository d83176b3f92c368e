"""The tier editor: list, create, edit, reorder and delete tiers, with a preview before saving."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.permissions import permission_required
from loyalty import rules
from loyalty.exceptions import InvalidInput
from loyalty.models import Tier
from loyalty.selectors import program_settings_get, tier_distribution, tier_preview_detail
from loyalty.services import tiers_save, tiers_validate, tiers_warnings

from ..forms import TierFormSet


def _tiers_from_formset(formset) -> list[dict]:
    tiers = []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue  # the empty row for a new tier, left blank
        if formset.can_delete and formset._should_delete_form(form):
            continue
        data = dict(form.cleaned_data)
        data.pop("DELETE", None)
        instance = data.pop("id", None)
        data["id"] = instance.pk if instance else None
        tiers.append(data)
    return tiers


@permission_required("loyalty.change_tier")
def tier_edit(request: HttpRequest) -> HttpResponse:
    """List, create, edit, reorder and delete tiers; preview where customers would land before saving."""
    queryset = Tier.objects.order_by("order")
    formset = TierFormSet(request.POST or None, queryset=queryset)
    context: dict = {"formset": formset, "program": program_settings_get(), "current": tier_distribution()}
    if request.method == "POST" and formset.is_valid():
        tiers = _tiers_from_formset(formset)
        errors = tiers_validate(tiers)
        context["warnings"] = tiers_warnings(tiers)
        if errors:
            context["errors"] = errors
        elif "save" in request.POST:
            try:
                tiers_save(tiers=tiers, actor=request.user)
            except InvalidInput as exc:
                context["errors"] = [exc.message]
            else:
                messages.success(
                    request, _("Tiers saved. They apply from the next purchase and the next daily review.")
                )
                return redirect("console:tiers")
        else:
            keyed = [dict(t, key=t["id"] or -(index + 1)) for index, t in enumerate(tiers)]
            counts, held = tier_preview_detail(
                tiers=[
                    rules.TierRule(
                        key=t["key"], order=t["order"], threshold=t["threshold"], min_purchases=t["min_purchases"]
                    )
                    for t in keyed
                ]
            )
            context["preview"] = [
                (t, counts.get(t["key"], 0), held.get(t["key"])) for t in sorted(keyed, key=lambda t: t["order"])
            ]
            context["grace_days"] = program_settings_get().tier_grace_days
            context["preview_none"] = counts.get(None, 0)
    return render(request, "console/tier_edit.html", context)
