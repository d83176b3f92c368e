"""Earning boosts (campaign kind "boost"): campaigns' side of loyalty's boost hook (loyalty.boosts).

`boosts_for_purchase` answers loyalty's question "which boosts apply to this customer's purchase now?"
as plain data; `boosts_grants_record` writes, inside the purchase's transaction, one BoostGrant row
per boost campaign and purchase (holdout rows alike, with no points) and raises each campaign's
`points_granted`, cutting a boost down to what its budget still holds. The boost points themselves are
part of the purchase's earn entry (loyalty), so a grant row of a boost has no entry of its own: its
`points` say how many of the purchase's points the campaign gave. Registered at start-up (campaigns.apps).

Per purchase, with boosts running (issue #15's goal: five boosts within 10 % of none): the active boosts
come from a per-process copy that any change of a campaign makes every process read again
(boost_campaigns_active, core.versions), with each tiers target's tiers, so that a target of everyone or of
tiers (without a consent condition) is decided in Python from the tier the purchase holds; other targets
take one statement (campaigns_targeting_customer). A purchase leaves a per-customer limit to the recording
(`exact` False) unless its campaign has a budget: the grant rows are then written by one INSERT that first
counts the customer's grants of each such campaign and writes nothing when one is at its limit
(BoostsStale: the purchase plans again without it). Each process remembers the customers it found at a
campaign's limit (a launched campaign's limit never changes and grant rows are never deleted), so only the
first purchase over the limit in a process pays that second round. Campaigns with a budget: one UPDATE
more (the budget checked in it; one that cannot cover a boost costs a locked read more), in a savepoint.
"""

import datetime as dt
import logging
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Prefetch, prefetch_related_objects
from django.db.models.functions import Greatest

from core.db import array_text, prepared_cursor
from core.versions import VersionedCache, versions_forget
from loyalty.boosts import Boost, BoostEarned, BoostsSql, BoostsStale, boost_provider_register
from loyalty.rules import EarnLine, category_key, refund_points_split

from .bounds import campaigns_within_bounds
from .models import BoostGrant, Campaign, CampaignVariant
from .rules import boost_time_matches, in_holdout, variant_index
from .selectors import campaign_is_running
from .targeting import campaigns_targeting_customer

logger = logging.getLogger(__name__)


def _boost_campaigns_load() -> list[Campaign]:
    campaigns = list(
        Campaign.objects.filter(campaigns_within_bounds(), kind=Campaign.Kind.BOOST, status=Campaign.Status.ACTIVE)
        .annotate(has_variants=Exists(CampaignVariant.objects.filter(campaign=OuterRef("pk"))))
        .order_by("pk")
    )
    with_variants = [campaign for campaign in campaigns if campaign.has_variants]
    if with_variants:  # most boosts have none: no query for them
        prefetch_related_objects(with_variants, Prefetch("variants", queryset=CampaignVariant.objects.order_by("code")))
    tiered = [campaign for campaign in campaigns if campaign.target == Campaign.Target.TIERS]
    tier_ids: dict[int, set[int]] = {campaign.pk: set() for campaign in tiered}
    if tiered:
        through = Campaign.target_tiers.through
        for campaign_id, tier_id in through.objects.filter(campaign_id__in=tier_ids).values_list(
            "campaign_id", "tier_id"
        ):
            tier_ids[campaign_id].add(tier_id)
    for campaign in campaigns:
        campaign.target_tier_ids = frozenset(tier_ids.get(campaign.pk, ()))
        # Customers this process found at the campaign's per-customer limit (boosts_grants_record): a new copy
        # starts empty, and a launched campaign's limit cannot change, so an entry never goes stale.
        campaign.limit_reached = set()
        # What every purchase would otherwise work out again (issue #15: five boosts within 10 % of none):
        # the category as compared, whether the weekdays or hours can rule a moment out, and the Boost a
        # treated customer gets when nothing is per customer (no variants, no budget; immutable, so shared).
        campaign.category_compared = category_key(campaign.boost_category)
        campaign.any_time = not campaign.boost_weekdays and (
            campaign.boost_hour_from is None
            or campaign.boost_hour_to is None
            or campaign.boost_hour_from == campaign.boost_hour_to
        )
        campaign.boost_shared = None
        if not campaign.has_variants and campaign.budget_points is None:
            campaign.boost_shared = _boost_of(campaign, limit=campaign.per_customer_limit)
    return campaigns


def _boost_of(
    campaign: Campaign,
    *,
    variant_id: int | None = None,
    holdout: bool = False,
    limit: int | None = None,
    budget_left: int | None = None,
) -> Boost:
    """The Boost of `campaign` for one customer: see loyalty.boosts.Boost."""
    return Boost(
        campaign_id=campaign.id,
        name=campaign.name,
        multiplier=campaign.boost_multiplier,
        extra_percent=campaign.boost_extra_percent,
        category=campaign.boost_category,
        variant_id=variant_id,
        holdout=holdout,
        budget_left=budget_left,
        limit=limit,
    )


_LIMIT_REACHED_KEPT = 100_000  # customers remembered per campaign and process (beyond: forgotten, asked again)


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
    when there are some, or when the copy must be read again (boosts_for_purchase does, in a savepoint)."""
    held = _boosts_cache.current()
    return held is not None and not held


def boost_campaigns_forget() -> None:
    """Read the boosts again on the next purchase (tests that change rows without a trigger)."""
    versions_forget()
    _boosts_cache.clear()


_TIER_UNKNOWN = object()  # boosts_for_purchase's tier_id when the caller does not say: tiers targets by SQL


def boosts_for_purchase(
    customer_id: int,
    lines: list[EarnLine],
    at: dt.datetime,
    *,
    tier_id: Any = _TIER_UNKNOWN,
    exact: bool = True,
) -> list[Boost]:
    """The boosts that apply to `customer_id`'s purchase of `lines` at `at` (aware): running campaigns of
    kind boost (campaigns_running: active, `at` within their dates, the end excluded) whose weekdays and
    hours hold at `at` in the shop's time zone, whose category is on one of the lines (or that have none),
    whose target holds the customer and whose per-customer limit is not reached. Customers in a
    campaign's holdout get its Boost with `holdout` set. In campaign id order (ties under "best" go to
    the older campaign).

    `tier_id`: the tier the customer holds for this purchase (loyalty passes it: the entry tier without a
    tier status, None without tiers): a tiers target without a consent condition is decided from it, as
    campaign_target_sql decides it, except that an erased customer's purchase (by id, through the API) is
    boosted like anyone else's, as a target of everyone always was; not given, such targets are checked by
    SQL. `exact`
    False: a per-customer limit of a campaign without a budget is not counted here unless this process
    knows the customer reached it; the Boost carries it (`limit`) and boosts_grants_record checks it.
    Statements: none for targets of everyone or tiers and limits left to the recording; else one for the
    other targets and one for the limits counted, in a savepoint (a failure is loyalty's to log)."""
    if _boosts_cache.current() is None:
        with transaction.atomic():  # the copy is read again: a statement of its own
            boost_campaigns_active()
    categories = None  # the lines' categories as compared, worked out when a running boost has one
    local = None  # `at` in the shop's time zone, worked out when a running boost has weekdays or hours
    running = []
    for campaign in boost_campaigns_active():
        if not campaign_is_running(campaign, at):
            continue
        if not campaign.any_time:
            if local is None:
                local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
            if not boost_time_matches(
                weekdays=campaign.boost_weekdays or [],
                hour_from=campaign.boost_hour_from,
                hour_to=campaign.boost_hour_to,
                local=local,
            ):
                continue
        if campaign.category_compared:
            if categories is None:  # no lines: one, no category
                categories = {category_key(line.category) for line in lines if line.amount > 0} or {""}
            if campaign.category_compared not in categories:
                continue
        running.append(campaign)
    if not running:
        return []
    targeted, to_check = set(), []
    for campaign in running:
        if campaign.target_consent:
            to_check.append(campaign)
        elif campaign.target == Campaign.Target.EVERYONE:
            targeted.add(campaign.id)
        elif campaign.target == Campaign.Target.TIERS and tier_id is not _TIER_UNKNOWN:
            if tier_id is not None and tier_id in campaign.target_tier_ids:
                targeted.add(campaign.id)
        else:
            to_check.append(campaign)
    holdouts = {c.id for c in running if in_holdout(c.id, customer_id, c.holdout_percent)}
    limited = [
        c
        for c in running
        if c.per_customer_limit is not None
        and c.id not in holdouts
        and customer_id not in c.limit_reached
        and (exact or c.budget_points is not None)
    ]
    # The budget counters are read fresh for every purchase: the cached campaigns are not reloaded when
    # only `points_granted` changes (migration 0005), so their counters may be many purchases old.
    budgeted = [c.id for c in running if c.budget_points is not None]
    budgets_left: dict[int, int] = {}
    used: dict[int, int] = {}
    if to_check or limited or budgeted:
        with transaction.atomic():
            targeted |= campaigns_targeting_customer(to_check, customer_id)
            budgeted = [pk for pk in budgeted if pk in targeted]
            if budgeted:
                budgets_left = {
                    pk: max(0, budget - granted)
                    for pk, budget, granted in Campaign.objects.filter(pk__in=budgeted).values_list(
                        "pk", "budget_points", "points_granted"
                    )
                    if budget is not None
                }
            limited = [c for c in limited if c.id in targeted]
            if limited:
                used = _grants_used([c.id for c in limited], customer_id)
    boosts = []
    for campaign in running:
        pk = campaign.id
        if pk not in targeted:
            continue
        holdout = pk in holdouts
        # A holdout row's limit is always left to the recording, which writes no row past it (the holdout
        # mirrors the treated: as many occasions at most); it earns nothing, so nothing is planned again.
        limit = campaign.per_customer_limit if holdout else None
        if not holdout and campaign.per_customer_limit is not None:
            if customer_id in campaign.limit_reached:
                continue
            if pk in used:
                if used[pk] >= campaign.per_customer_limit:
                    continue
            else:
                limit = campaign.per_customer_limit  # left to the recording (exact False)
        if not holdout and campaign.boost_shared is not None and limit == campaign.per_customer_limit:
            boosts.append(campaign.boost_shared)  # nothing in it is this customer's
            continue
        variant_id = None
        if campaign.has_variants and not holdout:
            variants = list(campaign.variants.all())
            variant_id = variants[variant_index(pk, customer_id, [v.weight for v in variants])].pk
        budget_left = None if campaign.budget_points is None else budgets_left.get(pk, 0)
        boosts.append(_boost_of(campaign, variant_id=variant_id, holdout=holdout, limit=limit, budget_left=budget_left))
    return boosts


def _grants_used(campaign_ids: list[int], customer_id: int) -> dict[int, int]:
    """{campaign id: the customer's grant rows of it} for each of `campaign_ids` (campaigns with a per-customer
    limit; 0 included): the number of their last row (BoostGrant.nth; a customer's rows are all treated or
    all holdout, and the holdout's count alike)."""
    used = dict.fromkeys(campaign_ids, 0)
    rows = (
        BoostGrant.objects.filter(campaign_id__in=campaign_ids, customer_id=customer_id, nth__isnull=False)
        .values_list("campaign_id")
        .annotate(n=Max("nth"))
    )
    used.update(dict(rows))
    return used


def _limit_reached_remember(campaign_ids: set[int], customer_id: int) -> None:
    """Remember in this process's copy of the boosts that `customer_id` reached these campaigns' limits."""
    for campaign in boost_campaigns_active():
        if campaign.pk in campaign_ids:
            if len(campaign.limit_reached) >= _LIMIT_REACHED_KEPT:
                campaign.limit_reached.clear()
            campaign.limit_reached.add(customer_id)


_GRANT_COLUMNS = "campaign_id, customer_id, purchase_id, variant_id, holdout, points, at, nth"


def _grants_guarded_ctes(
    customer_id: int, purchase_sql: str, purchase_params: list, at: dt.datetime, rows: list[BoostEarned]
) -> tuple[str, list]:
    """WITH items (", name AS (…)"; boost_v, boost_over, boost_written) that insert the BoostGrant rows of
    boosts without a budget (`rows`: holdout ones with 0 points) unless the customer is at the per-customer
    limit (BoostEarned.limit) of one of them: then they write nothing, and `boost_over` holds those
    campaigns' ids. A holdout row past its limit is left out alone (it earns nothing: nothing to plan
    again). `purchase_sql` (with `purchase_params`) gives the purchase's id. No ON CONFLICT: the purchase
    is new, so its rows cannot be there yet."""
    # One array per column (unnest): the statement's text is the same whatever the number of boosts, so that
    # PostgreSQL keeps its plan (core.db.prepared_cursor) and psycopg its parsed form (≤ 50 parameters); each
    # array sent as its literal text (core.db.array_text: psycopg's list dumping was a third of the rows' cost).
    # The limit is read from the customer's last row's number (BoostGrant.nth), so its cost does not grow with
    # the customer's grants.
    params: list = [
        array_text([row.campaign_id for row in rows]),
        array_text([row.variant_id for row in rows]),
        array_text([row.holdout for row in rows]),
        array_text([0 if row.holdout else row.points for row in rows]),
        array_text([row.limit for row in rows]),
    ]
    return _grants_guarded_sql(purchase_sql), [*params, customer_id, customer_id, *purchase_params, at]


@lru_cache(maxsize=8)
def _grants_guarded_sql(purchase_sql: str) -> str:
    """_grants_guarded_ctes' SQL text for the purchase id expression `purchase_sql` (the same every time)."""
    table = BoostGrant._meta.db_table
    return f"""
        , boost_v (campaign_id, variant_id, holdout, points, lim) AS (
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[], %s::bigint[], %s::integer[])
        )
        , boost_n AS (  -- a limited boost's row: the customer's last one's number + 1 (one index probe)
            SELECT v.*, CASE WHEN v.lim IS NOT NULL THEN COALESCE((
                SELECT g.nth FROM {table} g
                WHERE g.campaign_id = v.campaign_id AND g.customer_id = %s AND g.nth IS NOT NULL
                ORDER BY g.nth DESC LIMIT 1
            ), 0) + 1 END AS nth
            FROM boost_v v
        )
        , boost_over AS (SELECT campaign_id FROM boost_n WHERE nth > lim AND NOT holdout)
        , boost_written AS (  -- a holdout row past the limit is not written (nothing else depends on it)
            INSERT INTO {table} ({_GRANT_COLUMNS})
            SELECT n.campaign_id, %s::bigint, {purchase_sql}, n.variant_id, n.holdout, n.points, %s::timestamptz, n.nth
            FROM boost_n n
            WHERE NOT EXISTS (SELECT 1 FROM boost_over) AND (n.nth IS NULL OR n.nth <= n.lim)
        )"""  # noqa: S608 - table names from model metadata, values are parameters


def _plain(earned: list[BoostEarned]) -> list[BoostEarned]:
    """The boosts whose grant rows need no budget counted: without a budget, or a holdout's."""
    return [boost for boost in earned if not boost.budgeted or boost.holdout]


def boosts_grants_sql(customer_id: int, at: dt.datetime, earned: list[BoostEarned]) -> BoostsSql | None:
    """loyalty's `record_sql`: the BoostGrant rows of the boosts without a budget, written by the purchase's
    own INSERT, their per-customer limits checked there (_grants_guarded_ctes); None when every boost has a
    budget (boosts_grants_record does those)."""
    plain = _plain(earned)
    if not plain:
        return None
    ctes, params = _grants_guarded_ctes(customer_id, "(SELECT id FROM purchase)", [], at, plain)
    return BoostsSql(
        ctes=ctes,
        params=params,
        stale="(SELECT array_agg(campaign_id) FROM boost_over)",
        earned=plain,
        refused=lambda campaign_ids: _limit_reached_remember(campaign_ids, customer_id),
    )


def _grants_insert_guarded(customer_id: int, purchase_id: int, at: dt.datetime, rows: list[BoostEarned]) -> set[int]:
    """_grants_guarded_ctes as a statement of its own: the ids of the campaigns at their limit (nothing
    written), else an empty set. Elsewhere than PostgreSQL (SQLite: the demo), the same with the ORM: the
    limits counted (the caller holds the customer's account lock), then the rows."""
    if connection.vendor != "postgresql":
        limited = [row for row in rows if row.limit is not None and not row.holdout]
        used = _grants_used([row.campaign_id for row in limited], customer_id) if limited else {}
        over = {row.campaign_id for row in limited if used[row.campaign_id] >= row.limit}
        if not over:
            _grant_rows_create(customer_id, purchase_id, at, [(row, 0 if row.holdout else row.points) for row in rows])
        return over
    ctes, params = _grants_guarded_ctes(customer_id, "%s::bigint", [purchase_id], at, rows)
    with prepared_cursor() as cursor:
        cursor.execute(f"WITH {ctes.strip()[1:]} SELECT campaign_id FROM boost_over", params)  # noqa: S608 - fixed fragments
        return {row[0] for row in cursor.fetchall()}


def boosts_grants_record(
    customer_id: int, purchase_id: int, at: dt.datetime, earned: list[BoostEarned]
) -> dict[int, int]:
    """Record the boosts of one purchase (inside its transaction): a BoostGrant per campaign (holdout: no
    points), and `points_granted` raised by what each gave — cut to what a budget still holds, read under
    the campaign's row lock (campaigns locked in id order). Returns {campaign id: points granted}. Raises
    BoostsStale, having written nothing, when the customer is at the per-customer limit of a boost whose
    limit was left to it (BoostEarned.limit; remembered, so find leaves it out).

    Boosts without a budget: one INSERT (_grants_insert_guarded; on PostgreSQL a purchase has them written by
    its own INSERT instead, boosts_grants_sql, and passes only the rest here), no savepoint (nothing in it can
    fail but the database itself). With a budget: an UPDATE of the counters and an INSERT, in a savepoint."""
    earned = sorted(earned, key=lambda boost: boost.campaign_id)
    asked = {boost.campaign_id: (0 if boost.holdout else boost.points) for boost in earned}
    plain = _plain(earned)
    if plain:
        over = _grants_insert_guarded(customer_id, purchase_id, at, plain)
        if over:
            _limit_reached_remember(over, customer_id)
            raise BoostsStale(over)
    budgeted = [boost for boost in earned if boost.budgeted and not boost.holdout]
    if budgeted:
        try:
            with transaction.atomic():
                _budgeted_record(customer_id, purchase_id, at, budgeted, asked)
        except Exception:
            logger.exception("recording budgeted boosts failed for purchase %s; their points not granted", purchase_id)
            for boost in budgeted:
                asked[boost.campaign_id] = 0
    return {pk: points for pk, points in asked.items()}


def _budgeted_record(
    customer_id: int, purchase_id: int, at: dt.datetime, budgeted: list[BoostEarned], asked: dict[int, int]
) -> None:
    """Count budgeted boosts' points against their budgets (cutting `asked` to what a budget holds) and
    write their grant rows (boosts_grants_record)."""
    wanted = {boost.campaign_id: asked[boost.campaign_id] for boost in budgeted if asked[boost.campaign_id] > 0}
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
    _grant_rows_create(
        customer_id,
        purchase_id,
        at,
        [(boost, asked[boost.campaign_id]) for boost in budgeted if asked[boost.campaign_id] > 0],
    )


def _grant_rows_create(
    customer_id: int, purchase_id: int, at: dt.datetime, rows: list[tuple[BoostEarned, int]]
) -> None:
    """One BoostGrant per (boost, its points) for the customer's purchase `purchase_id` at `at`, in one
    INSERT (the ORM's: budgeted boosts, and every boost where the hand-written SQL is not used); the rows of
    campaigns with a per-customer limit numbered after the customer's last (`nth`)."""
    limits = {c.id: c.per_customer_limit for c in boost_campaigns_active() if c.per_customer_limit is not None}
    limited = sorted(limits.keys() & {boost.campaign_id for boost, _points in rows})
    last = _grants_used(limited, customer_id) if limited else {}
    BoostGrant.objects.bulk_create(
        BoostGrant(
            campaign_id=boost.campaign_id,
            customer_id=customer_id,
            purchase_id=purchase_id,
            variant_id=boost.variant_id,
            holdout=boost.holdout,
            points=points,
            at=at,
            nth=last[boost.campaign_id] + 1 if boost.campaign_id in last else None,
        )
        for boost, points in rows
        # a holdout row past the limit is not written (the treated's are refused before: BoostsStale)
        if not (boost.holdout and boost.campaign_id in last and last[boost.campaign_id] >= limits[boost.campaign_id])
    )


def boosts_refund_to_budgets(
    purchase_id: int, amount: Decimal, refunded_before: Decimal, refund_amount: Decimal
) -> dict[int, int]:
    """Give back to each budgeted boost campaign the points a refund of purchase `purchase_id` reverses of
    its grant: in proportion, cumulative and rounded down as loyalty reverses them
    (loyalty.rules.refund_points_split: floor(points × refunded ÷ amount), all once wholly refunded), so
    the points a campaign counts against its budget are those the customer keeps. Campaigns without a
    budget keep no counter (their points are the grant rows'). Returns {campaign id: points returned}."""
    returned: dict[int, int] = {}
    grants = BoostGrant.objects.filter(
        purchase_id=purchase_id, holdout=False, points__gt=0, campaign__budget_points__isnull=False
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
        record_sql=boosts_grants_sql,
    )
