"""Running totals of the qualifying spend (issue #16): the per-customer per-day SpendDay rows.

A purchase adds its qualifying amount to the row of its local day, a refund takes its share back from the
row of the purchase's day (not the refund's: the window counts a purchase by when it was made), both in
their own transaction (the customer's account row is locked, so no two writers race on a row; the upsert
holds anyway). Nothing moves when the window slides: it is a range of days, so the daily run has nothing
to subtract and the total can never drift with the clock.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection

from ... import rules
from ...models import SpendDay
from ...selectors import spend_days_computed, spend_days_sql


def spend_day_add(*, customer_id: int, at: dt.datetime, spend: Decimal, purchases: int) -> None:
    """Add `spend` (money, may be negative: a refund) and `purchases` (−1, 0 or 1: a purchase that starts or
    stops counting) to the customer's row for the local day of `at` (a purchase's created_at). One statement
    (INSERT … ON CONFLICT DO UPDATE, PostgreSQL and SQLite). Call inside the purchase's or refund's
    transaction."""
    spend_days_add([(customer_id, at, spend, purchases)])


def spend_days_add(rows: list[tuple[int, dt.datetime, Decimal, int]]) -> None:
    """spend_day_add for many purchases at once: [(customer id, created_at, spend, purchases), …], summed per
    customer and local day, then one INSERT … ON CONFLICT DO UPDATE for all of them (a batch, issue #16).
    Call inside the purchases' transaction, with their accounts locked."""
    upsert = spend_days_upsert_sql(rows)
    if upsert is not None:
        with connection.cursor() as cursor:
            cursor.execute(*upsert)


def spend_days_upsert_sql(rows: list[tuple[int, dt.datetime, Decimal, int]]) -> tuple[str, list] | None:
    """The statement spend_days_add runs for `rows` (same shape), as (SQL, parameters), for a caller that runs
    it inside a statement of its own (the purchase's INSERT, a data-modifying WITH); None when the rows add
    nothing."""
    totals: dict[tuple[int, dt.date], list] = {}
    for customer_id, at, spend, purchases in rows:
        if not spend and not purchases:
            continue
        total = totals.setdefault((int(customer_id), rules.local_day(at)), [Decimal("0"), 0])
        total[0] += spend
        total[1] += purchases
    if not totals:
        return None
    table = SpendDay._meta.db_table
    keys = sorted(totals)
    marks = ", ".join("(%s, %s, %s, %s)" for _key in keys)
    sql = f"""
        INSERT INTO {table} (customer_id, day, spend, purchases) VALUES {marks}
        ON CONFLICT (customer_id, day) DO UPDATE
        SET spend = {table}.spend + excluded.spend, purchases = {table}.purchases + excluded.purchases
        """  # noqa: S608 - the table name comes from model metadata, values are parameters
    return sql, [value for key in keys for value in (key[0], key[1], totals[key][0], totals[key][1])]


def spend_days_rebuild() -> int:
    """Recompute every SpendDay row from the purchases (the migration that introduced them, and loads that
    write purchases in bulk SQL: benches, imports). Returns how many rows there are now."""
    table = SpendDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        if connection.vendor == "postgresql":
            select_sql, params = spend_days_sql()
            cursor.execute(f"INSERT INTO {table} (customer_id, day, spend, purchases) {select_sql}", params)  # noqa: S608
        else:
            rows = spend_days_computed()
            SpendDay.objects.bulk_create(
                SpendDay(customer_id=c, day=d, spend=v[0], purchases=v[1]) for (c, d), v in rows.items()
            )
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]
