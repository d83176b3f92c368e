"""Reads for the analytics figures: set-based aggregates over the other apps' data (read-only).

Every figure is defined in docs/analytics.md, precisely enough to recompute it with SQL; the names of the
keys returned here are the names used there and printed by `manage.py analytics_report`.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from customers.models import Customer
from loyalty.models import LedgerEntry, LotDebit, PointsLot, Purchase, Refund, TierChange
from loyalty.rules import local_midnight
from loyalty.selectors import entry_tier, program_settings_get, tiers_list

from . import rules
from .models import AnalyticsSettings, CustomerSummary

Kind = LedgerEntry.Kind
ACTIVE_DAYS = 90  # "active": a purchase in the last 90 days (issue #13)
RETURN_WINDOWS = (30, 60, 90)  # second-purchase conversion windows, days
SLEEP_DAYS = (30, 60, 90)  # churn: asleep for 30 / 60 / 90 days
NO_TIER = "none"  # the by-tier key of purchases made while holding no tier
ISSUE_KINDS = (Kind.EARN, Kind.BONUS, Kind.IMPORT)  # plus adjustments that add points
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _refunded_before(moment: dt.datetime) -> Coalesce:
    """Money refunded from the purchase (OuterRef "pk") by refunds recorded before `moment`."""
    refunds = (
        Refund.objects.filter(purchase=OuterRef("pk"), created_at__lt=moment)
        .order_by()
        .values("purchase")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(refunds, output_field=_MONEY), Value(Decimal("0.00")), output_field=_MONEY)


def purchases_counted(moment: dt.datetime) -> QuerySet[Purchase]:
    """The purchases that count as of `moment`: recorded before it and not wholly refunded by refunds
    recorded before it, each annotated with `net` = amount − those refunds (money, Decimal)."""
    net = ExpressionWrapper(F("amount") - _refunded_before(moment), output_field=_MONEY)
    return Purchase.objects.filter(created_at__lt=moment).annotate(net=net).filter(net__gt=0)


def _nth_purchase_at(moment: dt.datetime, n: int) -> Subquery:
    """The moment of the customer's (OuterRef "pk") n-th counted purchase (0: first), by time then id."""
    ordered = purchases_counted(moment).filter(customer=OuterRef("pk")).order_by("created_at", "id")
    return Subquery(ordered.values("created_at")[n : n + 1])


def _last_purchase_at(moment: dt.datetime, *, before: dt.datetime | None = None) -> Subquery:
    """The moment of the customer's latest counted purchase before `before` (default: `moment`)."""
    ordered = purchases_counted(moment).filter(customer=OuterRef("pk"), created_at__lt=before or moment)
    return Subquery(ordered.order_by("-created_at", "-id").values("created_at")[:1])


def _customer_figures_subqueries(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Members, buyers, return and churn figures with the ORM: one aggregate over customers with six
    subqueries each (any database: SQLite, the demo; the reference _people_and_sales_sql is tested against)."""
    since, until = local_midnight(start), local_midnight(end + dt.timedelta(days=1))
    counted = purchases_counted(until)
    in_period = counted.filter(customer=OuterRef("pk"), created_at__gte=since)
    active_since = local_midnight(end + dt.timedelta(days=1 - ACTIVE_DAYS))
    customers = Customer.objects.filter(created_at__lt=until).annotate(
        first_at=_nth_purchase_at(until, 0),
        second_at=_nth_purchase_at(until, 1),
        last_at=_last_purchase_at(until),
        last_before_period_at=_last_purchase_at(until, before=since),
        bought_in_period=Exists(in_period),
        bought_recently=Exists(counted.filter(customer=OuterRef("pk"), created_at__gte=active_since)),
    )
    first_in_period = Q(first_at__gte=since, first_at__lt=until)
    aggregates: dict[str, Any] = {
        "members": Count("pk"),
        "new_members": Count("pk", filter=Q(created_at__gte=since)),
        "active_members": Count("pk", filter=Q(bought_recently=True)),
        "buyers": Count("pk", filter=Q(bought_in_period=True)),
        "customers_with_purchase": Count("pk", filter=Q(first_at__isnull=False)),
        "customers_with_repeat": Count("pk", filter=Q(second_at__isnull=False)),
        "first_time_buyers": Count("pk", filter=first_in_period),
        "second_purchases": Count("pk", filter=Q(second_at__gte=since, second_at__lt=until)),
        "days_to_second_total": Avg(
            ExpressionWrapper(F("second_at") - F("first_at"), output_field=DurationField()),
            filter=Q(second_at__gte=since, second_at__lt=until),
        ),
    }
    for n in RETURN_WINDOWS:
        # Only first purchases at least n days before the end: their n days are over (matured).
        matured = first_in_period & Q(first_at__lte=until - dt.timedelta(days=n))
        aggregates[f"first_time_buyers_{n}"] = Count("pk", filter=matured)
        aggregates[f"returned_{n}"] = Count(
            "pk", filter=matured & Q(second_at__lte=F("first_at") + dt.timedelta(days=n))
        )
    for n in SLEEP_DAYS:
        asleep_before = local_midnight(end + dt.timedelta(days=1 - n))
        aggregates[f"asleep_{n}"] = Count("pk", filter=Q(last_at__lt=asleep_before))
        woke_before = local_midnight(start - dt.timedelta(days=n))
        aggregates[f"woke_up_{n}"] = Count("pk", filter=Q(bought_in_period=True, last_before_period_at__lt=woke_before))
    return customers.aggregate(**aggregates)


def _people_and_sales_sql(start: dt.date, end: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """_customer_figures_subqueries and _purchase_figures_subqueries of one period in one statement
    (PostgreSQL): people_and_sales_many(end, [start])."""
    return people_and_sales_many(end, [start])[start]


SHARED = "__all"  # people_and_sales_many's columns that are the same for every period


def people_and_sales_many(end: dt.date, starts: list[dt.date]) -> dict[dt.date, tuple[dict[str, Any], dict[str, Any]]]:
    """The customer and the purchase figures of every period `start`..`end` for `starts` (periods that end
    on the same day), in one statement over the purchases before that end (PostgreSQL). The counted
    purchases (net of refunds recorded before the end, above zero) are numbered per customer by time then
    id, once, and read twice:

    - per customer, their first, second and last moments (and, per period, the last before it and whether
      they bought in it), then one aggregate over the customers counts members, buyers, returns and churn
      (instead of six subqueries per customer and period);
    - the periods' purchases, number 1 being the customer's first, joined to the tier change in force at
      each (the latest before it: the change whose next one, by time then id, is not before the purchase),
      grouped by tier (instead of two subqueries per purchase).

    When the customer summary holds the end (analytics.summary, refreshed by the nightly job), the first,
    second and last moments come from it and only the recent purchases are read
    (_people_and_sales_summary_sql); otherwise every purchase before the end is
    (_people_and_sales_counted_sql).

    Returns {start: (people, sales)} with the keys and definitions (docs/analytics.md) of
    _customer_figures_subqueries and _purchase_figures_subqueries, the reference on every database (tested
    equal in test_selectors)."""
    starts = list(dict.fromkeys(starts))
    until = local_midnight(end + dt.timedelta(days=1))
    active_since = local_midnight(end + dt.timedelta(days=1 - ACTIVE_DAYS))
    tiers = tiers_list()
    entry = entry_tier(tiers)
    params: dict[str, Any] = {"until": until, "active_since": active_since, "entry": entry.pk if entry else None}
    per_customer, columns, sales_columns, sales_lists = [], [], [], []
    # The counts that depend only on the end, the same for every period: once, with the suffix SHARED.
    columns += [
        f"COUNT(*) AS members{SHARED}",
        f"COUNT(*) FILTER (WHERE x.bought_recently) AS active_members{SHARED}",
        f"COUNT(*) FILTER (WHERE x.first_at IS NOT NULL) AS customers_with_purchase{SHARED}",
        f"COUNT(*) FILTER (WHERE x.second_at IS NOT NULL) AS customers_with_repeat{SHARED}",
        *(f"COUNT(*) FILTER (WHERE x.last_at < %(asleep_{n})s) AS asleep_{n}{SHARED}" for n in SLEEP_DAYS),
    ]
    for n in RETURN_WINDOWS:
        params[f"window_{n}"] = dt.timedelta(days=n)
        params[f"matured_{n}"] = until - dt.timedelta(days=n)
    for n in SLEEP_DAYS:
        params[f"asleep_{n}"] = local_midnight(end + dt.timedelta(days=1 - n))
    for i, start in enumerate(starts):
        params[f"since_{i}"] = local_midnight(start)
        per_customer += [
            f"MAX(created_at) FILTER (WHERE created_at < %(since_{i})s) AS last_before_{i}",
            f"BOOL_OR(created_at >= %(since_{i})s) AS bought_{i}",
        ]
        first_in = f"x.first_at >= %(since_{i})s AND x.first_at < %(until)s"
        second_in = f"x.second_at >= %(since_{i})s AND x.second_at < %(until)s"
        columns += [
            f"COUNT(*) FILTER (WHERE c.created_at >= %(since_{i})s) AS new_members__{i}",
            f"COUNT(*) FILTER (WHERE x.bought_{i}) AS buyers__{i}",
            f"COUNT(*) FILTER (WHERE {first_in}) AS first_time_buyers__{i}",
            f"COUNT(*) FILTER (WHERE {second_in}) AS second_purchases__{i}",
            f"AVG(x.second_at - x.first_at) FILTER (WHERE {second_in}) AS days_to_second_total__{i}",
        ]
        for n in RETURN_WINDOWS:
            matured = f"{first_in} AND x.first_at <= %(matured_{n})s"
            columns.append(f"COUNT(*) FILTER (WHERE {matured}) AS first_time_buyers_{n}__{i}")
            columns.append(
                f"COUNT(*) FILTER (WHERE {matured} AND x.second_at <= x.first_at + %(window_{n})s) AS returned_{n}__{i}"
            )
        for n in SLEEP_DAYS:
            params[f"woke_{n}_{i}"] = local_midnight(start - dt.timedelta(days=n))
            columns.append(
                f"COUNT(*) FILTER (WHERE x.bought_{i} AND x.last_before_{i} < %(woke_{n}_{i})s) AS woke_up_{n}__{i}"
            )
        in_period = f"p.created_at >= %(since_{i})s"
        sales_columns += [
            f"COUNT(*) FILTER (WHERE {in_period}) AS n_{i}",
            f"SUM(p.net) FILTER (WHERE {in_period}) AS total_{i}",
            f"COUNT(*) FILTER (WHERE {in_period} AND p.n = 1) AS first_n_{i}",
            f"SUM(p.net) FILTER (WHERE {in_period} AND p.n = 1) AS first_total_{i}",
        ]
        # As text, so that the sums come back as exact decimals; tiers without a purchase in the period left out.
        sales_lists.append(
            f"(SELECT string_agg(concat_ws(' ', COALESCE(tier_id::text, '-'), n_{i}, total_{i}, first_n_{i}, "  # noqa: S608
            f"COALESCE(first_total_{i}, 0)), ',') FROM sales WHERE n_{i} > 0) AS sales__{i}"
        )
    params["since_min"] = min(local_midnight(start) for start in starts)
    from .summary import summary_state_for

    if summary_state_for(end + dt.timedelta(days=1)) is not None:
        sql = _people_and_sales_summary_sql(starts, params, columns, sales_columns, sales_lists)
    else:
        sql = _people_and_sales_counted_sql(starts, params, per_customer, columns, sales_columns, sales_lists)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    codes = {t.pk: t.code for t in tiers}
    result = {}
    shared = {name[: -len(SHARED)]: value for name, value in row.items() if name.endswith(SHARED)}
    for i, start in enumerate(starts):
        suffix = f"__{i}"
        people = {**shared, **{name[: -len(suffix)]: value for name, value in row.items() if name.endswith(suffix)}}
        sales_text = people.pop("sales") or ""
        groups = []
        for text in filter(None, sales_text.split(",")):
            tier, n, total, first_n, first_total = text.split(" ")
            groups.append(
                (None if tier == "-" else int(tier), int(n), Decimal(total), int(first_n), Decimal(first_total))
            )
        first_count = sum(g[3] for g in groups)
        sales = {
            "purchases": sum(g[1] for g in groups),
            "revenue": sum((g[2] for g in groups), Decimal(0)) if groups else None,
            "first_purchases": first_count,
            "first_revenue": sum((g[4] for g in groups), Decimal(0)) if first_count else None,
            "by_tier": {codes.get(g[0], NO_TIER): rules.average(g[2], g[1]) for g in groups},
        }
        result[start] = (people, sales)
    return result


def _tier_changes_sql() -> str:
    """SQL of every tier change with the moment of the customer's next one (NULL for the latest)."""
    return f"""
    SELECT customer_id, to_tier_id, created_at,
           LEAD(created_at) OVER (PARTITION BY customer_id ORDER BY created_at, id) AS next_at
    FROM {TierChange._meta.db_table}
    """  # noqa: S608 - a name from model metadata


def _sales_and_people_sql(purchases: str, columns: list[str], sales_columns, sales_lists) -> str:
    """The end both people_and_sales_many statements share, after their `x` step (one row per customer with
    a counted purchase): `changes`, the `sales` of `purchases` (an SQL source of the periods' counted
    purchases with customer_id, created_at, net and n, 1 for the customer's first) by the tier held at each,
    and the final SELECT of `columns` and the sales lists over every member."""
    return f"""changes AS ({_tier_changes_sql()}
    ), sales AS (
        SELECT CASE WHEN ch.customer_id IS NULL THEN CAST(%(entry)s AS BIGINT) ELSE ch.to_tier_id END AS tier_id,
               {", ".join(sales_columns)}
        FROM {purchases} p
        LEFT JOIN changes ch ON ch.customer_id = p.customer_id AND ch.created_at < p.created_at
                            AND (ch.next_at IS NULL OR p.created_at <= ch.next_at)
        GROUP BY 1
    )
    SELECT {", ".join(columns + sales_lists)}
    FROM {Customer._meta.db_table} c LEFT JOIN x ON x.customer_id = c.id
    WHERE c.created_at < %(until)s"""  # noqa: S608 - table names from model metadata; every value is a parameter


def _people_and_sales_counted_sql(
    starts: list[dt.date], params: dict, per_customer: list[str], columns: list[str], sales_columns, sales_lists
) -> str:
    """people_and_sales_many's statement over every purchase before the end: the counted purchases numbered
    per customer (one sort of them all), their first, second and last moments per customer."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    return f"""
    WITH refunded AS (
        SELECT purchase_id, SUM(amount) AS amount FROM {refund_t} WHERE created_at < %(until)s GROUP BY purchase_id
    ), counted AS MATERIALIZED (
        SELECT p.customer_id, p.created_at, p.amount - COALESCE(r.amount, 0) AS net,
               ROW_NUMBER() OVER (PARTITION BY p.customer_id ORDER BY p.created_at, p.id) AS n
        FROM {purchase_t} p LEFT JOIN refunded r ON r.purchase_id = p.id
        WHERE p.created_at < %(until)s AND p.amount - COALESCE(r.amount, 0) > 0
    ), x AS (
        SELECT customer_id,
               MIN(created_at) AS first_at,
               MIN(created_at) FILTER (WHERE n = 2) AS second_at,
               MAX(created_at) AS last_at,
               BOOL_OR(created_at >= %(active_since)s) AS bought_recently,
               {", ".join(per_customer)}
        FROM counted GROUP BY customer_id
    ), {_sales_and_people_sql("(SELECT * FROM counted WHERE created_at >= %(since_min)s)", columns, sales_columns, sales_lists)}
    """  # noqa: S608 - table names from model metadata; every value is a parameter


def _people_and_sales_summary_sql(
    starts: list[dt.date], params: dict, columns: list[str], sales_columns, sales_lists
) -> str:
    """people_and_sales_many's statement when the customer summary (analytics.summary) holds the period's
    end E: each customer's first, second and last counted purchase come from it, and only the purchases of
    the 90 days before the earliest period's start onwards are read (instead of all, with a sort), for:

    - the latest counted purchase before each period (who "woke up"): only whether it is before the
      start − n days matters, n ≤ 90, so one more than 90 days old, or none in those days while the
      first purchase is before the start, stands as −infinity; none at all stays NULL;
    - the periods' purchases, first ones being those whose id is the customer's first counted purchase's.

    Adds its parameters to `params`. Tested equal to the counted version (test_summary)."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    summary_t = CustomerSummary._meta.db_table
    far = max(SLEEP_DAYS)
    last_before, flags = [], []
    for i, start in enumerate(starts):
        params[f"before_from_{i}"] = local_midnight(start - dt.timedelta(days=far))
        last_before.append(
            f"MAX(created_at) FILTER (WHERE created_at >= %(before_from_{i})s AND created_at < %(since_{i})s) AS lb_{i}"
        )
        flags += [
            f"CASE WHEN s.first_at < %(since_{i})s THEN COALESCE(lb.lb_{i}, '-infinity') END AS last_before_{i}",
            f"s.last_at >= %(since_{i})s AS bought_{i}",
        ]
    params["scan_from"] = min(params[f"before_from_{i}"] for i in range(len(starts)))
    # A purchase of the periods is its customer's first when its id is the summary's first_id; that first is
    # then in the periods too, so only the first ids of the customers who first bought in them are joined
    # (a small hash), not every summary row.
    first_marked = f"""(SELECT r.customer_id, r.created_at, r.net, CASE WHEN f.first_id IS NULL THEN 2 ELSE 1 END AS n
              FROM recent r
              LEFT JOIN (SELECT first_id FROM {summary_t} WHERE first_at >= %(since_min)s) f ON f.first_id = r.id
              WHERE r.created_at >= %(since_min)s)"""  # noqa: S608 - a name from model metadata
    return f"""
    WITH refunded AS (
        SELECT purchase_id, SUM(amount) AS amount FROM {refund_t} WHERE created_at < %(until)s GROUP BY purchase_id
    ), recent AS MATERIALIZED (
        SELECT p.id, p.customer_id, p.created_at, p.amount - COALESCE(r.amount, 0) AS net
        FROM {purchase_t} p LEFT JOIN refunded r ON r.purchase_id = p.id
        WHERE p.created_at >= %(scan_from)s AND p.created_at < %(until)s AND p.amount - COALESCE(r.amount, 0) > 0
    ), lb AS (
        SELECT customer_id, {", ".join(last_before)} FROM recent GROUP BY customer_id
    ), x AS (
        SELECT s.customer_id, s.first_at, s.second_at, s.last_at, s.last_at >= %(active_since)s AS bought_recently,
               {", ".join(flags)}
        FROM {summary_t} s LEFT JOIN lb ON lb.customer_id = s.customer_id
        WHERE s.first_at IS NOT NULL
    ), {_sales_and_people_sql(first_marked, columns, sales_columns, sales_lists)}
    """  # noqa: S608 - table names from model metadata; every value is a parameter


def _tier_at_purchase(default_tier_id: int | None) -> Case:
    """The tier the customer held when the purchase (OuterRef) was made: the `to_tier` of their latest
    tier change strictly before it; with no change before it, the entry tier (as loyalty.selectors.
    customer_terms treats a customer without a status), or None where there is no entry tier."""
    before = TierChange.objects.filter(customer=OuterRef("customer_id"), created_at__lt=OuterRef("created_at"))
    latest = before.order_by("-created_at", "-id").values("to_tier")[:1]
    return Case(
        When(Exists(before), then=Subquery(latest)),
        default=Value(default_tier_id),
        output_field=BigIntegerField(),
    )


def _purchase_figures_subqueries(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Purchases in the period and their average checks (overall, first / repeat, by tier) with the ORM: two
    queries with subqueries per purchase (any database; the reference _people_and_sales_sql is tested against)."""
    since, until = local_midnight(start), local_midnight(end + dt.timedelta(days=1))
    counted = purchases_counted(until)
    earlier = counted.filter(customer=OuterRef("customer_id")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
    )
    tiers = tiers_list()
    entry = entry_tier(tiers)
    period = counted.filter(created_at__gte=since).annotate(
        is_first=~Exists(earlier), tier_id=_tier_at_purchase(entry.pk if entry else None)
    )
    totals = period.aggregate(
        purchases=Count("pk"),
        revenue=Sum("net"),
        first_purchases=Count("pk", filter=Q(is_first=True)),
        first_revenue=Sum("net", filter=Q(is_first=True)),
    )
    by_tier_rows = period.order_by().values("tier_id").annotate(n=Count("pk"), total=Sum("net"))
    codes = {t.pk: t.code for t in tiers}
    totals["by_tier"] = {
        codes.get(row["tier_id"], NO_TIER): rules.average(row["total"], row["n"]) for row in by_tier_rows
    }
    return totals


def _points_figures(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Ledger figures of the period and up to its end: one aggregate over the entries, two over lots."""
    since, until = local_midnight(start), local_midnight(end + dt.timedelta(days=1))
    in_period = Q(created_at__gte=since)
    issued = Q(kind__in=ISSUE_KINDS) | Q(kind=Kind.ADJUSTMENT, points__gt=0)
    ledger = LedgerEntry.objects.filter(created_at__lt=until).aggregate(
        issued=Sum("points", filter=in_period & issued),
        redeemed=Sum("points", filter=in_period & Q(kind=Kind.REDEEM)),
        expired=Sum("points", filter=in_period & Q(kind=Kind.EXPIRE)),
        redeemed_to_date=Sum("points", filter=Q(kind=Kind.REDEEM)),
        expired_to_date=Sum("points", filter=Q(kind=Kind.EXPIRE)),
        redeemers=Count("customer", distinct=True, filter=Q(kind=Kind.REDEEM)),
    )
    live = Q(created_at__lt=until) & (Q(expires_at__isnull=True) | Q(expires_at__gt=until))
    pending = Q(available_at__gt=until)
    credited = PointsLot.objects.filter(live).aggregate(all=Sum("points"), pending=Sum("points", filter=pending))
    debited = LotDebit.objects.filter(entry__created_at__lt=until, lot__in=PointsLot.objects.filter(live)).aggregate(
        all=Sum("points"), pending=Sum("points", filter=Q(lot__available_at__gt=until))
    )
    return {
        "issued": ledger["issued"] or 0,
        "redeemed": -(ledger["redeemed"] or 0),
        "expired": -(ledger["expired"] or 0),
        "redeemed_to_date": -(ledger["redeemed_to_date"] or 0),
        "expired_to_date": -(ledger["expired_to_date"] or 0),
        "redeemers": ledger["redeemers"],
        "outstanding": (credited["all"] or 0) - (debited["all"] or 0),
        "pending": (credited["pending"] or 0) - (debited["pending"] or 0),
    }


def period_figures(
    start: dt.date,
    end: dt.date,
    *,
    points_of: Callable[[dt.date, dt.date], dict[str, Any]] | None = None,
    people_and_sales_of: Callable[[dt.date, dt.date], tuple[dict, dict]] | None = None,
) -> dict[str, Any]:
    """Every figure of docs/analytics.md for one period: inclusive local dates `start`..`end` in the shop's
    time zone (settings.TIME_ZONE), i.e. moments in [local midnight of start, local midnight after end).

    Figures "as of the end" use that last moment. Money: Decimal (0.01) in the program's currency; points:
    int; rates and shares: Decimal fractions (0.0001); None where a denominator is zero. `points_of` gives
    the ledger and lot sums instead of _points_figures (the nightly snapshot's analytics.points_days, which
    reads them once for all its periods); `people_and_sales_of` the customer and purchase figures (the
    nightly snapshot's, from people_and_sales_many for all its periods that end on the same day).
    """
    if people_and_sales_of is not None:
        people, sales = people_and_sales_of(start, end)
    elif connection.vendor == "postgresql":
        people, sales = _people_and_sales_sql(start, end)
    else:
        people, sales = _customer_figures_subqueries(start, end), _purchase_figures_subqueries(start, end)
    points = (points_of or _points_figures)(start, end)
    point_value = program_settings_get().point_value
    repeat_purchases = sales["purchases"] - sales["first_purchases"]
    repeat_revenue = (sales["revenue"] or 0) - (sales["first_revenue"] or 0)
    expiry_rate = rules.ratio(points["expired_to_date"], points["expired_to_date"] + points["redeemed_to_date"])
    liability_value = rules.money(points["outstanding"] * point_value)
    figures: dict[str, Any] = {
        "members": people["members"],
        "new_members": people["new_members"],
        "active_members": people["active_members"],
        "buyers": people["buyers"],
        "purchases": sales["purchases"],
        "revenue": rules.money(sales["revenue"]),
        "repeat_rate": rules.ratio(people["customers_with_repeat"], people["customers_with_purchase"]),
        "first_time_buyers": people["first_time_buyers"],
    }
    for n in RETURN_WINDOWS:
        figures[f"second_purchase_{n}d_rate"] = rules.ratio(people[f"returned_{n}"], people[f"first_time_buyers_{n}"])
    figures.update(
        {
            "purchase_frequency": rules.average(sales["purchases"], people["buyers"]),
            "second_purchases": people["second_purchases"],
            "days_to_second_purchase_mean": rules.days(people["days_to_second_total"]),
            "avg_check": rules.average(sales["revenue"], sales["purchases"]),
            "avg_check_first": rules.average(sales["first_revenue"], sales["first_purchases"]),
            "avg_check_repeat": rules.average(repeat_revenue, repeat_purchases),
            "avg_check_by_tier": dict(sorted(sales["by_tier"].items())),
            "points_issued": points["issued"],
            "points_redeemed": points["redeemed"],
            "redemption_rate": rules.ratio(points["redeemed"], points["issued"]),
            "members_ever_redeemed_share": rules.ratio(points["redeemers"], people["members"]),
            "avg_balance": rules.average(points["outstanding"], people["members"]),
            "points_expired": points["expired"],
            "breakage_rate": rules.ratio(points["expired"], points["expired"] + points["redeemed"]),
            "points_outstanding": points["outstanding"],
            "points_pending": points["pending"],
            "liability_value": liability_value,
            "liability_expiry_rate": expiry_rate,
            "liability_expected_cost": rules.expected_cost(liability_value, expiry_rate),
        }
    )
    for n in SLEEP_DAYS:
        figures[f"asleep_{n}d"] = people[f"asleep_{n}"]
    for n in SLEEP_DAYS:
        figures[f"woke_up_{n}d"] = people[f"woke_up_{n}"]
    return figures


def _changes(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """rules.change of every figure that is one number (not avg_check_by_tier, an object by tier)."""
    return {key: rules.change(value, before[key]) for key, value in now.items() if not isinstance(value, dict)}


def period_kpis(
    start: dt.date, end: dt.date, *, figures_of: Callable[[dt.date, dt.date], dict[str, Any]] = period_figures
) -> dict[str, Any]:
    """The period's figures beside those of the previous period of equal length, and the relative change
    of the main ones: {"period": {"start", "end", "figures"}, "previous_period": {…}, "change": {key: rate}}.

    `start`..`end` are inclusive dates in the shop's time zone (analytics.rules.period_check validates them
    for the command). Dates are ISO strings; see period_figures for units. `figures_of` computes one
    period's figures (period_figures; the nightly snapshot passes one that reuses figures it already has).
    """
    current = rules.Period(start=start, end=end)
    previous = rules.period_previous(current)
    now_figures = figures_of(current.start, current.end)
    before_figures = figures_of(previous.start, previous.end)
    return {
        "period": {"start": current.start.isoformat(), "end": current.end.isoformat(), "figures": now_figures},
        "previous_period": {
            "start": previous.start.isoformat(),
            "end": previous.end.isoformat(),
            "figures": before_figures,
        },
        "change": _changes(now_figures, before_figures),
    }


def analytics_settings_get() -> AnalyticsSettings:
    """The analytics settings' one row (created with its defaults on first read: no key metric, an RFM
    window of 365 days). Changed only by analytics.services.analytics_settings_update."""
    row, _created = AnalyticsSettings.objects.get_or_create(pk=1)
    return row


def key_metric_window(days: int, *, today: dt.date) -> rules.Period:
    """The `days` (int) whole local days ending yesterday: the window the key metric is measured over, for
    its baseline on the day a target is set and for its current value on every later day (today is not
    over yet, so it is left out)."""
    end = today - dt.timedelta(days=1)
    return rules.Period(start=end - dt.timedelta(days=days - 1), end=end)
