"""Earning boosts (campaign kind "boost"): campaigns' side of loyalty's boost hook (loyalty.boosts).

`boosts_for_purchase` answers loyalty's question "which boosts apply to this customer's purchase now?"
as plain data; `boosts_grants_record` writes, inside the purchase's transaction, one CampaignGrant row
"purchase:<id>" per boost campaign (holdout rows alike, with no points) and raises each campaign's
`points_granted`, cutting a boost down to what its budget still holds. The boost points themselves are
part of the purchase's earn entry (loyalty), so a grant row of a boost has no entry of its own: its
`points` say how many of the purchase's points the campaign gave. Registered at start-up (campaigns.apps).

Per purchase, with boosts running: the active boosts come from a per-process copy that any change of a
campaign makes every process read again (boost_campaigns_active, core.versions), then one for the targets of those whose target is not "everyone without a consent
condition", one count per campaign with a per-customer limit; then one INSERT, and for campaigns with a
budget one UPDATE (the budget checked in it; one that cannot cover a boost costs a locked read more).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, prefetch_related_objects
from django.db.models.functions import Greatest

from core.versions import VersionedCache, versions_forget
from loyalty.boosts import Boost, BoostEarned, boost_provider_register
from loyalty.rules import EarnLine, category_key, refund_points_split

from .bounds import campaigns_within_bounds
from .models import Campaign, CampaignGrant, CampaignVariant
from .rules import boost_time_matches, in_holdout, variant_index
from .selectors import campaign_is_running
from .targeting import campaigns_targeting_customer


def boost_occasion(purchase_id: int) -> str:
    """The occasion of a boost's grant row: "purchase:<id>"."""
    return f"purchase:{purchase_id}"


def _boost_campaigns_load() -> list[Campaign]:
    campaigns = list(
        Campaign.objects.filter(campaigns_within_bounds(), kind=Campaign.Kind.BOOST, status=Campaign.Status.ACTIVE)
        .annotate(has_variants=Exists(CampaignVariant.objects.filter(campaign=OuterRef("pk"))))
        .order_by("pk")
    )
    with_variants = [campaign for campaign in campaigns if campaign.has_variants]
    if with_variants:  # most boosts have none: no query for them
        prefetch_related_objects(with_variants, Prefetch("variants", queryset=CampaignVariant.objects.order_by("code")))
    return campaigns


# Reloaded when the token "campaigns.boosts" changes: a database trigger replaces it in the same transaction
# as any change of a campaign's terms or variants (migration 0005), so a pause or an edit by staff applies
# from the next purchase in every process (core.versions).
_boosts_cache = VersionedCache("campaigns.boosts", _boost_campaigns_load)


def boost_campaigns_active() -> list[Campaign]:
    """The active boost campaigns (any dates), their variants loaded where they have some, in id order.
    A per-process copy, read again after any change of a campaign or variant (core.versions: one small
    query per request tells). Dates and hours are checked per purchase against the moment, and a budget
    when the grant is recorded. Callers must not change the objects."""
    return _boosts_cache.get()


def boost_campaigns_none_active() -> bool:
    """True when this process's copy of the active boosts is current and empty: no boost can apply, known
    without a query (the version token is read once per request or purchase anyway: core.versions). False
    when there are some, or when the copy must be read again (boosts_for_purchase does, in its savepoint)."""
    held = _boosts_cache.current()
    return held is not None and not held


def boost_campaigns_forget() -> None:
    """Read the boosts again on the next purchase (tests that change rows without a trigger)."""
    versions_forget()
    _boosts_cache.clear()


def boosts_for_purchase(customer_id: int, lines: list[EarnLine], at: dt.datetime) -> list[Boost]:
    """The boosts that apply to `customer_id`'s purchase of `lines` at `at` (aware): running campaigns of
    kind boost (campaigns_running: active, `at` within their dates, the end excluded) whose weekdays and
    hours hold at `at` in the shop's time zone, whose category is on one of the lines (or that have none),
    whose target holds the customer and whose per-customer limit is not reached. Customers in a
    campaign's holdout get its Boost with `holdout` set. In campaign id order (ties under "best" go to
    the older campaign)."""
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    # no lines: one, no category; categories compared case-insensitively, surrounding spaces ignored
    categories = {category_key(line.category) for line in lines if line.amount > 0} or {""}
    running = [
        campaign
        for campaign in boost_campaigns_active()
        if campaign_is_running(campaign, at)
        and boost_time_matches(
            weekdays=campaign.boost_weekdays or [],
            hour_from=campaign.boost_hour_from,
            hour_to=campaign.boost_hour_to,
            local=local,
        )
        and (not category_key(campaign.boost_category) or category_key(campaign.boost_category) in categories)
    ]
    if not running:
        return []
    to_check = [c for c in running if c.target != Campaign.Target.EVERYONE or c.target_consent]
    targeted = campaigns_targeting_customer(to_check, customer_id) | {c.pk for c in running if c not in to_check}
    # The budget counters are read fresh for every purchase: the cached campaigns are not reloaded when
    # only `points_granted` changes (migration 0005), so their counters may be many purchases old.
    budgeted = [c.pk for c in running if c.pk in targeted and c.budget_points is not None]
    budgets_left = {
        pk: max(0, budget - granted)
        for pk, budget, granted in Campaign.objects.filter(pk__in=budgeted).values_list(
            "pk", "budget_points", "points_granted"
        )
        if budget is not None
    }
    boosts = []
    for campaign in running:
        if campaign.pk not in targeted:
            continue
        holdout = in_holdout(campaign.pk, customer_id, campaign.holdout_percent)
        if not holdout and campaign.per_customer_limit is not None:
            used = CampaignGrant.objects.filter(campaign=campaign, customer_id=customer_id, holdout=False).count()
            if used >= campaign.per_customer_limit:
                continue
        variants = list(campaign.variants.all()) if campaign.has_variants else []
        variant_id = None
        if variants and not holdout:
            variant_id = variants[variant_index(campaign.pk, customer_id, [v.weight for v in variants])].pk
        boosts.append(
            Boost(
                campaign_id=campaign.pk,
                name=campaign.name,
                multiplier=campaign.boost_multiplier,
                extra_percent=campaign.boost_extra_percent,
                category=campaign.boost_category,
                variant_id=variant_id,
                holdout=holdout,
                budget_left=None if campaign.budget_points is None else budgets_left.get(campaign.pk, 0),
            )
        )
    return boosts


def boosts_grants_record(
    customer_id: int, purchase_id: int, at: dt.datetime, earned: list[BoostEarned]
) -> dict[int, int]:
    """Record the boosts of one purchase (inside its transaction): a CampaignGrant "purchase:<id>" per
    campaign (holdout: no points), and `points_granted` raised by what each gave — cut to what a budget
    still holds, read under the campaign's row lock (campaigns locked in id order). Returns {campaign id:
    points granted}."""
    earned = sorted(earned, key=lambda boost: boost.campaign_id)
    asked = {boost.campaign_id: (0 if boost.holdout else boost.points) for boost in earned}
    # Only campaigns with a budget count here: a counter every boosted purchase updated would make all of
    # them queue on the campaign's row until each commits (bench/api_purchases.py). Without a budget a
    # boost's points granted are the sum of its grant rows (campaign_points_granted).
    budgeted = {boost.campaign_id for boost in earned if boost.budgeted}
    wanted = {pk: points for pk, points in asked.items() if points > 0 and pk in budgeted}
    if wanted:
        # One statement in the common case: each campaign whose budget covers its points takes them; the
        # row lock the UPDATE takes makes the check and the addition one step.
        cases = " ".join("WHEN %s THEN %s" for _pk in wanted)
        marks = ", ".join("%s" for _pk in wanted)
        params = [value for pk, points in wanted.items() for value in (pk, points)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE campaigns_campaign SET points_granted = points_granted + CASE id {cases} END "  # noqa: S608 - placeholders only
                f"WHERE id IN ({marks}) AND (budget_points IS NULL "
                f"OR points_granted + CASE id {cases} END <= budget_points) RETURNING id",
                [*params, *wanted, *params],
            )
            covered = {row[0] for row in cursor.fetchall()}
        short = sorted(set(wanted) - covered)
        if short:  # a budget that cannot cover it all: what is left, under the row lock, in id order
            rows = (
                Campaign.objects.filter(pk__in=short)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", "budget_points", "points_granted")
            )
            for pk, budget, granted in rows:
                asked[pk] = min(asked[pk], max(0, budget - granted))
                if asked[pk]:
                    Campaign.objects.filter(pk=pk).update(points_granted=F("points_granted") + asked[pk])
    CampaignGrant.objects.bulk_create(
        [
            CampaignGrant(
                campaign_id=boost.campaign_id,
                customer_id=customer_id,
                occasion=boost_occasion(purchase_id),
                variant_id=boost.variant_id,
                holdout=boost.holdout,
                points=asked[boost.campaign_id],
                at=at,
            )
            for boost in earned
            if boost.holdout or asked[boost.campaign_id] > 0
        ]
    )
    return {pk: points for pk, points in asked.items()}


def boosts_refund_to_budgets(
    purchase_id: int, amount: Decimal, refunded_before: Decimal, refund_amount: Decimal
) -> dict[int, int]:
    """Give back to each budgeted boost campaign the points a refund of purchase `purchase_id` reverses of
    its grant: in proportion, cumulative and rounded down as loyalty reverses them
    (loyalty.rules.refund_points_split: floor(points × refunded ÷ amount), all once wholly refunded), so
    the points a campaign counts against its budget are those the customer keeps. Campaigns without a
    budget keep no counter (their points are the grant rows'). Returns {campaign id: points returned}."""
    returned: dict[int, int] = {}
    grants = CampaignGrant.objects.filter(
        occasion=boost_occasion(purchase_id), holdout=False, points__gt=0, campaign__budget_points__isnull=False
    ).values_list("campaign_id", "points")
    for campaign_id, points in grants:
        before = refund_points_split(
            amount=amount,
            refunded_before=Decimal(0),
            refund_amount=refunded_before,
            earned_points=points,
            reversed_before=0,
            redeemed_points=0,
            returned_before=0,
        )[0]
        back = refund_points_split(
            amount=amount,
            refunded_before=refunded_before,
            refund_amount=refund_amount,
            earned_points=points,
            reversed_before=before,
            redeemed_points=0,
            returned_before=0,
        )[0]
        if back > 0:
            Campaign.objects.filter(pk=campaign_id).update(points_granted=Greatest(F("points_granted") - back, 0))
            returned[campaign_id] = back
    return returned


def register() -> None:
    """Make campaigns loyalty's boost provider (CampaignsConfig.ready)."""
    boost_provider_register(
        find=boosts_for_purchase,
        record=boosts_grants_record,
        none_active=boost_campaigns_none_active,
        refunded=boosts_refund_to_budgets,
    )
