"""Who has an occasion on a day (issue #15), for the date-driven kinds: birthday, anniversary of the first
purchase, win-back, broadcast. Pure date arithmetic (`*_days` functions, tested on their edges) and the
SQL selecting `customer_id`, `occasion` for one chunk of customer ids (PostgreSQL: local dates with
AT TIME ZONE). The rules are written out in docs/campaigns.md.

A daily run for `as_of` grants the occasions whose grant day falls in its window: from as_of − (CATCH_UP_DAYS
− 1) to as_of, but never before the campaign's first day. So a run missed for a day or two (the server was
down) is caught up by the next one, while a campaign launched today never reaches back before its start.
The occasion names the year (or the absence), so a catch-up never grants twice what an earlier run did.
"""

import calendar
import datetime as dt

from django.conf import settings

from customers.models import Customer

CATCH_UP_DAYS = 7  # a grant day missed by up to 6 days is granted by the next run


def grant_window(*, as_of: dt.date, first_day: dt.date | None) -> list[dt.date]:
    """The grant days a run for `as_of` covers, oldest first: as_of − (CATCH_UP_DAYS − 1) … as_of, none
    before `first_day` (the campaign's start, local date); empty when the campaign starts after as_of."""
    start = as_of - dt.timedelta(days=CATCH_UP_DAYS - 1)
    if first_day is not None:
        start = max(start, first_day)
    return [start + dt.timedelta(days=n) for n in range((as_of - start).days + 1)]


def celebrated_days(day: dt.date) -> list[tuple[int, int]]:
    """The (month, day) of the dates celebrated on `day`: its own, and 29 February too on 28 February of a
    year that has no 29 February."""
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        return [(2, 28), (2, 29)]
    return [(day.month, day.day)]


def birthday_days(*, window: list[dt.date], days_before: int) -> list[tuple[int, int, dt.date]]:
    """(birth month, birth day, the celebrated date) of the birthdays granted on the days of `window`: a
    birthday celebrated on C is granted on C − `days_before`; 29 February is celebrated on 28 February
    of a year without one. The occasion is "birthday:<C's year>"."""
    rows = []
    for grant_day in window:
        celebrated = grant_day + dt.timedelta(days=days_before)
        rows += [(month, day, celebrated) for month, day in celebrated_days(celebrated)]
    return rows


def anniversary_days(*, window: list[dt.date]) -> list[tuple[int, int, dt.date]]:
    """(month, day of the first purchase, the anniversary's date) granted on the days of `window`: on the
    anniversary itself (a first purchase on 29 February: 28 February of a year without one), from the
    first anniversary on (the purchase's own day is no anniversary). Occasion "anniversary:<year>"."""
    return [(month, day, celebrated) for celebrated in window for month, day in celebrated_days(celebrated)]


def _local_date(column: str) -> str:
    return f"CAST(({column} AT TIME ZONE %s) AS date)"


def _values(rows: list[tuple[int, int, dt.date]]) -> tuple[str, list]:
    sql = ", ".join(["(%s, %s, CAST(%s AS date))"] * len(rows))
    params = [value for row in rows for value in row]
    return sql, params


def birthday_sql(*, window: list[dt.date], days_before: int, lo: int, hi: int) -> tuple[str, list]:
    """Customers lo…hi with a birthday granted in `window`, born before the celebrated date."""
    rows = birthday_days(window=window, days_before=days_before)
    if not rows:
        return _nobody()
    values, params = _values(rows)
    table = Customer._meta.db_table
    sql = f"""
        SELECT c.id AS customer_id, 'birthday:' || EXTRACT(YEAR FROM v.on_day)::int AS occasion
        FROM {table} c JOIN (VALUES {values}) AS v(m, d, on_day)
          ON EXTRACT(MONTH FROM c.birthday) = v.m AND EXTRACT(DAY FROM c.birthday) = v.d
        WHERE c.id BETWEEN %s AND %s AND c.birthday IS NOT NULL AND c.birthday < v.on_day
    """  # noqa: S608 - table name from model metadata; values are parameters
    return sql, [*params, lo, hi]


def anniversary_sql(*, window: list[dt.date], lo: int, hi: int) -> tuple[str, list]:
    """Customers lo…hi whose first purchase (local date) has an anniversary (year ≥ 1) in `window`."""
    rows = anniversary_days(window=window)
    if not rows:
        return _nobody()
    values, params = _values(rows)
    table = Customer._meta.db_table
    first = _local_date("c.first_purchase_at")
    sql = f"""
        SELECT f.customer_id, 'anniversary:' || EXTRACT(YEAR FROM v.on_day)::int AS occasion
        FROM (SELECT c.id AS customer_id, {first} AS first_day FROM {table} c
              WHERE c.id BETWEEN %s AND %s AND c.first_purchase_at IS NOT NULL) f
        JOIN (VALUES {values}) AS v(m, d, on_day)
          ON EXTRACT(MONTH FROM f.first_day) = v.m AND EXTRACT(DAY FROM f.first_day) = v.d
        WHERE EXTRACT(YEAR FROM f.first_day) < EXTRACT(YEAR FROM v.on_day)
    """  # noqa: S608
    return sql, [settings.TIME_ZONE, lo, hi, *params]


def win_back_sql(*, window: list[dt.date], steps: list[int], lo: int, hi: int) -> tuple[str, list]:
    """Customers lo…hi whose last purchase (local date L) is `step` days before a day of `window`
    (L + step in the window, so L + step ≤ as_of: at least `step` days without a purchase), for the
    largest such step: occasion "absence:<L>:<step>". Customers who never bought are not selected."""
    if not window or not steps:
        return _nobody()
    from loyalty.rules import local_midnight

    table = Customer._meta.db_table
    last = _local_date("c.last_purchase_at")
    earliest = local_midnight(window[0] - dt.timedelta(days=max(steps)))
    latest = local_midnight(window[-1] - dt.timedelta(days=min(steps) - 1))
    step_rows = ", ".join(["(%s)"] * len(steps))
    sql = f"""
        SELECT DISTINCT ON (x.customer_id) x.customer_id,
               'absence:' || to_char(x.last_day, 'YYYY-MM-DD') || ':' || s.step AS occasion
        FROM (SELECT c.id AS customer_id, {last} AS last_day FROM {table} c
              WHERE c.id BETWEEN %s AND %s AND c.last_purchase_at >= %s AND c.last_purchase_at < %s) x
        JOIN (VALUES {step_rows}) AS s(step) ON x.last_day + s.step BETWEEN CAST(%s AS date) AND CAST(%s AS date)
        ORDER BY x.customer_id, s.step DESC
    """  # noqa: S608
    return sql, [settings.TIME_ZONE, lo, hi, earliest, latest, *steps, window[0], window[-1]]


def broadcast_sql(*, lo: int, hi: int) -> tuple[str, list]:
    """Every customer lo…hi, occasion "broadcast" (the target narrows them)."""
    table = Customer._meta.db_table
    return f"SELECT c.id AS customer_id, 'broadcast' AS occasion FROM {table} c WHERE c.id BETWEEN %s AND %s", [lo, hi]  # noqa: S608


def _nobody() -> tuple[str, list]:
    return "SELECT CAST(NULL AS bigint) AS customer_id, CAST(NULL AS text) AS occasion WHERE FALSE", []


# --- the same occasions row by row (SQLite, the demo's database: no AT TIME ZONE, no DISTINCT ON) -------


def occasions_rows(
    *, kind: str, window: list[dt.date], days_before: int = 0, steps: list[int] | tuple = (), lo: int, hi: int
) -> list[tuple[int, str]]:
    """(customer id, occasion) of customers lo…hi, sorted, by the rules of the `*_sql` functions above,
    computed in Python from the customers' dates (local dates by Django's time zone): what the daily run
    grants on a database without PostgreSQL's SQL (demo-sized data). `kind`: a Campaign.Kind value of the
    date-driven kinds ("birthday", "anniversary", "win_back", "broadcast"); raises ValueError for another."""
    from django.db.models import Q
    from django.utils import timezone

    customers = Customer.objects.filter(id__gte=lo, id__lte=hi)
    rows: list[tuple[int, str]] = []
    if kind == "birthday":
        days = birthday_days(window=window, days_before=days_before)
        if not days:
            return []
        match = Q()
        for month, day, _on in days:
            match |= Q(birthday__month=month, birthday__day=day)
        for customer_id, birthday in customers.filter(match).values_list("id", "birthday"):
            rows += [
                (customer_id, f"birthday:{on.year}")
                for month, day, on in days
                if (birthday.month, birthday.day) == (month, day) and birthday < on
            ]
    elif kind == "anniversary":
        days = anniversary_days(window=window)
        for customer_id, first in customers.filter(first_purchase_at__isnull=False).values_list(
            "id", "first_purchase_at"
        ):
            first_day = timezone.localtime(first).date()
            rows += [
                (customer_id, f"anniversary:{on.year}")
                for month, day, on in days
                if (first_day.month, first_day.day) == (month, day) and first_day.year < on.year
            ]
    elif kind == "win_back":
        if not window or not steps:
            return []
        from loyalty.rules import local_midnight

        earliest = local_midnight(window[0] - dt.timedelta(days=max(steps)))
        latest = local_midnight(window[-1] - dt.timedelta(days=min(steps) - 1))
        recent = customers.filter(last_purchase_at__gte=earliest, last_purchase_at__lt=latest)
        for customer_id, last in recent.values_list("id", "last_purchase_at"):
            last_day = timezone.localtime(last).date()
            step = next(
                (s for s in sorted(steps, reverse=True) if window[0] <= last_day + dt.timedelta(days=s) <= window[-1]),
                None,
            )
            if step is not None:
                rows.append((customer_id, f"absence:{last_day.isoformat()}:{step}"))
    elif kind == "broadcast":
        rows = [(customer_id, "broadcast") for customer_id in customers.values_list("id", flat=True)]
    else:
        raise ValueError(f"{kind} is not a date-driven kind")
    return sorted(rows)
