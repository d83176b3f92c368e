"""Reads for the loyalty program."""

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from core.formatting import ascii_digits
from core.versions import VersionedCache, versions_forget
from customers.models import Customer

from . import rules
from .boosts import boost_breakdown, earning_plan
from .exceptions import InvalidInput
from .models import (
    MONEY,
    DailyRun,
    LedgerEntry,
    PointsAccount,
    PointsLot,
    ProgramSettings,
    Purchase,
    Refund,
    SpendDay,
    Tier,
    TierStatus,
)


def _rules_load() -> tuple[ProgramSettings, tuple[Tier, ...]]:
    settings_row, _created = ProgramSettings.objects.get_or_create(pk=1)
    return settings_row, tuple(Tier.objects.order_by("order"))


# The program settings and the tiers, read on every lookup and purchase, kept per process and reloaded
# after any change of either (a trigger gives "loyalty.rules" a fresh token: core.versions).
_rules = VersionedCache("loyalty.rules", _rules_load)


def rules_forget() -> None:
    """Called by the services that change the settings or the tiers: the rest of the same request reads
    the change (other processes and later requests see the new token anyway)."""
    versions_forget()


def program_settings_held() -> ProgramSettings | None:
    """The program's settings as this process last loaded them, current or not (None: not loaded yet); never
    queries. For a guess checked against program_settings_get() afterwards (a purchase's opening statement
    reads the tier window's spend before the rules' version is known, issue #16). Do not change it."""
    held = _rules.held()
    return held[0] if held is not None else None


def program_settings_get() -> ProgramSettings:
    """The program's settings (created with their defaults on first use), from the process's cache:
    no query when the rules have not changed since it was loaded. A copy: changing it changes nothing
    until saved through program_settings_update."""
    return copy.copy(_rules.get()[0])


def lots_live(customer_id: int, now: dt.datetime) -> QuerySet[PointsLot]:
    """The customer's lots with points left and not past their expiry at `now` (pending ones included)."""
    return PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


@dataclass(frozen=True)
class PointsSummary:
    balance: int  # every live point on the account: available + pending (points past their expiry are dead
    # even before the nightly job writes them off)
    available: int  # spendable now
    pending: int  # earned, not yet spendable (activation delay)
    owed: int  # points a refund could not take back (already spent); later credits pay them first


def points_summary(customer_id: int, *, now: dt.datetime | None = None) -> PointsSummary:
    """A customer's points as of `now` (default: now), all in points."""
    now = now or timezone.now()
    owed = PointsAccount.objects.filter(pk=customer_id).values_list("points_owed", flat=True).first() or 0
    sums = lots_live(customer_id, now).aggregate(
        available=Sum("remaining", filter=Q(available_at__lte=now)),
        pending=Sum("remaining", filter=Q(available_at__gt=now)),
    )
    available, pending = sums["available"] or 0, sums["pending"] or 0
    return PointsSummary(balance=available + pending, available=available, pending=pending, owed=owed)


def points_available(customer_id: int, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return lots_live(customer_id, now).filter(available_at__lte=now).aggregate(s=Sum("remaining"))["s"] or 0


@dataclass(frozen=True)
class PurchaseQuote:
    max_redeem_points: int
    earn_points: int  # if nothing is redeemed: the cashback and the boosts (points)
    cashback_percent: Decimal
    redeem_cap_percent: Decimal
    # How earn_points splits, as Purchase.earned_breakdown: base, tier, each boost (issue #15).
    earned_breakdown: tuple = ()


def purchase_quote(
    *, customer_id: int, amount: Decimal, lines: list[rules.EarnLine] | None = None, now: dt.datetime | None = None
) -> PurchaseQuote:
    """What a purchase of `amount` (money) would redeem at most and earn if nothing is redeemed, with the
    boosts that apply now to its `lines` (none given: one line of the whole amount, no category). Raises
    loyalty.exceptions.InvalidInput (on "lines") when the lines do not add up to `amount`, as the
    purchase itself would (rules.lines_total_problem)."""
    if problem := rules.lines_total_problem([line.amount for line in lines or []], amount):
        raise InvalidInput(problem, field="lines")
    program = program_settings_get()
    now = now or timezone.now()
    available = points_available(customer_id, now=now)
    tier, cashback, cap = customer_terms(customer_id, program=program)
    parts, boosted = earning_plan(
        customer_id=customer_id,
        lines=lines or [],
        amount=amount,
        paid=amount,
        cashback=cashback,
        program=program,
        at=now,
        tier_id=tier.pk if tier is not None else None,
    )
    breakdown = parts + boost_breakdown(boosted)
    return PurchaseQuote(
        max_redeem_points=rules.max_redeemable(
            amount=amount, available_points=available, cap_percent=cap, point_value=program.point_value
        ),
        earn_points=sum(part["points"] for part in breakdown),
        cashback_percent=cashback,
        redeem_cap_percent=cap,
        earned_breakdown=tuple(breakdown),
    )


def ledger_for_customer(customer_id: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(customer_id=customer_id).select_related("actor", "purchase")


def lots_for_customer(customer_id: int, *, now: dt.datetime | None = None) -> QuerySet[PointsLot]:
    """The customer's live lots (points left, not past their expiry), soonest expiry first."""
    return lots_live(customer_id, now or timezone.now()).order_by(F("expires_at").asc(nulls_last=True), "id")


@dataclass(frozen=True)
class OperationPoints:
    """What a purchase's or a refund's credits did besides adding to the balance (points)."""

    owed_settled: int  # paid points the customer owed (the shortfall of earlier refunds)
    returned_expired: int  # came back already past their expiry and burnt at once


def operation_points(*, purchase: Purchase | None = None, refund: Refund | None = None) -> OperationPoints:
    """The OperationPoints of one purchase (its recording, not its refunds) or one refund."""
    entries = (
        LedgerEntry.objects.filter(refund=refund)
        if refund is not None
        else LedgerEntry.objects.filter(purchase=purchase, refund__isnull=True)
    )
    sums = entries.aggregate(
        owed=Sum("points", filter=Q(kind=LedgerEntry.Kind.OWED_SETTLED)),
        expired=Sum("points", filter=Q(kind=LedgerEntry.Kind.EXPIRE)),
    )
    return OperationPoints(owed_settled=-(sums["owed"] or 0), returned_expired=-(sums["expired"] or 0))


def purchases_for_customer(customer_id: int) -> QuerySet[Purchase]:
    return Purchase.objects.filter(customer_id=customer_id).prefetch_related("refunds")


@dataclass(frozen=True)
class LedgerProblem:
    """One customer whose points do not add up (all figures in points)."""

    customer_id: int
    balance: int  # the cached PointsAccount.balance
    entries: int  # Σ LedgerEntry.points
    lots: int  # Σ PointsLot.remaining
    owed: int  # the cached PointsAccount.points_owed
    owed_expected: int  # Σ refunds' shortfalls − Σ settlements
    dead_points: int  # points still in lots that expired by the last daily run's date


def ledger_problems(*, as_of: dt.date | None = None, limit: int = 100) -> list[LedgerProblem]:
    """Customers whose cached balance, entries and lots disagree, whose points owed differ from their
    refunds' unsettled shortfalls, or who still hold points that expired by `as_of` (the date of the
    last daily run: its expiry has passed them). Empty when the ledger is healthy.

    Set-based: one query over per-customer aggregates, no per-row Python.
    """
    account_t, entry_t, lot_t = PointsAccount._meta.db_table, LedgerEntry._meta.db_table, PointsLot._meta.db_table
    refund_t, purchase_t = Refund._meta.db_table, Purchase._meta.db_table
    cutoff = rules.local_midnight(as_of) if as_of is not None else None
    sql = f"""
        SELECT a.customer_id, a.balance, COALESCE(e.total, 0), COALESCE(l.total, 0), a.points_owed,
               COALESCE(s.total, 0) + COALESCE(e.settled, 0), COALESCE(l.dead, 0)
        FROM {account_t} a
        LEFT JOIN (
            SELECT customer_id, SUM(points) AS total,
                   SUM(CASE WHEN kind = %s THEN points ELSE 0 END) AS settled
            FROM {entry_t} GROUP BY customer_id
        ) e ON e.customer_id = a.customer_id
        LEFT JOIN (
            SELECT customer_id, SUM(remaining) AS total,
                   SUM(CASE WHEN remaining > 0 AND expires_at <= %s THEN remaining ELSE 0 END) AS dead
            FROM {lot_t} GROUP BY customer_id
        ) l ON l.customer_id = a.customer_id
        LEFT JOIN (
            SELECT p.customer_id, SUM(r.points_shortfall) AS total
            FROM {refund_t} r JOIN {purchase_t} p ON p.id = r.purchase_id
            WHERE r.points_shortfall > 0 GROUP BY p.customer_id
        ) s ON s.customer_id = a.customer_id
        WHERE a.balance <> COALESCE(e.total, 0) OR a.balance <> COALESCE(l.total, 0)
           OR a.points_owed <> COALESCE(s.total, 0) + COALESCE(e.settled, 0) OR COALESCE(l.dead, 0) > 0
        ORDER BY a.customer_id
        LIMIT %s
    """  # noqa: S608 - table names come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [LedgerEntry.Kind.OWED_SETTLED, cutoff, limit])
        return [LedgerProblem(*(int(value) for value in row)) for row in cursor.fetchall()]


def spend_days_sql() -> tuple[str, list]:
    """SELECT customer_id, day, spend, purchases: the running totals (SpendDay) recomputed from the purchases,
    what the stored rows must equal; the local day computed by PostgreSQL (AT TIME ZONE settings.TIME_ZONE).
    PostgreSQL only: SQLite has no time zones."""
    purchase_t = Purchase._meta.db_table
    day = "CAST((created_at AT TIME ZONE %s) AS DATE)"
    sql = f"""
        SELECT customer_id, {day} AS day, SUM(qualifying_amount) AS spend,
               SUM(CASE WHEN qualifying_amount > 0 THEN 1 ELSE 0 END) AS purchases
        FROM {purchase_t} GROUP BY customer_id, {day}
    """  # noqa: S608 - the table name comes from model metadata
    return sql, [settings.TIME_ZONE, settings.TIME_ZONE]


def spend_days_computed() -> dict[tuple[int, dt.date], list]:
    """{(customer id, local day): [spend (money), purchases that count]}: spend_days_sql's figures summed in
    Python, for SQLite (no time zones in its SQL). Reads every purchase: for tests and demo-sized data."""
    rows: dict[tuple[int, dt.date], list] = {}
    for customer_id, created_at, qualifying in Purchase.objects.values_list(
        "customer_id", "created_at", "qualifying_amount"
    ).order_by():
        row = rows.setdefault((customer_id, rules.local_day(created_at)), [Decimal("0"), 0])
        row[0] += qualifying
        row[1] += 1 if qualifying > 0 else 0
    return rows


@dataclass(frozen=True)
class SpendDayProblem:
    """A customer's day whose running total (SpendDay) differs from its purchases (money; purchases)."""

    customer_id: int
    day: dt.date
    spend: Decimal  # stored
    spend_expected: Decimal  # Σ Purchase.qualifying_amount that day
    purchases: int  # stored
    purchases_expected: int  # purchases with qualifying_amount > 0 that day


def spend_day_problems(*, limit: int = 100) -> list[SpendDayProblem]:
    """Days whose running total of the qualifying spend disagrees with the purchases (a missing row, an extra
    one, or other figures; a row of zeros where no purchase counts is fine). Empty when they agree.
    One set-based query on PostgreSQL; on SQLite (tests of other parts only) the days are summed in Python."""
    if connection.vendor != "postgresql":
        expected = spend_days_computed()
        stored = {(r.customer_id, r.day): [r.spend, r.purchases] for r in SpendDay.objects.all()}
        problems = []
        for key in sorted(set(expected) | set(stored)):
            have, want = stored.get(key, [Decimal("0"), 0]), expected.get(key, [Decimal("0"), 0])
            if have != want:
                problems.append(SpendDayProblem(key[0], key[1], have[0], want[0], have[1], want[1]))
        return problems[:limit]
    select_sql, params = spend_days_sql()
    sql = f"""
        SELECT COALESCE(s.customer_id, e.customer_id), COALESCE(s.day, e.day), COALESCE(s.spend, 0),
               COALESCE(e.spend, 0), COALESCE(s.purchases, 0), COALESCE(e.purchases, 0)
        FROM {SpendDay._meta.db_table} s
        FULL OUTER JOIN ({select_sql}) e ON e.customer_id = s.customer_id AND e.day = s.day
        WHERE COALESCE(s.spend, 0) <> COALESCE(e.spend, 0) OR COALESCE(s.purchases, 0) <> COALESCE(e.purchases, 0)
        ORDER BY 1, 2
        LIMIT %s
    """  # noqa: S608 - table names from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [SpendDayProblem(*row) for row in cursor.fetchall()]


def daily_run_latest() -> dt.date | None:
    """The latest date the daily jobs completed for, or None before the first run."""
    return DailyRun.objects.aggregate(d=Max("as_of"))["d"]


@dataclass(frozen=True)
class ProgramOverview:
    members: int
    points_outstanding: int
    points_outstanding_value: Decimal
    purchases_this_month: int
    revenue_this_month: Decimal


def program_overview(*, now: dt.datetime | None = None) -> ProgramOverview:
    now = timezone.localtime(now or timezone.now())
    month_start = rules.local_midnight(now.date().replace(day=1))
    program = program_settings_get()
    outstanding = PointsAccount.objects.aggregate(s=Sum("balance"))["s"] or 0
    month = Purchase.objects.filter(created_at__gte=month_start, created_at__lte=now).aggregate(
        n=Count("id"), revenue=Sum("amount")
    )
    return ProgramOverview(
        members=Customer.objects.count(),
        points_outstanding=outstanding,
        points_outstanding_value=rules.points_to_money(outstanding, program.point_value),
        purchases_this_month=month["n"],
        # SQLite sums decimals as floats: round to kopecks so the figure is what PostgreSQL would say.
        revenue_this_month=(month["revenue"] or Decimal("0")).quantize(rules.CENT),
    )


# --- tiers -----------------------------------------------------------------------------------------


def tiers_list() -> list[Tier]:
    """The tiers in order, lowest first, from the process's cache (as program_settings_get); copies."""
    return [copy.copy(tier) for tier in _rules.get()[1]]


def tier_rules(tiers: list[Tier]) -> list[rules.TierRule]:
    return [
        rules.TierRule(key=t.pk, order=t.order, threshold=t.threshold, min_purchases=t.min_purchases) for t in tiers
    ]


def tier_current(customer_id: int, *, tiers: list[Tier] | None = None) -> Tier | None:
    """The customer's tier; one who has no status yet holds the entry tier (threshold met with no spend)."""
    status = TierStatus.objects.filter(pk=customer_id).select_related("tier").first()
    if status is not None:
        return status.tier
    return entry_tier(tiers_list() if tiers is None else tiers)


def customer_terms(
    customer_id: int,
    *,
    program: ProgramSettings | None = None,
    tiers: list[Tier] | None = None,
    tier: Any = None,
) -> tuple[Tier | None, Decimal, Decimal]:
    """(tier, cashback %, redemption cap %) that apply to the customer's next purchase. `tier`: the tier
    held when the caller knows it already (the purchase reads the status under its lock); else it is read."""
    program = program or program_settings_get()
    if tier is None:
        tier = tier_current(customer_id, tiers=tiers)
    if tier is None:
        return None, program.base_cashback_percent, program.redeem_cap_percent
    return tier, tier.cashback_percent, tier.redeem_cap_percent


@dataclass(frozen=True)
class ProgramRate:
    """The rates one group of customers earns and redeems by: a tier's (`tier` set) or, for customers who
    hold no tier, the program's base rates (`tier` None). Percentages as Decimals (5.00 = 5 %)."""

    tier: Tier | None
    cashback_percent: Decimal
    redeem_cap_percent: Decimal


def entry_tier(tiers: list[Tier]) -> Tier | None:
    """The tier every customer holds from enrolment (its thresholds are met with no spend), or None when
    there is none, and customers below the first threshold hold no tier."""
    entry = rules.tier_for(tier_rules(tiers), spend=Decimal("0"), purchases=0)
    return next((t for t in tiers if entry and t.pk == entry.key), None)


def program_rates(
    *,
    program: ProgramSettings | None = None,
    tiers: list[Tier] | None = None,
    base_cashback_percent: Decimal | None = None,
    base_redeem_cap_percent: Decimal | None = None,
) -> list[ProgramRate]:
    """Every rate that applies to someone, the same rule as `customer_terms` (the one source of truth for
    what a customer earns): the base rates first, only when some customers can hold no tier (no entry
    tier), then each tier's. The base rates may be given (values being typed on the settings page)."""
    program = program or program_settings_get()
    tiers = tiers_list() if tiers is None else tiers
    rates = [ProgramRate(t, t.cashback_percent, t.redeem_cap_percent) for t in tiers]
    if entry_tier(tiers) is None:
        base = ProgramRate(
            None,
            program.base_cashback_percent if base_cashback_percent is None else base_cashback_percent,
            program.redeem_cap_percent if base_redeem_cap_percent is None else base_redeem_cap_percent,
        )
        rates.insert(0, base)
    return rates


@dataclass(frozen=True)
class _SpendWindow:
    """How the qualifying spend over [start, now] is read (qualifying_spend_subqueries): the running totals of
    the local days in (first_day, today) — `first_day` None: every day before today — and, one by one, the
    purchases created in [edge_from, now] or, when `first_edge_to` is set, in [start, first_edge_to)."""

    today: dt.date
    first_day: dt.date | None
    edge_from: dt.datetime
    start: dt.datetime | None
    first_edge_to: dt.datetime | None


def _spend_window(now: dt.datetime, window_days: int | None) -> _SpendWindow:
    start = rules.tier_window_start(moment=now, window_days=window_days)
    today = rules.local_day(now)
    today_midnight = rules.local_midnight(today)
    first = rules.local_day(start) if start is not None else None
    return _SpendWindow(
        today=today,
        first_day=first,
        edge_from=today_midnight if start is None else max(start, today_midnight),
        start=start,
        first_edge_to=rules.local_midnight(first + dt.timedelta(days=1))
        if first is not None and first < today
        else None,
    )


def qualifying_spend_subqueries(
    *, customer: Any, now: dt.datetime, window_days: int | None
) -> tuple[Subquery, Subquery]:
    """(spend, purchases): two subqueries for the customer `customer` (an id or an OuterRef) giving the money
    (Decimal, None when nothing) and the number of purchases (None when none) that count towards tiers over the
    window [now − window_days, now] (lifetime when window_days is None).

    Flat in history (issue #16): the whole local days strictly inside the window are read from the running
    totals (SpendDay: at most window_days rows), and only the purchases of the window's first and last
    local day one by one (the day `now` falls on, and the day the window starts on), so a customer with
    5 000 purchases costs what one with a few does. Exact: the same set as Σ Purchase.qualifying_amount
    over created_at in [start, now].
    """
    window = _spend_window(now, window_days)
    days = Q(customer_id=customer, day__lt=window.today)
    edges = Q(created_at__gte=window.edge_from)
    if window.first_day is not None:
        days &= Q(day__gt=window.first_day)
    if window.first_edge_to is not None:
        edges |= Q(created_at__gte=window.start, created_at__lt=window.first_edge_to)
    edge_purchases = Purchase.objects.filter(edges, customer_id=customer, created_at__lte=now).order_by()
    day_rows = SpendDay.objects.filter(days).order_by()
    spend = Coalesce(
        Subquery(day_rows.values("customer_id").annotate(s=Sum("spend")).values("s")), Value(Decimal("0.00"))
    ) + Coalesce(
        Subquery(edge_purchases.values("customer_id").annotate(s=Sum("qualifying_amount")).values("s")),
        Value(Decimal("0.00")),
    )
    purchases = Coalesce(
        Subquery(day_rows.values("customer_id").annotate(n=Sum("purchases")).values("n")), Value(0)
    ) + Coalesce(
        Subquery(
            edge_purchases.filter(qualifying_amount__gt=0).values("customer_id").annotate(n=Count("id")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    return ExpressionWrapper(spend, output_field=DecimalField(**MONEY)), ExpressionWrapper(
        purchases, output_field=IntegerField()
    )


def _money_sum(value: Any) -> Decimal:
    """A database SUM of money as Decimal kopecks (None: 0.00; SQLite sums decimals as floats)."""
    return Decimal(str(value)).quantize(rules.CENT) if value is not None else Decimal("0.00")


def qualifying_spend(
    customer_id: int, *, now: dt.datetime | None = None, program: ProgramSettings | None = None
) -> tuple[Decimal, int]:
    """(money spent, purchases) that count towards tiers over the window ending now: one statement, from the
    running totals, by the same window as qualifying_spend_subqueries. (0, 0) for an unknown customer.

    Written as SQL because every purchase below the top tier runs it: building the same statement through
    the ORM cost more than executing it (issue #16)."""
    now = now or timezone.now()
    program = program or program_settings_get()
    from_sql, params = _qualifying_spend_from(customer_id, now=now, window_days=program.tier_window_days)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT d.s, d.n, e.s, e.n FROM {from_sql}", params)  # noqa: S608 - fixed fragments
        return qualifying_spend_sum(*cursor.fetchone())


def qualifying_spend_sum(
    day_spend: Any, day_purchases: Any, edge_spend: Any, edge_purchases: Any
) -> tuple[Decimal, int]:
    """(money, purchases) from the four sums qualifying_spend's statement reads (d.s, d.n, e.s, e.n; None: nothing),
    for a caller that ran the same reads itself (a purchase's opening statement, issue #16)."""
    return _money_sum(day_spend) + _money_sum(edge_spend), int(day_purchases or 0) + int(edge_purchases or 0)


def qualifying_spend_window(
    now: dt.datetime, window_days: int | None
) -> tuple[dt.date, dt.date | None, dt.datetime, dt.datetime | None, dt.datetime | None]:
    """The bounds qualifying_spend reads the window [now − window_days, now] by: (today: SpendDay rows before
    it; first day: rows after it, None for a lifetime; edge from: today's purchases from then on; start and first
    edge to: the first day's purchases in [start, first edge to), both None when that day is not read apart)."""
    window = _spend_window(now, window_days)
    return window.today, window.first_day, window.edge_from, window.start, window.first_edge_to


def qualifying_spend_counts(at: dt.datetime, *, now: dt.datetime, window_days: int | None) -> bool:
    """Whether a purchase dated `at` (≤ `now`) counts in qualifying_spend over the window ending `now`: the window
    is [now − window_days, now], a lifetime when window_days is None."""
    start = rules.tier_window_start(moment=now, window_days=window_days)
    return at <= now and (start is None or at >= start)


def qualifying_spend_many(customer_ids: list[int], *, now: dt.datetime, window_days: int | None) -> dict:
    """qualifying_spend for many customers in one statement (a batch's chunk, issue #16): {customer id:
    (money, purchases)} counting towards tiers over the window [now − window_days, now] (None: lifetime);
    every id given is in the answer ((0, 0) when it has nothing). PostgreSQL (a LATERAL join)."""
    if not customer_ids:
        return {}
    from_sql, params = _qualifying_spend_from(None, now=now, window_days=window_days)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, d.s, d.n, e.s, e.n FROM unnest(%s::bigint[]) AS c (id), {from_sql}",  # noqa: S608 - fixed fragments
            [list(customer_ids), *params],
        )
        return {pk: qualifying_spend_sum(*sums) for pk, *sums in cursor.fetchall()}


def _qualifying_spend_from(customer_id: int | None, *, now: dt.datetime, window_days: int | None) -> tuple[str, list]:
    """(FROM-clause SQL of two one-row subqueries `d` (the running totals of the window's whole days: d.s
    money, d.n purchases) and `e` (the purchases of its edge days one by one: e.s, e.n), its parameters):
    the statement of qualifying_spend, shared with customer_figures. Flat in history: at most window_days
    SpendDay rows and two days' purchases. `customer_id` None: both are LATERAL subqueries of the
    customer `c.id` of a FROM item before them (qualifying_spend_many)."""
    window = _spend_window(now, window_days)
    ops = connection.ops
    customer_sql, customer_params = ("c.id", []) if customer_id is None else ("%s", [customer_id])
    lateral = "LATERAL " if customer_id is None else ""
    day_sql = f"customer_id = {customer_sql} AND day < %s"
    day_params: list[Any] = [*customer_params, ops.adapt_datefield_value(window.today)]
    if window.first_day is not None:
        day_sql += " AND day > %s"
        day_params.append(ops.adapt_datefield_value(window.first_day))
    edge_sql = "created_at >= %s"
    edge_params: list[Any] = [ops.adapt_datetimefield_value(window.edge_from)]
    if window.first_edge_to is not None:
        edge_sql = f"({edge_sql} OR (created_at >= %s AND created_at < %s))"
        edge_params += [
            ops.adapt_datetimefield_value(window.start),
            ops.adapt_datetimefield_value(window.first_edge_to),
        ]
    from_sql = f"""
        {lateral}(SELECT SUM(spend) AS s, SUM(purchases) AS n FROM {SpendDay._meta.db_table} WHERE {day_sql}) AS d,
        {lateral}(SELECT SUM(qualifying_amount) AS s, SUM(CASE WHEN qualifying_amount > 0 THEN 1 ELSE 0 END) AS n
         FROM {Purchase._meta.db_table} WHERE customer_id = {customer_sql} AND created_at <= %s AND {edge_sql}) AS e
    """  # noqa: S608 - table names come from model metadata, values are parameters
    return from_sql, [*day_params, *customer_params, ops.adapt_datetimefield_value(now), *edge_params]


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    spend: Decimal
    purchases: int
    spend_needed: Decimal  # money still to spend for the next tier (0 when only purchases are missing)
    purchases_needed: int
    percent: int  # of the way from the current tier's threshold to the next one


def tier_progress(customer_id: int, *, now: dt.datetime | None = None) -> TierProgress:
    """The customer's tier, the next one and what is still missing for it (4 queries)."""
    tiers = tiers_list()
    tier = tier_current(customer_id, tiers=tiers)
    spend, purchases = qualifying_spend(customer_id, now=now)
    return _tier_progress_make(tiers, tier, spend, purchases)


def _tier_progress_make(tiers: list[Tier], tier: Tier | None, spend: Decimal, purchases: int) -> TierProgress:
    """TierProgress from the tiers (in order), the current tier and the qualifying spend and purchases:
    the next tier is the first one above the current (the lowest when none is held)."""
    higher = [t for t in tiers if tier is None or t.order > tier.order]
    next_tier = higher[0] if higher else None
    if next_tier is None:
        return TierProgress(tier, None, spend, purchases, Decimal("0.00"), 0, 100)
    base = tier.threshold if tier else Decimal("0")
    return TierProgress(
        tier=tier,
        next_tier=next_tier,
        spend=spend,
        purchases=purchases,
        spend_needed=max(Decimal("0.00"), next_tier.threshold - spend),
        purchases_needed=max(0, (next_tier.min_purchases or 0) - purchases),
        percent=rules.tier_progress_percent(spend=spend, current_threshold=base, next_threshold=next_tier.threshold),
    )


@dataclass(frozen=True)
class CustomerStanding:
    """Where a customer stands, as a message to them tells it: `balance` (points, live lots: available and
    pending, as points_summary), `next_burn_at` (the soonest expiry of a lot with points left, None when
    nothing burns) and `progress` (tier_progress's figures)."""

    balance: int
    next_burn_at: dt.datetime | None
    progress: TierProgress


def customer_standing(
    customer_id: int,
    *,
    now: dt.datetime | None = None,
    program: ProgramSettings | None = None,
    tiers: list[Tier] | None = None,
) -> CustomerStanding:
    """The customer's balance, next burning date and tier progress as of `now` (default: now), by the same
    rules as points_summary, points_burning and tier_progress, in one query (plus one each for `program`
    and `tiers` when not given, which a caller for many customers loads once). Raises
    Customer.DoesNotExist for an unknown id."""
    now = now or timezone.now()
    program = program or program_settings_get()
    tiers = tiers_list() if tiers is None else tiers
    spend, purchase_count = qualifying_spend_subqueries(
        customer=OuterRef("pk"), now=now, window_days=program.tier_window_days
    )
    lots = (
        PointsLot.objects.filter(customer_id=OuterRef("pk"), remaining__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values("customer_id")
    )
    row = (
        Customer.objects.filter(pk=customer_id)
        .annotate(
            spend=spend,
            purchase_count=purchase_count,
            balance=Subquery(lots.annotate(s=Sum("remaining")).values("s")),
            burn=Subquery(lots.filter(expires_at__isnull=False).order_by("expires_at").values("expires_at")[:1]),
        )
        .values("tier_status__pk", "tier_status__tier_id", "spend", "purchase_count", "balance", "burn")
        .get()
    )
    if row["tier_status__pk"] is None:
        tier = entry_tier(tiers)  # as tier_current: no status yet holds the entry tier
    else:
        tier = next((t for t in tiers if t.pk == row["tier_status__tier_id"]), None)
    progress = _tier_progress_make(tiers, tier, row["spend"] or Decimal("0.00"), row["purchase_count"] or 0)
    return CustomerStanding(balance=row["balance"] or 0, next_burn_at=row["burn"], progress=progress)


@dataclass(frozen=True)
class CustomerFigures:
    """A customer's points (as points_summary) and tier progress (as tier_progress), read together."""

    points: PointsSummary
    progress: TierProgress


def customer_figures(customer_id: int, *, now: dt.datetime | None = None) -> CustomerFigures:
    """Balance, available and pending points, points owed, tier, next tier and qualifying spend as of
    `now` (default: now), by the same rules as points_summary, lots_live and tier_progress (tier_current,
    qualifying_spend), in one statement (the program settings and tiers come from the process's cache).
    Written as SQL because it runs on every lookup and till card: building the same statement through
    the ORM (four subqueries) cost more than executing it. A customer that does not exist has zero points
    and the entry tier, as with those selectors."""
    now = now or timezone.now()
    program = program_settings_get()
    tiers = tiers_list()
    at = connection.ops.adapt_datetimefield_value(now)
    lot_t, account_t, status_t = PointsLot._meta.db_table, PointsAccount._meta.db_table, TierStatus._meta.db_table
    spend_from, spend_params = _qualifying_spend_from(customer_id, now=now, window_days=program.tier_window_days)
    # Flat in history (issue #16): the balance is Σ of all lot remainders (the ledger's invariant), so the
    # available points are the balance less the dead lots (past their expiry, not yet burnt: an index range
    # of loyalty_lot_open_by_customer) and the pending ones (only lots with an activation delay can be:
    # the partial index loyalty_lot_pending holds those alone); the spend from the running totals.
    sql = f"""
        SELECT (SELECT balance FROM {account_t} WHERE customer_id = %s),
               (SELECT points_owed FROM {account_t} WHERE customer_id = %s),
               (SELECT SUM(remaining) FROM {lot_t}
                WHERE customer_id = %s AND remaining > 0 AND expires_at <= %s),
               (SELECT SUM(remaining) FROM {lot_t}
                WHERE customer_id = %s AND remaining > 0 AND available_at > created_at AND available_at > %s
                  AND (expires_at IS NULL OR expires_at > %s)),
               d.s, d.n, e.s, e.n,
               (SELECT tier_id FROM {status_t} WHERE customer_id = %s),
               EXISTS (SELECT 1 FROM {status_t} WHERE customer_id = %s)
        FROM {spend_from}
    """  # noqa: S608 - table names come from model metadata, values are parameters
    params = [
        customer_id, customer_id, customer_id, at, customer_id, at, at, customer_id, customer_id, *spend_params
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        balance, owed, dead, pending, day_spend, day_n, edge_spend, edge_n, tier_id, has_status = cursor.fetchone()
    pending = int(pending or 0)
    available = int(balance or 0) - int(dead or 0) - pending
    spend = _money_sum(day_spend) + _money_sum(edge_spend)
    purchases = int(day_n or 0) + int(edge_n or 0)
    points = PointsSummary(balance=available + pending, available=available, pending=pending, owed=int(owed or 0))
    if not has_status:
        tier = entry_tier(tiers)  # as tier_current: no status yet holds the entry tier
    else:
        tier = next((t for t in tiers if t.pk == tier_id), None)
    progress = _tier_progress_make(tiers, tier, spend, purchases)
    return CustomerFigures(points=points, progress=progress)


def tier_distribution() -> list[tuple[Tier | None, int]]:
    """How many customers hold each tier (customers never reviewed count in the entry tier)."""
    tiers = tiers_list()
    counts = dict(TierStatus.objects.values("tier_id").annotate(n=Count("pk")).values_list("tier_id", "n"))
    unreviewed = Customer.objects.filter(tier_status__isnull=True).count()
    entry = tier_current(-1, tiers=tiers)  # the tier of a customer with no status
    rows = []
    for tier in tiers:
        rows.append((tier, counts.get(tier.pk, 0) + (unreviewed if entry and entry.pk == tier.pk else 0)))
    none_count = counts.get(None, 0) + (0 if entry else unreviewed)
    if none_count:
        rows.insert(0, (None, none_count))
    return rows


def tier_preview(
    *, tiers: list[rules.TierRule], as_of: dt.date | None = None, window_days: Any = "program", grace_days: Any = None
) -> dict[Any, int]:
    """How many customers would hold each tier (by `key`, None = no tier) after saving `tiers` and
    running the daily review as of `as_of` (default today). The same SQL as the review itself."""
    return tier_preview_detail(tiers=tiers, as_of=as_of, window_days=window_days, grace_days=grace_days)[0]


@dataclass(frozen=True)
class GraceHold:
    """Customers of one tier who are below its thresholds and keep it only through the grace period:
    `count` of them, the last of whose grace periods ends on `ends_on` (a local date)."""

    count: int
    ends_on: dt.date


def tier_preview_detail(
    *, tiers: list[rules.TierRule], as_of: dt.date | None = None, window_days: Any = "program", grace_days: Any = None
) -> tuple[dict[Any, int], dict[Any, GraceHold]]:
    """`tier_preview`'s counts, and for each tier the customers it keeps only by the grace period (so that
    raising a threshold does not look like it did nothing: "99 stay Silver until … "). One query."""
    from .tier_sql import tier_decisions_sql

    program = program_settings_get()
    as_of = as_of or timezone.localdate()
    grace = program.tier_grace_days if grace_days is None else grace_days
    counts: dict[Any, int] = {t.key: 0 for t in tiers}
    held: dict[Any, GraceHold] = {}
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return counts, held
    if not tiers:
        counts[None] = Customer.objects.count()
        return counts, held
    sql, params = tier_decisions_sql(
        tiers=tiers,
        as_of=as_of,
        window_days=program.tier_window_days if window_days == "program" else window_days,
        grace_days=grace,
        lo=bounds["lo"],
        hi=bounds["hi"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT new_id, COUNT(*), SUM(CASE WHEN new_below IS NOT NULL THEN 1 ELSE 0 END), MAX(new_below) "  # noqa: S608
            f"FROM ({sql}) decisions GROUP BY new_id",
            params,
        )
        for key, n, n_held, last_below in cursor.fetchall():
            counts[key] = n
            if n_held and key is not None:
                below = dt.date.fromisoformat(str(last_below)[:10])
                held[key] = GraceHold(count=n_held, ends_on=below + dt.timedelta(days=grace))
    return counts, held


# --- the till --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burn:
    expires_at: dt.datetime
    points: int


def points_burning(customer_id: int, *, now: dt.datetime | None = None, limit: int = 3) -> list[Burn]:
    """The next dates on which points burn, with how many ("300 points burn on 12 Dec")."""
    now = now or timezone.now()
    rows = (
        PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0, expires_at__gt=now)
        .values("expires_at")
        .annotate(points=Sum("remaining"))
        .order_by("expires_at")[:limit]
    )
    return [Burn(expires_at=row["expires_at"], points=row["points"]) for row in rows]


def bonus_lots(customer_id: int, *, now: dt.datetime | None = None) -> QuerySet[PointsLot]:
    """Campaign and other bonus points still held, with their own deadlines."""
    now = now or timezone.now()
    return (
        PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0, entry__kind=LedgerEntry.Kind.BONUS)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("entry")
        .order_by(F("expires_at").asc(nulls_last=True))
    )


def balance_after_entry(customer_id: int, entry_id: int) -> int:
    """The customer's balance right after a given ledger entry (entries are append-only, ids increase)."""
    return LedgerEntry.objects.filter(customer_id=customer_id, id__lte=entry_id).aggregate(s=Sum("points"))["s"] or 0


def balance_after_purchase(purchase: Purchase) -> int:
    """The balance right after a purchase was recorded (not counting what happened since)."""
    if purchase.balance_after is not None:
        return purchase.balance_after
    last = (
        LedgerEntry.objects.filter(purchase=purchase, refund__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if last is None:  # moved no points: the balance as of the last entry before it
        last = (
            LedgerEntry.objects.filter(customer_id=purchase.customer_id, created_at__lte=purchase.created_at)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
    return balance_after_entry(purchase.customer_id, last) if last else 0


def balance_after_refund(refund: Refund) -> int:
    """The balance right after a refund was recorded (not counting what happened since)."""
    if refund.balance_after is not None:
        return refund.balance_after
    last = LedgerEntry.objects.filter(refund=refund).order_by("-id").values_list("id", flat=True).first()
    if last is None:
        last = (
            LedgerEntry.objects.filter(customer_id=refund.purchase.customer_id, created_at__lte=refund.created_at)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
    return balance_after_entry(refund.purchase.customer_id, last) if last else 0


def purchase_find(receipt: str) -> list[Purchase]:
    """Purchases by receipt / external number in any case ("chk-2611-003626" finds CHK-2611-003626, an
    index on UPPER(external_id)), or by our own number (`#123` or `123`); at most 10, newest first."""
    text = (receipt or "").strip()
    if not text:
        return []
    found = list(
        Purchase.objects.alias(receipt=Upper("external_id"))
        .filter(receipt=text.upper())
        .select_related("customer")
        .order_by("-created_at")[:10]
    )
    number = text.lstrip("#")
    if not found and ascii_digits(number) and len(number) < 18:
        found = list(Purchase.objects.filter(pk=int(number)).select_related("customer"))
    return found


def purchase_get(purchase_id: int) -> Purchase | None:
    return (
        Purchase.objects.filter(pk=purchase_id)
        .select_related("customer", "created_by")
        .prefetch_related("refunds")
        .first()
    )


# --- the console's customer list -------------------------------------------------------------------


def customers_with_program_data() -> QuerySet[Customer]:
    """Customers with their balance and tier, for lists, filters and exports: `balance` (points) and
    `tier_order`, the order of the tier the customer holds, the entry tier for one who has no status
    yet (the same rule as `tier_current`; None without an entry tier)."""
    entry = entry_tier(tiers_list())
    held_order = F("tier_status__tier__order")
    return Customer.objects.select_related("tier_status__tier").annotate(
        balance=Coalesce(F("points_account__balance"), 0),
        tier_order=Coalesce(held_order, Value(entry.order)) if entry else held_order,
    )


def customer_loyalty_data(customer_id: int) -> dict[str, Any]:
    """Everything the loyalty program holds about one customer, JSON-able, for a personal-data export:
    the balance, points owed, the tier, every ledger entry, purchase (with lines) and refund. Money as
    decimal strings in the program's currency, points as integers, moments as ISO 8601."""
    summary = points_summary(customer_id)
    tier = tier_current(customer_id)
    entries = LedgerEntry.objects.filter(customer_id=customer_id).order_by("id")
    purchases = Purchase.objects.filter(customer_id=customer_id).prefetch_related("lines", "refunds").order_by("id")
    return {
        "points": {"balance": summary.balance, "pending": summary.pending, "owed": summary.owed},
        "tier": tier.name if tier else None,
        "ledger": [
            {
                "id": e.pk,
                "at": e.created_at.isoformat(),
                "kind": e.kind,
                "points": e.points,
                "reason": e.reason,
                "expires_at": e.expires_at.isoformat() if e.expires_at else None,
            }  # fmt: skip
            for e in entries
        ],
        "purchases": [
            {
                "id": p.pk,
                "at": p.created_at.isoformat(),
                "receipt": p.external_id,
                "amount": str(p.amount),
                "paid": str(p.paid_amount),
                "points_redeemed": p.redeemed_points,
                "points_earned": p.earned_points,
                "lines": [{"sku": li.sku, "category": li.category, "amount": str(li.amount)} for li in p.lines.all()],
                "refunds": [{"at": r.created_at.isoformat(), "amount": str(r.amount)} for r in p.refunds.all()],
            }  # fmt: skip
            for p in purchases
        ],
    }
