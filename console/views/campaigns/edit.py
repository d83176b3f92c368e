"""The campaign list with each one's uplift at a glance, and the form per kind (new and edit: variants
inline, the target pickers, the fields a launched campaign may no longer change shown disabled)."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.exceptions import CampaignError
from campaigns.models import Campaign
from campaigns.results import campaigns_at_a_glance
from campaigns.selectors import campaign_get, campaign_list
from campaigns.services.changes import (
    FIELDS_WHILE_RUNNING,
    campaign_create,
    campaign_delete,
    campaign_update,
)
from campaigns.stats import MIN_GROUP
from core.forms import add_domain_error
from core.permissions import permission_required

from ...forms import CampaignForm, CampaignVariantFormSet
from .common import ADD, CHANGE, VIEW, _campaign_or_404, uplift_text
from .detail import _page_context


@permission_required(VIEW)
@require_safe
def campaigns(request: HttpRequest) -> HttpResponse:
    """/campaigns/: every campaign with its kind, status, dates, customers reached, points granted and the
    uplift of the response rate at a glance (or "not enough data")."""
    rows = list(campaign_list())
    glances = campaigns_at_a_glance([c.pk for c in rows])
    table = [
        {"campaign": c, "glance": glances.get(c.pk), "uplift": uplift_text(getattr(glances.get(c.pk), "uplift", None))}
        for c in rows
    ]
    context = {"rows": table, "kinds": Campaign.Kind.choices, "min_group": MIN_GROUP}
    return render(request, "console/campaigns.html", context)


def _variants_initial(campaign: Campaign | None) -> list[dict]:
    if campaign is None:
        return []
    return [{"code": v.code, "points": v.points, "weight": v.weight} for v in campaign.variants.order_by("code")]


def _variant_rows(formset) -> list:
    """The filled-in variant rows (forms), in the order `_variants_posted` gives the service; none when the
    formset was not validated (a launched campaign's form: its variants are frozen and not read)."""
    return [form for form in formset.forms if getattr(form, "cleaned_data", {}).get("code")]


def _variants_posted(formset) -> list[dict]:
    return [
        {
            "code": form.cleaned_data["code"],
            "points": form.cleaned_data["points"],
            "weight": form.cleaned_data.get("weight") or 1,
        }
        for form in formset.forms
        if form.cleaned_data.get("code")
    ]


def _posted_variant_rows(data) -> bool:
    """Whether `data` (request.POST) fills in any variant row (a code or points)."""
    return any(
        key.startswith("variants-") and key.endswith(("-code", "-points")) and value.strip()
        for key, value in data.items()
    )


def _frozen_fields_posted(request, *, kind: str, campaign: Campaign, frozen: tuple[str, ...]) -> list[str]:
    """The labels of the frozen fields of a launched `campaign` whose posted values differ from the stored
    ones. The launched form shows them disabled, so a browser posts none of them: posted ones come from a
    form opened while it was a draft (a stale tab). Fields not posted at all are not compared."""
    probe = CampaignForm(request.POST, kind=kind, instance=campaign)
    posted = [name for name in probe.changed_data if name in frozen and name in request.POST]
    labels = [str(probe.fields[name].label) for name in posted]
    if _posted_variant_rows(request.POST) and "variants-TOTAL_FORMS" in request.POST:
        formset = CampaignVariantFormSet(request.POST, prefix="variants", initial=_variants_initial(campaign))
        if not formset.is_valid() or _variants_posted(formset) != _variants_initial(campaign):
            labels.append(_("A/B variants"))
    return labels


def _form_key(request: HttpRequest) -> str:
    """The new-campaign form's one-time key: the posted one (up to 64 letters, digits, "-" or "_"; anything
    else is replaced, so it is never stored as sent), else a fresh one for the form shown."""
    posted = request.POST.get("form_key", "") if request.method == "POST" else ""
    if posted and len(posted) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_") for c in posted):
        return posted
    return uuid.uuid4().hex


def _form_page(request, *, kind: str, campaign: Campaign | None) -> HttpResponse:
    """The form of a new campaign of `kind`, or of `campaign`; on POST the service creates or changes it."""
    launched = campaign is not None and campaign.status != Campaign.Status.DRAFT
    frozen = tuple(name for name in CampaignForm.base_fields if name not in FIELDS_WHILE_RUNNING) if launched else ()
    status, stale = 200, []
    # A new campaign's form carries a one-time key: a second POST with it (a double click on "Create", a
    # resubmitted page) creates nothing and leads to the first campaign.
    form_key = _form_key(request) if campaign is None else ""
    if request.method == "POST":
        per_variant = kind != Campaign.Kind.BOOST and (
            _posted_variant_rows(request.POST) if not launched else bool(_variants_initial(campaign))
        )
        form = CampaignForm(
            request.POST,
            kind=kind,
            frozen=frozen,
            per_variant=per_variant,
            instance=campaign and campaign_get(campaign.pk),
        )
        formset = CampaignVariantFormSet(request.POST, prefix="variants", initial=_variants_initial(campaign))
        boost = kind == Campaign.Kind.BOOST
        if boost and _posted_variant_rows(request.POST):
            form.add_error(None, _("A boost grants no points of its own, so it cannot have A/B variants: remove them."))
        stale = _frozen_fields_posted(request, kind=kind, campaign=campaign, frozen=frozen) if launched else []
        if stale:
            form.add_error(
                None,
                _(
                    "This campaign was launched after the form was opened, so %(fields)s can no longer change. "
                    "Nothing was saved: open the form again."
                )
                % {"fields": ", ".join(f"“{label}”" for label in stale)},
            )
        # A boost's page has no variant rows (nor their management fields): its formset is not needed.
        if form.is_valid() and (launched or boost or formset.is_valid()):
            values = form.values()
            tier_ids = [tier.pk for tier in form.cleaned_data.get("target_tiers") or []]
            try:
                if campaign is None:
                    saved = campaign_create(
                        values={**values, "kind": kind},
                        variants=_variants_posted(formset) if kind != Campaign.Kind.BOOST else [],
                        tier_ids=tier_ids,
                        actor=request.user,
                        origin="console",
                        idempotency_key=form_key,
                    )
                    if saved is None:  # the key's campaign was created, then deleted (a draft)
                        messages.info(request, _("This form was already sent; the campaign it created was deleted."))
                        return redirect("console:campaigns")
                else:
                    saved = campaign_update(
                        campaign_id=campaign.pk,
                        values=values,
                        variants=None if launched or kind == Campaign.Kind.BOOST else _variants_posted(formset),
                        tier_ids=None if launched else tier_ids,
                        actor=request.user,
                        origin="console",
                    )
            except CampaignError as error:
                # a launched campaign's formset is not validated (its variants cannot change): no rows
                rows = _variant_rows(formset) if not (boost or launched) else []
                if error.field == "variants" and error.variant is not None and error.variant < len(rows):
                    rows[error.variant].add_error(None, error.message)  # on the row at fault
                elif error.field == "variants" and not (boost or launched):
                    formset._non_form_errors = formset.error_class([error.message])
                else:
                    add_domain_error(form, error)
            else:
                messages.success(request, _("Campaign “%(name)s” saved.") % {"name": saved.name})
                return redirect("console:campaign", campaign_id=saved.pk)
        status = 400
    else:
        per_variant = kind != Campaign.Kind.BOOST and bool(_variants_initial(campaign))
        form = CampaignForm(kind=kind, frozen=frozen, per_variant=per_variant, instance=campaign)
        formset = CampaignVariantFormSet(prefix="variants", initial=_variants_initial(campaign) or [{}])
    context = {
        "form": form,
        "formset": formset,
        "kind": kind,
        "kind_label": Campaign.Kind(kind).label,
        "campaign": campaign,
        "launched": launched,
        # What may change once launched: said on the form as it opens, and again after a POST only when a
        # frozen field was posted changed (a stale tab), not with every field error.
        "launched_note": launched and (request.method != "POST" or bool(stale)),
        "variants_allowed": kind != Campaign.Kind.BOOST,
        "form_key": form_key,
    }
    return render(request, "console/campaign_form.html", context, status=status)


@permission_required(ADD)
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_new(request: HttpRequest, kind: str) -> HttpResponse:
    """/campaigns/new/<kind>/: a new draft of that kind (404 for an unknown kind)."""
    if kind not in Campaign.Kind.values:
        raise Http404(_("There is no such kind of campaign."))
    return _form_page(request, kind=kind, campaign=None)


@permission_required(CHANGE)
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/edit/: a draft's every field; a launched campaign's name, end, budget, channels and
    response window (the rest shown disabled); a finished campaign cannot be edited (its page instead)."""
    campaign = _campaign_or_404(campaign_id)
    if campaign.status == Campaign.Status.FINISHED:
        messages.error(request, _("A finished campaign cannot be changed."))
        return redirect("console:campaign", campaign_id=campaign.pk)
    return _form_page(request, kind=campaign.kind, campaign=campaign)


@permission_required(CHANGE)
@require_POST
def campaign_delete_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """POST /campaigns/<id>/delete/ (CSRF; the button asks first): delete a draft and go to the list. A
    launched or finished campaign is refused with the reason on its page (400); nothing is deleted."""
    campaign = _campaign_or_404(campaign_id)
    try:
        name = campaign_delete(campaign_id=campaign.pk, actor=request.user, origin="console")
    except CampaignError as error:
        context = _page_context(_campaign_or_404(campaign_id))
        context["action_error"] = error.message
        return render(request, "console/campaign_detail.html", context, status=400)
    messages.success(request, _("Draft campaign “%(name)s” deleted.") % {"name": name})
    return redirect("console:campaigns")
