"""What each campaign returned (issue #15; every figure defined in docs/campaigns.md, "Results"): the
treated customers against the holdout, and each variant against the holdout. Reads only; set-based SQL
(one statement for the groups' figures, one for the messages), whatever the number of grants.

The unit is the customer: a customer is in one group of a campaign for good (the split is stable per
customer and campaign), and their grant rows (one per occasion) say which. A customer "bought" when a
counted purchase of theirs falls within `response_days` after the `at` of any of their grant rows of the
campaign (holdout rows alike), from that moment (included) to `at` + N days (excluded). A purchase counts
when not wholly refunded; its revenue is its amount less everything refunded of it so far
(`Purchase.amount − Purchase.refunded_amount`, whenever the refund was made): analytics' "net" as of now.
For a boost the grant IS a purchase (a BoostGrant row naming it, `at` its moment): a customer "bought" only
with another purchase strictly after it (holdout rows alike), and a boost's points granted are net of
what the purchase's refunds took back: its share reversed in the same proportion as loyalty's refund
(loyalty.rules.refund_points_split: floor(points × refunded ÷ amount), all of them once wholly refunded).
Points redeemed are the points that redemptions took from the grants' own lots (loyalty.LotDebit of a
"redeem" entry on the lot of the grant's entry); points a refund later gave back are not subtracted.
A boost's points have no entry of their own (they are part of the purchase's earn lot), so their
redemption is not measured: points redeemed, the cost of the points, cost per returning customer and
return on points are None for a boost (not 0, which would claim the points cost nothing).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from loyalty.selectors import program_settings_get

from . import stats
from .models import Campaign, CampaignVariant


@dataclass
class GroupResult:
    """One group's figures: customers, grant rows, points granted and redeemed (ints; redeemed None when
    not measured: a boost's), customers who bought in the window, their revenue (Decimal: Σ and Σ² over the
    group's customers, zeros included), and the group's messages: {status: count}, opened, clicked."""

    key: str  # "treated", "holdout" or the variant's code
    label: str
    customers: int = 0
    grants: int = 0
    points_granted: int = 0
    points_redeemed: int | None = 0
    buyers: int = 0
    revenue: Decimal = Decimal("0.00")
    revenue_squares: Decimal = Decimal("0")
    messages: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    clicked: int = 0

    @property
    def response_rate(self) -> Decimal | None:
        return stats.rate(self.buyers, self.customers)

    @property
    def revenue_per_customer(self) -> Decimal | None:
        if not self.customers:
            return None
        return (self.revenue / self.customers).quantize(stats.CENT)

    @property
    def messages_total(self) -> int:
        return sum(self.messages.values())

    @property
    def sample(self) -> stats.Sample:
        return stats.Sample(n=self.customers, total=self.revenue, squares=self.revenue_squares)


@dataclass
class Comparison:
    """A group against the holdout: the uplift of the response rate and of revenue per customer (an
    Estimate, or None = not enough data), the incremental returning customers and revenue, the cost of
    the redeemed points (money), cost per returning customer and return on the points spent; the last
    three None when the points redeemed are not measured (a boost)."""

    group: GroupResult
    rate_uplift: stats.Estimate | None
    revenue_uplift: stats.Estimate | None
    incremental_customers: Decimal | None
    incremental_revenue: Decimal | None
    cost: Decimal | None
    cost_per_returning: Decimal | None
    return_on_points: Decimal | None


@dataclass
class CampaignResults:
    campaign: Campaign
    treated: GroupResult
    holdout: GroupResult
    variants: list[GroupResult]
    comparisons: list[Comparison]  # treated first, then each variant
    point_value: Decimal
    currency: str

    @property
    def redemption_measured(self) -> bool:
        """False for a boost: its points are part of each purchase's points (module docstring)."""
        return self.treated.points_redeemed is not None


def _moment(expr: str, days: str = "") -> str:
    """SQL for the moment `expr` (plus `days` days, an SQL expression, when given), comparable with
    another _moment: PostgreSQL compares timestamps; SQLite stores text ("YYYY-MM-DD HH:MM:SS[.ffffff]",
    the fraction only when not zero), so both sides are written alike, to the millisecond."""
    if connection.vendor == "postgresql":
        return f"({expr} + {days} * INTERVAL '1 day')" if days else expr
    shift = f", '+' || {days} || ' days'" if days else ""
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {expr}{shift})"


def _net_points_sql(points: str, purchase: str) -> str:
    """SQL for a grant's `points` net of what the refunds of its boosted purchase (alias `purchase`, NULL
    for grants of other kinds) reversed, as loyalty reverses them: floor(points × refunded ÷ amount), all
    of them once wholly refunded (loyalty.rules.refund_points_split). One fragment for the results, the
    list and campaign_points_granted, so every screen shows one figure."""
    return (
        f"{points} - CASE WHEN {purchase}.id IS NULL OR {purchase}.refunded_amount <= 0 THEN 0 "
        f"WHEN {purchase}.refunded_amount >= {purchase}.amount THEN {points} "
        f"ELSE CAST(FLOOR({points} * {purchase}.refunded_amount / {purchase}.amount) AS bigint) END"
    )


def boost_points_net(campaign_id: int) -> int:
    """The points a boost campaign's grant rows gave (int ≥ 0), net of what refunds of the boosted
    purchases took back (`_net_points_sql`, the results' figure). One aggregate over its BoostGrant rows
    (each names its purchase)."""
    sql = f"""
        SELECT COALESCE(SUM({_net_points_sql("g.points", "bp")}), 0)
        FROM campaigns_boostgrant g
        LEFT JOIN loyalty_purchase bp ON bp.id = g.purchase_id
        WHERE g.campaign_id = %s AND NOT g.holdout
    """  # noqa: S608 - fixed fragments; the id is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        return max(0, int(cursor.fetchone()[0] or 0))


def _customers_sql(campaign_ids_sql: str) -> str:
    """Per campaign and customer of its grant rows: group (holdout 0/1, variant id), grant rows, points
    granted and redeemed, bought (0/1) and revenue in the window."""
    window_end = _moment("g.at", "c.response_days")
    grant_at, bought_at = _moment("w.at"), _moment("p.created_at")
    # fixed fragments; every value is a parameter
    return f"""
        WITH g_rows AS (  -- the grant rows of every kind: boosts' (each names its purchase) and the others'
            SELECT campaign_id, customer_id, holdout, variant_id, at, points, entry_id, NULL AS purchase_id
            FROM campaigns_campaigngrant WHERE campaign_id IN ({campaign_ids_sql})
            UNION ALL
            SELECT campaign_id, customer_id, holdout, variant_id, at, points, NULL, purchase_id
            FROM campaigns_boostgrant WHERE campaign_id IN ({campaign_ids_sql})
        ),
        g0 AS (
            SELECT g.campaign_id, g.customer_id, g.holdout, g.variant_id, g.at, g.points, g.entry_id,
                   {window_end} AS until, g.purchase_id
            FROM g_rows g JOIN campaigns_campaign c ON c.id = g.campaign_id
        ),
        g AS (  -- a boost's points net of the share its purchase's refunds reversed (loyalty's rounding)
            SELECT g0.campaign_id, g0.customer_id, g0.holdout, g0.variant_id, g0.at, g0.entry_id, g0.until,
                   g0.purchase_id, {_net_points_sql("g0.points", "bp")} AS points
            FROM g0 LEFT JOIN loyalty_purchase bp ON bp.id = g0.purchase_id
        ),
        per_customer AS (
            SELECT campaign_id, customer_id, MAX(CASE WHEN holdout THEN 1 ELSE 0 END) AS holdout,
                   MIN(variant_id) AS variant_id, COUNT(*) AS grants, SUM(points) AS points
            FROM g GROUP BY campaign_id, customer_id
        ),
        bought AS (
            SELECT x.campaign_id, p.customer_id, SUM(p.amount - p.refunded_amount) AS revenue
            FROM loyalty_purchase p
            JOIN (SELECT DISTINCT campaign_id, customer_id FROM g) x ON x.customer_id = p.customer_id
            WHERE p.amount > p.refunded_amount
              AND EXISTS (SELECT 1 FROM g w WHERE w.campaign_id = x.campaign_id AND w.customer_id = p.customer_id
                          AND {bought_at} >= {grant_at} AND {bought_at} < w.until
                          AND (w.purchase_id IS NULL OR ({bought_at} > {grant_at} AND p.id <> w.purchase_id)))
            GROUP BY x.campaign_id, p.customer_id
        ),
        redeemed AS (
            SELECT g.campaign_id, g.customer_id, SUM(d.points) AS points
            FROM g JOIN loyalty_pointslot l ON l.entry_id = g.entry_id
            JOIN loyalty_lotdebit d ON d.lot_id = l.id
            JOIN loyalty_ledgerentry e ON e.id = d.entry_id AND e.kind = 'redeem'
            GROUP BY g.campaign_id, g.customer_id
        )
        SELECT pc.campaign_id, pc.customer_id, pc.holdout, pc.variant_id, pc.grants, pc.points,
               COALESCE(r.points, 0) AS redeemed,
               CASE WHEN b.customer_id IS NULL THEN 0 ELSE 1 END AS bought,
               COALESCE(b.revenue, 0) AS revenue
        FROM per_customer pc
        LEFT JOIN bought b ON b.campaign_id = pc.campaign_id AND b.customer_id = pc.customer_id
        LEFT JOIN redeemed r ON r.campaign_id = pc.campaign_id AND r.customer_id = pc.customer_id
    """  # noqa: S608


def _group_rows(campaign_ids: list[int]) -> list[tuple]:
    """(campaign id, holdout 0/1, variant id, customers, grants, points, redeemed, buyers, Σ revenue,
    Σ revenue²) per campaign and group."""
    marks = ", ".join(["%s"] * len(campaign_ids))
    sql = f"""
        SELECT s.campaign_id, s.holdout, s.variant_id, COUNT(*), SUM(s.grants), SUM(s.points), SUM(s.redeemed),
               SUM(s.bought), SUM(s.revenue), SUM(s.revenue * s.revenue)
        FROM ({_customers_sql(marks)}) s
        GROUP BY s.campaign_id, s.holdout, s.variant_id
    """  # noqa: S608 - fixed fragments; the ids are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*campaign_ids, *campaign_ids])  # the grant rows' two tables
        return cursor.fetchall()


def _message_rows(campaign: Campaign) -> list[tuple]:
    """(holdout 0/1, variant id, status, messages, opened, clicked) of the campaign's messages (kind
    "campaign:<id>"), each put in its customer's group."""
    sql = """
        SELECT pc.holdout, pc.variant_id, m.status, COUNT(*), COUNT(m.opened_at), COUNT(m.clicked_at)
        FROM messaging_message m
        JOIN (SELECT customer_id, MAX(CASE WHEN holdout THEN 1 ELSE 0 END) AS holdout, MIN(variant_id) AS variant_id
              FROM campaigns_campaigngrant WHERE campaign_id = %s GROUP BY customer_id) pc
          ON pc.customer_id = m.customer_id
        WHERE m.kind = %s
        GROUP BY pc.holdout, pc.variant_id, m.status
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, campaign.message_kind])
        return cursor.fetchall()


def _dec(value) -> Decimal:
    # SQLite adds decimals as floats: round through str to the cent they were.
    return Decimal(str(value or 0))


def _add(group: GroupResult, row: tuple) -> None:
    customers, grants, points, redeemed, buyers, revenue, squares = row
    group.customers += int(customers or 0)
    group.grants += int(grants or 0)
    group.points_granted += int(points or 0)
    if group.points_redeemed is not None:
        group.points_redeemed += int(redeemed or 0)
    group.buyers += int(buyers or 0)
    group.revenue = (group.revenue + _dec(revenue)).quantize(stats.CENT)
    group.revenue_squares += _dec(squares)


def _compare(group: GroupResult, holdout: GroupResult, point_value: Decimal) -> Comparison:
    """The group against the holdout. Figures built on an uplift are None when that uplift is not
    computable ("not enough data"): incremental customers and cost per returning customer follow the
    uplift of the response rate, incremental revenue and return on points the uplift of revenue per
    customer; computed from a handful of customers they would be noise."""
    measured = group.points_redeemed is not None
    cost = (group.points_redeemed * point_value).quantize(stats.CENT) if measured else None
    rate_uplift = stats.proportion_uplift(
        treated_yes=group.buyers, treated=group.customers, holdout_yes=holdout.buyers, holdout=holdout.customers
    )
    revenue_uplift = stats.mean_uplift(treated=group.sample, holdout=holdout.sample)
    incremental_customers = incremental_revenue = None
    if rate_uplift is not None:
        incremental_customers = stats.incremental(
            treated_rate=_exact_rate(group), holdout_rate=_exact_rate(holdout), treated=group.customers
        )
    if revenue_uplift is not None:
        incremental_revenue = stats.incremental(
            treated_rate=_exact_mean(group), holdout_rate=_exact_mean(holdout), treated=group.customers
        )
        if incremental_revenue is not None:
            incremental_revenue = incremental_revenue.quantize(stats.CENT)
    return Comparison(
        group=group,
        rate_uplift=rate_uplift,
        revenue_uplift=revenue_uplift,
        incremental_customers=incremental_customers,
        incremental_revenue=incremental_revenue,
        cost=cost,
        cost_per_returning=(
            stats.cost_per_returning(cost=cost, incremental_customers=incremental_customers) if measured else None
        ),
        return_on_points=stats.return_on_points(incremental_revenue=incremental_revenue, cost=cost)
        if measured
        else None,
    )


def _exact_rate(group: GroupResult) -> Decimal | None:
    return Decimal(group.buyers) / group.customers if group.customers else None


def _exact_mean(group: GroupResult) -> Decimal | None:
    return group.revenue / group.customers if group.customers else None


def campaign_results(campaign: Campaign) -> CampaignResults:
    """Every figure of the campaign's results page (docs/campaigns.md, "Results"), as of now. Two
    statements, plus the campaign's variants and the program settings."""
    program = program_settings_get()
    variants = list(CampaignVariant.objects.filter(campaign=campaign).order_by("code"))
    redeemed = None if campaign.kind == Campaign.Kind.BOOST else 0  # a boost's: not measured (module docstring)
    treated = GroupResult("treated", _("Treated"), points_redeemed=redeemed)
    holdout = GroupResult("holdout", _("Holdout"), points_redeemed=redeemed)
    by_variant = {
        v.pk: GroupResult(v.code, _("Variant %(code)s") % {"code": v.code}, points_redeemed=redeemed) for v in variants
    }
    for _campaign_id, is_holdout, variant_id, *figures in _group_rows([campaign.pk]):
        if is_holdout:
            _add(holdout, figures)
            continue
        _add(treated, figures)
        if variant_id in by_variant:
            _add(by_variant[variant_id], figures)
    for is_holdout, variant_id, status, count, opened, clicked in _message_rows(campaign):
        groups = [holdout] if is_holdout else [treated, *([by_variant[variant_id]] if variant_id in by_variant else [])]
        for group in groups:
            group.messages[status] = group.messages.get(status, 0) + count
            group.opened += opened
            group.clicked += clicked
    groups = [treated, *by_variant.values()]
    return CampaignResults(
        campaign=campaign,
        treated=treated,
        holdout=holdout,
        variants=list(by_variant.values()),
        comparisons=[_compare(group, holdout, program.point_value) for group in groups],
        point_value=program.point_value,
        currency=program.currency,
    )


@dataclass(frozen=True)
class Glance:
    """A campaign's figures for the list: customers reached (treated + holdout), points granted, and the
    uplift of the response rate (None = not enough data)."""

    customers: int
    points_granted: int
    uplift: stats.Estimate | None


def campaigns_at_a_glance(campaign_ids: list[int]) -> dict[int, Glance]:
    """The list's figures for each of `campaign_ids` (ints), one statement for all; a campaign without
    grant rows is missing from the answer."""
    if not campaign_ids:
        return {}
    sums: dict[int, dict[str, list[int]]] = {}
    for campaign_id, is_holdout, _variant, customers, _grants, points, _redeemed, buyers, _rev, _sq in _group_rows(
        list(campaign_ids)
    ):
        entry = sums.setdefault(campaign_id, {"treated": [0, 0], "holdout": [0, 0], "points": [0]})
        group = entry["holdout" if is_holdout else "treated"]
        group[0] += int(customers)
        group[1] += int(buyers or 0)
        entry["points"][0] += int(points or 0)
    return {
        campaign_id: Glance(
            customers=entry["treated"][0] + entry["holdout"][0],
            points_granted=entry["points"][0],
            uplift=stats.proportion_uplift(
                treated_yes=entry["treated"][1],
                treated=entry["treated"][0],
                holdout_yes=entry["holdout"][1],
                holdout=entry["holdout"][0],
            ),
        )
        for campaign_id, entry in sums.items()
    }
