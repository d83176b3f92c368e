"""The set-based tier review, as one SELECT shared by the daily job and the staff page's preview.

For every customer in an id range it decides, in SQL, the tier they hold after a review as of a date:
- spend = Σ purchase.qualifying_amount over the window [midnight(D) − window days, midnight(D)),
  purchases = how many of those purchases still count (not fully refunded);
- target = the highest tier whose threshold (and purchase minimum) is met;
- target above the current tier: upgrade at once (to the target); equal: stay;
- target below: the first review that finds it sets `below_since`; once a later review finds it still
  below and the grace period has passed since `below_since`, the customer moves down ONE tier (and the
  clock restarts if they are still below the new one).

Because the preview runs the very same query with the edited tier list, its counts are what the job
will produce. Portable SQL (PostgreSQL and SQLite).
"""

import datetime as dt

from django.db import connection

from customers.models import Customer

from .models import Purchase, TierStatus
from .rules import TierRule, local_midnight, tier_window_start

DECISION_COLUMNS = ("customer_id", "has_status", "cur_id", "cur_ord", "new_id", "new_ord", "new_below", "spend")


def tier_decisions_sql(
    *,
    tiers: list[TierRule],
    as_of: dt.date,
    window_days: int | None,
    grace_days: int,
    lo: int,
    hi: int,
) -> tuple[str, list]:
    """SELECT <DECISION_COLUMNS> for customers with lo ≤ id ≤ hi. `tiers` must not be empty."""
    if not tiers:
        raise ValueError("the tier review needs at least one tier")
    end = local_midnight(as_of)
    start = tier_window_start(moment=end, window_days=window_days)
    grace_cutoff = as_of - dt.timedelta(days=grace_days)
    values_sql = ", ".join(
        ["(CAST(%s AS INTEGER), CAST(%s AS INTEGER), CAST(%s AS NUMERIC), CAST(%s AS INTEGER))"] * len(tiers)
    )
    values_params: list = []
    for tier in tiers:
        values_params += [tier.key, tier.order, tier.threshold, tier.min_purchases]
    window_sql = "created_at < %s" + (" AND created_at >= %s" if start is not None else "")
    window_params = [end] + ([start] if start is not None else [])
    # A date parameter: typed on PostgreSQL; SQLite compares ISO strings (CAST AS DATE would mangle them).
    day = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
    purchase_t, status_t, customer_t = Purchase._meta.db_table, TierStatus._meta.db_table, Customer._meta.db_table
    sql = f"""
    WITH t (id, ord, threshold, min_purchases) AS (VALUES {values_sql}),
    s AS (
        SELECT customer_id, SUM(qualifying_amount) AS spend,
               SUM(CASE WHEN qualifying_amount > 0 THEN 1 ELSE 0 END) AS n
        FROM {purchase_t}
        WHERE {window_sql} AND customer_id BETWEEN %s AND %s
        GROUP BY customer_id
    ),
    b AS (
        SELECT c.id AS customer_id,
               CASE WHEN st.customer_id IS NULL THEN 0 ELSE 1 END AS has_status,
               ct.id AS cur_id, COALESCE(ct.ord, -1) AS cur_ord, st.below_since,
               COALESCE(s.spend, 0) AS spend, COALESCE(s.n, 0) AS n
        FROM {customer_t} c
        LEFT JOIN {status_t} st ON st.customer_id = c.id
        LEFT JOIN t ct ON ct.id = st.tier_id
        LEFT JOIN s ON s.customer_id = c.id
        WHERE c.id BETWEEN %s AND %s
    ),
    g AS (
        SELECT b.*,
               COALESCE((SELECT MAX(t.ord) FROM t WHERE t.threshold <= b.spend
                         AND (t.min_purchases IS NULL OR t.min_purchases <= b.n)), -1) AS tgt_ord,
               COALESCE((SELECT MAX(t.ord) FROM t WHERE t.ord < b.cur_ord), -1) AS down_ord,
               CASE WHEN b.below_since IS NOT NULL AND b.below_since < {day} AND b.below_since <= {day}
                    THEN 1 ELSE 0 END AS grace_over
        FROM b
    ),
    d AS (
        SELECT customer_id, has_status, cur_id, cur_ord, spend,
               CASE WHEN tgt_ord >= cur_ord THEN tgt_ord
                    WHEN grace_over = 1 THEN down_ord
                    ELSE cur_ord END AS new_ord,
               CASE WHEN tgt_ord >= cur_ord THEN NULL
                    WHEN grace_over = 1 THEN (CASE WHEN tgt_ord < down_ord THEN {day} ELSE NULL END)
                    ELSE COALESCE(below_since, {day}) END AS new_below
        FROM g
    )
    SELECT d.customer_id, d.has_status, d.cur_id, d.cur_ord, nt.id AS new_id, d.new_ord, d.new_below, d.spend
    FROM d LEFT JOIN t nt ON nt.ord = d.new_ord
    """  # noqa: S608 - table names from model metadata; every value is a parameter
    params = [
        *values_params,
        *window_params,
        lo,
        hi,
        lo,
        hi,
        as_of,
        grace_cutoff,
        as_of,
        as_of,
    ]
    return sql, params
