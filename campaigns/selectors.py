"""Reads of campaigns (issue #15)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from analytics.rules import money, ratio
from loyalty.models import LedgerEntry
from loyalty.selectors import program_settings_get
from messaging.models import MessageTemplate

from .bounds import BoundsProblem, absence_steps_valid, campaign_bounds_problems, campaigns_within_bounds
from .models import Campaign, CampaignGrant, CampaignVariant
from .results import boost_points_net
from .rules import campaign_id_of_message_kind
from .targeting import campaign_target_counts


def campaigns_running(*, kind: str, at: dt.datetime) -> QuerySet[Campaign]:
    """The campaigns of `kind` that grant at moment `at` (an aware datetime): status active, started
    (no start, or start ≤ at) and not ended (no end, or at < end). Scheduled ones start granting only once
    the daily run (or a launch) made them active; paused and finished ones never grant. A campaign with
    a stored value outside its bounds (campaigns.bounds: a row saved before them) is left out: its page
    says which value, and it cannot fail the others' run on a date overflow."""
    running = Campaign.objects.filter(kind=kind, status=Campaign.Status.ACTIVE).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=at),
        Q(ends_at__isnull=True) | Q(ends_at__gt=at),
        campaigns_within_bounds(),
    )
    if kind == Campaign.Kind.WIN_BACK:  # its steps are a JSON list: checked here (few campaigns)
        steps = running.values_list("pk", "absence_days")
        running = running.exclude(pk__in=[pk for pk, days in steps if not absence_steps_valid(days)])
    return running


def campaigns_out_of_bounds() -> list[tuple[Campaign, list[BoundsProblem]]]:
    """The launched campaigns (scheduled, active, paused) with a stored value outside its bounds
    (campaigns.bounds: rows saved before them), each with its problems, in id order. `campaigns_running`
    leaves them out; the daily command and task say so. Two queries (the campaigns, their variants)."""
    launched = Campaign.objects.filter(
        status__in=[Campaign.Status.SCHEDULED, Campaign.Status.ACTIVE, Campaign.Status.PAUSED]
    ).prefetch_related("variants")
    return [
        (campaign, problems)
        for campaign in launched.order_by("pk")
        if (problems := campaign_bounds_problems(campaign, campaign.variants.all()))
    ]


@dataclass(frozen=True)
class Preview:
    """What launching a campaign would reach now (campaign_preview)."""

    target: int
    holdout: int
    treated: int
    variants: list[tuple[CampaignVariant, int, int]]  # (variant, customers, their points per grant)
    points_per_grant: int | None  # without variants: Campaign.points; None for a boost
    # One grant to every treated customer, within the budget (an int); a welcome's mean per new customer,
    # exact (a Decimal: 5 points, 10 % holdout → 4.5); None for a boost.
    expected_points: int | Decimal | None
    redeemed_share: Decimal | None  # observed share of points redeemed (not burnt); None without history
    expected_redeemed: Decimal | None  # expected_points × the share, exact (rounded only for display)
    expected_cost: Decimal | None  # money of the exact expected_redeemed, rounded once to 0.01 half up
    point_value: Decimal
    currency: str
    per_new_customer: bool = False  # a welcome: the points and cost are per new customer (no one existing gets it)
    # The budget stops short: one grant to every treated customer would take `points_wanted` points, more
    # than the budget left. For a broadcast without variants (one grant each, all on one day) also how many
    # treated customers the budget left pays, `budget_covers` (the rest get nothing). None otherwise.
    points_wanted: int | None = None
    budget_covers: int | None = None


def observed_redeemed_share() -> Decimal | None:
    """Of all points ever spent or burnt, the share spent: redeemed ÷ (redeemed + expired), a fraction
    rounded to 0.0001; None before any point was spent or burnt. It is 1 − analytics' "observed expiry
    rate" (analytics.selectors.period_figures' `liability_expiry_rate`, to date), the figure analytics
    uses for the expected cost of the points outstanding. One aggregate over the ledger."""
    sums = LedgerEntry.objects.filter(kind__in=[LedgerEntry.Kind.REDEEM, LedgerEntry.Kind.EXPIRE]).aggregate(
        redeemed=Sum("points", filter=Q(kind=LedgerEntry.Kind.REDEEM)),
        expired=Sum("points", filter=Q(kind=LedgerEntry.Kind.EXPIRE)),
    )
    redeemed, expired = -(sums["redeemed"] or 0), -(sums["expired"] or 0)
    return ratio(redeemed, redeemed + expired)


def _expected_redeemed(points: Decimal | int, share: Decimal | None) -> Decimal:
    """The points expected to be redeemed of `points`: × the observed redeemed share (all of them without
    history), exactly: never rounded here (the page rounds once, the cost is money of the exact figure)."""
    return Decimal(points) * (share if share is not None else 1)


def campaign_preview(campaign: Campaign) -> Preview:
    """The preview before launch: the target's size now, the holdout and each variant's share of it
    (campaigns.targeting.campaign_target_counts), and what one grant to every treated customer would
    cost — points (the variant's or the campaign's, at most the whole grants the budget left pays:
    _budget_capped), the points expected to be
    redeemed at the observed share (observed_redeemed_share; all of them without history) and their money
    value at ProgramSettings.point_value. For kinds granted on an occasion (a birthday, an absence, an
    action) that is the cost of one occasion per customer, counting for a birthday, anniversary or win-back
    only the customers who can have the occasion (a birthday on file, a purchase made); a boost grants no
    points of its own (None). A welcome grants on enrolment, so no existing customer ever gets it: its
    preview counts nobody and gives the points and the expected cost per new customer (`per_new_customer`):
    the treated share (1 − holdout %) × the points (with variants, their weighted mean), exact: 5 points
    with a 10 % holdout is 4.5 points per new customer, of which 4.5 × 0.7325 = 3.29625 expected redeemed,
    costing 3.30 at a point value of 1.00. Nothing is rounded before the cost, which is rounded once (to
    0.01, half up); the page rounds the points for display only. When the budget left pays less than one
    grant each, `points_wanted` says what that would take and, for a broadcast without variants,
    `budget_covers` how many treated customers it pays (a budget of 30, 24 treated × 10 points: 3)."""
    program = program_settings_get()
    variants = list(campaign.variants.order_by("code"))
    share = observed_redeemed_share()
    if campaign.kind == Campaign.Kind.WELCOME:
        if variants:
            per = Decimal(sum(v.points * v.weight for v in variants)) / sum(v.weight for v in variants)
        else:
            per = Decimal(campaign.points)
        points = per * (100 - campaign.holdout_percent) / 100
        redeemed = _expected_redeemed(points, share)
        return Preview(
            target=0, holdout=0, treated=0, variants=[(v, 0, v.points) for v in variants],
            points_per_grant=None if variants else campaign.points, expected_points=points,
            redeemed_share=share, expected_redeemed=redeemed, expected_cost=money(redeemed * program.point_value),
            point_value=program.point_value, currency=program.currency, per_new_customer=True,
        )  # fmt: skip
    counts = campaign_target_counts(campaign)
    rows = [(v, counts["variants"].get(v.pk, 0), v.points) for v in variants]
    boost = campaign.kind == Campaign.Kind.BOOST
    if boost:
        points = None
    elif rows:
        points = sum(n * per for _v, n, per in rows)
    else:
        points = counts["treated"] * campaign.points
    wanted = covers = None
    if points is not None and campaign.budget_points is not None:
        capped = _budget_capped(points, campaign, variants)
        if capped < points:
            wanted = points
            if campaign.kind == Campaign.Kind.BROADCAST and not variants and campaign.points > 0:
                covers = capped // campaign.points
        points = capped
    redeemed = None if points is None else _expected_redeemed(points, share)
    cost = None if redeemed is None else money(redeemed * program.point_value)
    return Preview(
        target=counts["target"],
        holdout=counts["holdout"],
        treated=counts["treated"],
        variants=rows,
        points_per_grant=None if boost or rows else campaign.points,
        expected_points=points,
        redeemed_share=share,
        expected_redeemed=redeemed,
        expected_cost=cost,
        point_value=program.point_value,
        currency=program.currency,
        points_wanted=wanted,
        budget_covers=covers,
    )


def _budget_capped(points: int, campaign: Campaign, variants: list) -> int:
    """`points` (the whole target's grants) cut to what the budget left can pay: grants are whole (a
    customer gets a grant's points or nothing), so without variants a budget of 250 left pays two grants of
    100 (200 points), and a budget below one grant pays nothing; with variants, at most what is left, and
    nothing when not even the smallest variant fits."""
    left = max(campaign.budget_points - campaign.points_granted, 0)
    if variants:
        return 0 if left < min(v.points for v in variants) else min(points, left)
    if campaign.points <= 0:
        return 0
    return min(points, left // campaign.points * campaign.points)


def campaign_list() -> QuerySet[Campaign]:
    """Every campaign, newest first, with who created it."""
    return Campaign.objects.select_related("created_by").order_by("-created_at", "-id")


def campaign_get(campaign_id: int) -> Campaign | None:
    """The campaign with its saved segment and creator, or None."""
    return (
        Campaign.objects.select_related("target_saved_segment", "created_by")
        .prefetch_related("target_tiers", "variants")
        .filter(pk=campaign_id)
        .first()
    )


def campaign_kind_labels(kinds) -> dict[str, str]:
    """{message kind: label} for the campaigns' message kinds among `kinds` ("campaign:5" → "Campaign
    “Spring”"), in the active language, in one query; kinds of no existing campaign are left out (messaging's
    own kind_label then says "Campaign #5")."""
    from django.utils.translation import gettext as _

    ids = {}
    for kind in kinds:
        if (campaign_id := campaign_id_of_message_kind(kind)) is not None:
            ids[campaign_id] = kind
    if not ids:
        return {}
    names = Campaign.objects.filter(pk__in=ids).values_list("pk", "name")
    return {ids[pk]: _("Campaign “%(name)s”") % {"name": name} for pk, name in names}


def campaign_is_running(campaign: Campaign, at: dt.datetime) -> bool:
    """`campaigns_running`'s rule for one campaign already read: active, started, not ended at `at`."""
    return (
        campaign.status == Campaign.Status.ACTIVE
        and (campaign.starts_at is None or campaign.starts_at <= at)
        and (campaign.ends_at is None or at < campaign.ends_at)
    )


def welcome_grants_for(customer_id: int) -> QuerySet[CampaignGrant]:
    """The welcome bonuses the customer received (not holdout rows), oldest campaign first: what the till
    shows right after enrolment."""
    return CampaignGrant.objects.filter(
        customer_id=customer_id, campaign__kind=Campaign.Kind.WELCOME, occasion="enrol", holdout=False
    ).order_by("campaign_id")


def campaign_points_granted(campaign: Campaign) -> int:
    """The points a campaign granted (spent), as its page, the budget check of an edit, the list and the
    results all count them. A boost's are net of what refunds of its boosted purchases took back: without
    a budget, its grant rows net of those refunds (campaigns.results.boost_points_net: its
    `points_granted` counter is kept only against a budget); with one, `points_granted`, which refunds
    already lower (campaigns.boosts.boosts_refund_to_budgets). Other kinds: `points_granted`."""
    if campaign.kind == Campaign.Kind.BOOST and campaign.budget_points is None:
        return boost_points_net(campaign.pk)
    return campaign.points_granted


def campaign_channels(campaign: Campaign) -> tuple[list[str], list[str]]:
    """(channels with a message template of the campaign's kind in some language, in the campaign's order;
    its channels without one, which send nothing)."""
    with_template = set(MessageTemplate.objects.filter(kind=campaign.message_kind).values_list("channel", flat=True))
    return (
        [code for code in campaign.channels or [] if code in with_template],
        [code for code in campaign.channels or [] if code not in with_template],
    )
