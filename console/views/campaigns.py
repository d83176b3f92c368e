"""Campaigns in the console (issue #15): the list with each one's uplift at a glance, the form per kind
(variants inline, the target pickers), the campaign page with the preview before launch and the
launch / pause / resume / finish buttons (POST, CSRF, a confirmation), the uploaded list, the links to its
message templates, and the results page with its CSV. The rules live in campaigns (services.changes,
selectors, results); these views parse, call one service and show its errors."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.bounds import campaign_bounds_problems
from campaigns.exceptions import CampaignError
from campaigns.models import Campaign
from campaigns.results import campaign_results, campaigns_at_a_glance
from campaigns.selectors import campaign_get, campaign_list, campaign_points_granted, campaign_preview
from campaigns.services.changes import (
    FIELDS_WHILE_RUNNING,
    campaign_create,
    campaign_finish,
    campaign_launch,
    campaign_launch_problems,
    campaign_list_upload,
    campaign_pause,
    campaign_resume,
    campaign_update,
)
from campaigns.stats import MIN_GROUP, MIN_GROUP_MEAN
from core.formatting import money_format
from core.forms import add_domain_error
from core.permissions import permission_required
from core.spreadsheet import csv_response
from messaging.models import Channel, MessageTemplate

from ..forms import CampaignForm, CampaignListForm, CampaignVariantFormSet

VIEW, ADD, CHANGE = "campaigns.view_campaign", "campaigns.add_campaign", "campaigns.change_campaign"


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = campaign_get(campaign_id)
    if campaign is None:
        raise Http404(_("There is no such campaign."))
    return campaign


def points_pp(value) -> str:
    """A fraction as percentage points with a sign, in the reader's language: 0.3 → "+30.0"."""
    if value is None:
        return "—"
    text = number_format(value * 100, 1, force_grouping=True)
    return text if value < 0 else f"+{text}"


def uplift_text(estimate) -> str:
    """An uplift of a rate and its interval in words: "+30.0 pp (95 % CI −11.6 … +71.6)", or "not enough
    data"."""
    if estimate is None:
        return _("not enough data")
    return _("%(value)s pp (95 %% CI %(low)s … %(high)s)") % {
        "value": points_pp(estimate.value),
        "low": points_pp(estimate.low),
        "high": points_pp(estimate.high),
    }


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


def _form_page(request, *, kind: str, campaign: Campaign | None) -> HttpResponse:
    """The form of a new campaign of `kind`, or of `campaign`; on POST the service creates or changes it."""
    launched = campaign is not None and campaign.status != Campaign.Status.DRAFT
    frozen = tuple(name for name in CampaignForm.base_fields if name not in FIELDS_WHILE_RUNNING) if launched else ()
    status = 200
    if request.method == "POST":
        form = CampaignForm(request.POST, kind=kind, frozen=frozen, instance=campaign and campaign_get(campaign.pk))
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
                    )
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
                if error.field == "variants" and not boost:
                    formset._non_form_errors = formset.error_class([error.message])
                else:
                    add_domain_error(form, error)
            else:
                messages.success(request, _("Campaign “%(name)s” saved.") % {"name": saved.name})
                return redirect("console:campaign", campaign_id=saved.pk)
        status = 400
    else:
        form = CampaignForm(kind=kind, frozen=frozen, instance=campaign)
        formset = CampaignVariantFormSet(prefix="variants", initial=_variants_initial(campaign) or [{}])
    context = {
        "form": form,
        "formset": formset,
        "kind": kind,
        "kind_label": Campaign.Kind(kind).label,
        "campaign": campaign,
        "launched": launched,
        "variants_allowed": kind != Campaign.Kind.BOOST,
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


def _templates(campaign: Campaign) -> list[dict]:
    """The campaign's message per channel and language: written or not, with the editor's link."""
    written = set(MessageTemplate.objects.filter(kind=campaign.message_kind).values_list("channel", "language"))
    channels = campaign.channels or []
    return [
        {
            "channel": code,
            "channel_label": label,
            "used": code in channels,
            "languages": [(lang, name, (code, lang) in written) for lang, name in settings.LANGUAGES],
        }
        for code, label in Channel.choices
    ]


def _page_context(campaign: Campaign, *, list_form=None, list_result=None) -> dict:
    preview = campaign_preview(campaign) if campaign.status == Campaign.Status.DRAFT else None
    return {
        "campaign": campaign,
        "points_granted": campaign_points_granted(campaign),
        "preview": preview,
        "problems": campaign_launch_problems(campaign) if preview else [],
        # A launched row outside the bounds (saved before them) runs nothing: say which value (a draft's
        # launch problems say it already).
        "bounds_problems": campaign_bounds_problems(campaign, campaign.variants.all())
        if campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.ACTIVE, Campaign.Status.PAUSED)
        else [],
        "templates": _templates(campaign),
        "list_form": list_form or CampaignListForm(),
        "list_result": list_result,
        "list_size": campaign.list_members.count() if campaign.target == Campaign.Target.LIST else None,
    }


@permission_required(VIEW)
@require_safe
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/: the campaign's settings; for a draft the preview before launch (target size,
    holdout, variants, expected points and cost) and what still stops it from launching; the buttons of
    its status; its message templates; the uploaded list."""
    campaign = _campaign_or_404(campaign_id)
    return render(request, "console/campaign_detail.html", _page_context(campaign))


def _status_view(service, done):
    """A view that POSTs `service` (campaign_launch, …) for the campaign and says `done` (lazy text)."""

    def view(request: HttpRequest, campaign_id: int) -> HttpResponse:
        campaign = _campaign_or_404(campaign_id)
        try:
            service(campaign_id=campaign.pk, actor=request.user, origin="console")
        except CampaignError as error:
            context = _page_context(_campaign_or_404(campaign_id))
            context["action_error"] = error.message
            return render(request, "console/campaign_detail.html", context, status=400)
        messages.success(request, str(done) % {"name": campaign.name})
        return redirect("console:campaign", campaign_id=campaign.pk)

    view.__name__ = view.__qualname__ = f"{service.__name__}_view"
    view.__doc__ = f"POST: {service.__name__} (CSRF); a refusal shows the page again with the reason (400)."
    return permission_required(CHANGE)(require_POST(view))


campaign_launch_view = _status_view(campaign_launch, gettext_lazy("Campaign “%(name)s” launched."))
campaign_pause_view = _status_view(campaign_pause, gettext_lazy("Campaign “%(name)s” paused."))
campaign_resume_view = _status_view(campaign_resume, gettext_lazy("Campaign “%(name)s” resumed."))
campaign_finish_view = _status_view(campaign_finish, gettext_lazy("Campaign “%(name)s” finished."))


@permission_required(CHANGE)
@require_POST
def campaign_list_upload_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """POST (multipart, CSRF): put the customers of a file or pasted lines on a draft's list. The page
    comes back with what was added and the lines that matched nobody (masked), never stored; a refused
    upload (not a draft, no lines, a file too large or not text) changes nothing (400)."""
    campaign = _campaign_or_404(campaign_id)
    form = CampaignListForm(request.POST, request.FILES)
    result, status = None, 400
    if form.is_valid():
        try:
            result = campaign_list_upload(
                campaign_id=campaign.pk,
                text=form.cleaned_data["content"],
                replace=form.cleaned_data["replace"],
                actor=request.user,
                origin="console",
            )
        except CampaignError as error:
            form.add_error(None, error.message)
        else:
            status = 200
            form = None
    return render(
        request,
        "console/campaign_detail.html",
        _page_context(_campaign_or_404(campaign_id), list_form=form, list_result=result),
        status=status,
    )


# --- results -------------------------------------------------------------------------------------------


def _result_rows(results) -> list[dict]:
    """One row per figure: its label, definition, and value per column (treated, holdout, variants)."""
    from django.template.defaultfilters import floatformat

    groups = [results.treated, results.holdout, *results.variants]
    comparisons = {c.group.key: c for c in results.comparisons}
    currency = results.currency

    def money(value):
        return "—" if value is None else money_format(value, currency)

    def rate(value):
        return "—" if value is None else f"{number_format(value * 100, 1, force_grouping=True)} %"

    def count(value):
        return number_format(value, 0, force_grouping=True)

    def per_group(fn):
        return [fn(group) for group in groups]

    def compared(fn):
        return [fn(comparisons[g.key]) if g.key in comparisons else "" for g in groups]

    def statuses(group):
        return ", ".join(f"{_status_label(s)} {count(n)}" for s, n in sorted(group.messages.items())) or "—"

    rows = [
        (
            "customers",
            _("Customers"),
            _("Customers with a grant row of the campaign (any occasion)."),
            per_group(lambda g: count(g.customers)),
        ),
        (
            "grants",
            _("Grants"),
            _("Grant rows: one per customer and occasion (holdout rows alike)."),
            per_group(lambda g: count(g.grants)),
        ),
        (
            "points_granted",
            _("Points granted"),
            _("Points of the grants' ledger entries."),
            per_group(lambda g: count(g.points_granted)),
        ),
        (
            "points_redeemed",
            _("Points redeemed"),
            _("Points that purchases took from the grants' own lots."),
            per_group(lambda g: count(g.points_redeemed)),
        ),
        ("messages", _("Messages"), _("The campaign's messages by status."), per_group(statuses)),
        (
            "opened",
            _("Opened / clicked"),
            _("Messages opened at least once / with a link clicked."),
            per_group(lambda g: f"{count(g.opened)} / {count(g.clicked)}"),
        ),
        (
            "buyers",
            _("Bought within the window"),
            _("Customers with a purchase (not wholly refunded) within the response window after a grant."),
            per_group(lambda g: count(g.buyers)),
        ),
        (
            "response_rate",
            _("Response rate"),
            _("Bought within the window ÷ customers."),
            per_group(lambda g: rate(g.response_rate)),
        ),
        (
            "revenue",
            _("Revenue in the window"),
            _("Amounts of those purchases less everything refunded of them so far."),
            per_group(lambda g: money(g.revenue)),
        ),
        (
            "revenue_per_customer",
            _("Revenue per customer"),
            _("Revenue in the window ÷ customers (those who bought nothing count as 0)."),
            per_group(lambda g: money(g.revenue_per_customer)),
        ),
        (
            "uplift",
            _("Uplift of the response rate"),
            _(
                "Group's rate − holdout's rate, in percentage points, with its 95 %% confidence interval (normal approximation); “not enough data” below %(n)s customers a side."
            )
            % {"n": MIN_GROUP},
            compared(lambda c: uplift_text(c.rate_uplift)),
        ),
        (
            "revenue_uplift",
            _("Uplift of revenue per customer"),
            _(
                "Difference of the means with its 95 %% interval (Welch); “not enough data” below %(n)s customers a side."
            )
            % {"n": MIN_GROUP_MEAN},
            compared(
                lambda c: (
                    _("not enough data")
                    if c.revenue_uplift is None
                    else f"{money(c.revenue_uplift.value)} ({money(c.revenue_uplift.low)} … {money(c.revenue_uplift.high)})"
                )
            ),
        ),
        (
            "incremental",
            _("Incremental returning customers"),
            _("Uplift × the group's customers."),
            compared(lambda c: "—" if c.incremental_customers is None else floatformat(c.incremental_customers, 1)),
        ),
        ("cost", _("Cost of the points"), _("Points redeemed × the point value."), compared(lambda c: money(c.cost))),
        (
            "cost_per_returning",
            _("Cost per returning customer"),
            _("Cost of the points ÷ incremental returning customers (none when the uplift is not above 0)."),
            compared(lambda c: money(c.cost_per_returning)),
        ),
        (
            "return_on_points",
            _("Return on points spent"),
            _(
                "Incremental revenue ((group's − holdout's revenue per customer) × the group's customers) ÷ cost of the points."
            ),
            compared(lambda c: "—" if c.return_on_points is None else number_format(c.return_on_points, 2)),
        ),
    ]
    return [{"key": key, "label": label, "help": help_text, "values": values} for key, label, help_text, values in rows]


def _status_label(code: str) -> str:
    from messaging.models import Message

    return str(dict(Message.Status.choices).get(code, code))


@permission_required(VIEW)
@require_safe
def campaign_results_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/results/: treated vs holdout and each variant, every figure with its definition
    (docs/campaigns.md, "Results")."""
    campaign = _campaign_or_404(campaign_id)
    results = campaign_results(campaign)
    groups = [results.treated, results.holdout, *results.variants]
    context = {"campaign": campaign, "results": results, "groups": groups, "rows": _result_rows(results)}
    return render(request, "console/campaign_results.html", context)


@permission_required(VIEW)
@require_safe
def campaign_results_csv(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/results.csv: the results table, machine values (decimals with a point, rates as
    fractions): one row per group."""
    campaign = _campaign_or_404(campaign_id)
    results = campaign_results(campaign)
    comparisons = {c.group.key: c for c in results.comparisons}
    header = [
        "group",
        "customers",
        "grants",
        "points_granted",
        "points_redeemed",
        "messages",
        "opened",
        "clicked",
        "buyers",
        "response_rate",
        "revenue",
        "revenue_per_customer",
        "uplift",
        "uplift_low",
        "uplift_high",
        "revenue_uplift",
        "revenue_uplift_low",
        "revenue_uplift_high",
        "incremental_customers",
        "cost",
        "cost_per_returning",
        "return_on_points",
    ]

    def est(e):
        return ["", "", ""] if e is None else [e.value, e.low, e.high]

    rows = [header]
    for group in [results.treated, results.holdout, *results.variants]:
        c = comparisons.get(group.key)
        rows.append(
            [
                group.key,
                group.customers,
                group.grants,
                group.points_granted,
                group.points_redeemed,
                group.messages_total,
                group.opened,
                group.clicked,
                group.buyers,
                group.response_rate,
                group.revenue,
                group.revenue_per_customer,
                *(est(c.rate_uplift) if c else ["", "", ""]),
                *(est(c.revenue_uplift) if c else ["", "", ""]),
                *(
                    [c.incremental_customers, c.cost, c.cost_per_returning, c.return_on_points]
                    if c
                    else ["", "", "", ""]
                ),
            ]
        )
    return csv_response(
        ([("" if v is None else v) for v in row] for row in rows), filename=f"campaign-{campaign.pk}-results.csv"
    )
