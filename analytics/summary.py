"""The customer summary (analytics.models.CustomerSummary): each customer's purchases summed up as of the
start of the nightly job's date, kept up to date incrementally, so that the nightly snapshots and the
simulator read one row per customer instead of every purchase (docs/analytics.md, "The customer summary").

PostgreSQL only (the demo's SQLite keeps to the live queries, which are the reference: every reader of
the summary is tested equal to them).

What a row holds depends only on the customer's own purchases and refunds, and on where the windows'
edges fall. So a refresh from the summary of day P to day A rebuilds exactly the rows of the customers who
- have a purchase or a refund recorded since the last refresh (an id above the last one read: any date,
  backdated imports included), or dated in [E(P), E(A)) (recorded before the last refresh but after its
  day's start, e.g. at 00:01 before the nightly job ran), or
- have a purchase that crossed an edge of a window between P and A (it left the RFM window, entered the
  replay window, left a tier window),
and leaves every other row as it is. Its first run, a change of a window, a date more than
REFRESH_MAX_DAYS after the summary's, or `full=True` rebuild every row, in ranges of FULL_CHUNK customer
ids. A date before the summary's (a replay of an old daily run) leaves it alone: readers then compute
live (summary_state_for answers None).
"""

import datetime as dt
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from core.jobs import job_lock
from customers.models import Customer
from loyalty.models import Purchase, Refund
from loyalty.rules import local_midnight, tier_window_start

from .models import CustomerSummary, CustomerSummaryState, ReplayPurchase

REPLAY_DAYS = 90  # the simulator's replay window (analytics.simulator.WINDOW_DAYS; tested equal)
REFRESH_MAX_DAYS = 31  # a longer gap since the last refresh: rebuilt in full rather than by slices
FULL_CHUNK = 100_000  # customer ids per INSERT … SELECT of a full rebuild
LOCK_WAIT_SECONDS = 600
WORK_MEM = "128MB"


@dataclass(frozen=True)
class Edges:
    """The moments a summary of day `as_of` is cut at (aware datetimes; None = no such edge: lifetime tier
    spend). `end` = E, the local midnight starting `as_of`; `rfm_from` = E's date − the RFM window;
    `replay_from` = E's date − 90 days (the simulator's first day); `history_from` = the tier window ending
    at `replay_from`; `tiers_from` = the tier window ending at E (loyalty.rules.tier_window_start)."""

    end: dt.datetime
    rfm_from: dt.datetime
    replay_from: dt.datetime
    history_from: dt.datetime | None
    tiers_from: dt.datetime | None


def summary_edges(as_of: dt.date, *, rfm_window_days: int, tier_window_days: int | None) -> Edges:
    """The Edges of the summary of `as_of` for these windows (days)."""
    replay_from = local_midnight(as_of - dt.timedelta(days=REPLAY_DAYS))
    end = local_midnight(as_of)
    return Edges(
        end=end,
        rfm_from=local_midnight(as_of - dt.timedelta(days=rfm_window_days)),
        replay_from=replay_from,
        history_from=tier_window_start(moment=replay_from, window_days=tier_window_days),
        tiers_from=tier_window_start(moment=end, window_days=tier_window_days),
    )


def _windows_now() -> tuple[int, int | None]:
    """(the analytics setting's RFM window, the program's tier window) in days, as they are now."""
    from loyalty.selectors import program_settings_get

    from .selectors import analytics_settings_get

    return analytics_settings_get().rfm_window_days, program_settings_get().tier_window_days


def _stale(state: CustomerSummaryState, *, refunds: bool = True) -> bool:
    """True when a row recorded after the summary's refresh is dated before its E: a purchase (a back-dated
    import) or, with `refunds`, a refund. Such a row changes what the summary of that day must hold, so
    the summary no longer answers for it. Two index range scans over the rows recorded since the refresh."""
    end = local_midnight(state.as_of)
    late = Purchase.objects.filter(id__gt=state.purchase_id_max, created_at__lt=end).exists()
    if refunds and not late:
        late = Refund.objects.filter(id__gt=state.refund_id_max, created_at__lt=end).exists()
    return late


def summary_state_for(
    as_of: dt.date, *, rfm_window_days: int | None = None, refunds: bool = True
) -> CustomerSummaryState | None:
    """The summary's state when the summary holds day `as_of` (E = its local midnight) over today's tier
    window and, when given, this RFM window (days), and nothing recorded since its refresh is dated before
    E (with `refunds` False, only purchases are looked at: the simulator's qualifying spend is the one of
    the refresh); None otherwise, and always on SQLite: the caller then computes live."""
    if connection.vendor != "postgresql":
        return None
    state = CustomerSummaryState.objects.filter(pk=1).first()
    if state is None or state.as_of != as_of:
        return None
    from loyalty.selectors import program_settings_get

    if state.tier_window_days != program_settings_get().tier_window_days:
        return None
    if rfm_window_days is not None and state.rfm_window_days != rfm_window_days:
        return None
    return None if _stale(state, refunds=refunds) else state


def _aggregate_sql(edges: Edges, scope: str) -> str:
    """INSERT … SELECT of the summary rows of the customers whose purchases `scope` (SQL over `p`) selects,
    computed from all their purchases before E. Named parameters: the Edges' fields."""
    purchase_t, refund_t, summary_t = Purchase._meta.db_table, Refund._meta.db_table, CustomerSummary._meta.db_table
    history = "AND created_at >= %(history_from)s" if edges.history_from is not None else ""
    at_end = "created_at >= %(tiers_from)s" if edges.tiers_from is not None else "TRUE"
    return f"""
    INSERT INTO {summary_t} (customer_id, first_at, first_id, second_at, last_at, rfm_purchases, rfm_money,
                             spend_before, purchases_before, spend_at_end, purchases_at_end)
    SELECT customer_id,
           MIN(created_at) FILTER (WHERE net > 0 AND n = 1),
           MIN(id) FILTER (WHERE net > 0 AND n = 1),
           MIN(created_at) FILTER (WHERE net > 0 AND n = 2),
           MAX(created_at) FILTER (WHERE net > 0),
           COUNT(*) FILTER (WHERE net > 0 AND created_at >= %(rfm_from)s),
           COALESCE(SUM(net) FILTER (WHERE net > 0 AND created_at >= %(rfm_from)s), 0),
           COALESCE(SUM(qualifying_amount) FILTER (WHERE created_at < %(replay_from)s {history}), 0),
           COUNT(*) FILTER (WHERE created_at < %(replay_from)s {history} AND qualifying_amount > 0),
           COALESCE(SUM(qualifying_amount) FILTER (WHERE {at_end}), 0),
           COUNT(*) FILTER (WHERE {at_end} AND qualifying_amount > 0)
    FROM (
        SELECT p.id, p.customer_id, p.created_at, p.qualifying_amount, p.amount - COALESCE(r.amount, 0) AS net,
               ROW_NUMBER() OVER (PARTITION BY p.customer_id, p.amount - COALESCE(r.amount, 0) > 0
                                  ORDER BY p.created_at, p.id) AS n
        FROM {purchase_t} p
        LEFT JOIN (SELECT purchase_id, SUM(amount) AS amount FROM {refund_t}
                   WHERE created_at < %(end)s GROUP BY purchase_id) r ON r.purchase_id = p.id
        WHERE p.created_at < %(end)s AND {scope}
    ) rows
    GROUP BY customer_id
    """  # noqa: S608 - names from model metadata and constants; every value is a parameter


def _replay_sql(scope: str) -> str:
    """INSERT … SELECT of the ReplayPurchase rows of the purchases in [replay_from, E) that `scope` (SQL over
    `p`) selects: analytics.simulator's `w` step without the lifetime's part, each customer's spend before
    the window read from the summary rows just written. Named parameters: the Edges' fields."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    summary_t, replay_t = CustomerSummary._meta.db_table, ReplayPurchase._meta.db_table
    running = (
        "OVER (PARTITION BY p.customer_id ORDER BY p.created_at, p.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    return f"""
    INSERT INTO {replay_t} (purchase_id, customer_id, amount_c, refunded_c, redeemed, earned, held, spend, purchases)
    SELECT w.id, w.customer_id, CAST(ROUND(w.amount * 100) AS BIGINT),
           CAST(ROUND(COALESCE(r.refunded, 0) * 100) AS BIGINT), w.redeemed_points, w.earned_points,
           COALESCE(w.balance_after - w.earned_points + w.redeemed_points, w.redeemed_points),
           CAST(COALESCE(s.spend_before, 0) * 100 AS BIGINT) + COALESCE(w.run_spend, 0),
           COALESCE(s.purchases_before, 0) + COALESCE(w.run_n, 0)
    FROM (
        SELECT p.id, p.customer_id, p.amount, p.redeemed_points, p.earned_points, p.balance_after,
               SUM(CAST(ROUND(p.qualifying_amount * 100) AS BIGINT)) {running} AS run_spend,
               SUM(CASE WHEN p.qualifying_amount > 0 THEN 1 ELSE 0 END) {running} AS run_n
        FROM {purchase_t} p
        WHERE p.created_at >= %(replay_from)s AND p.created_at < %(end)s AND {scope}
    ) w
    LEFT JOIN {summary_t} s ON s.customer_id = w.customer_id
    LEFT JOIN (SELECT purchase_id, SUM(amount) AS refunded FROM {refund_t}
               WHERE created_at >= %(replay_from)s AND created_at < %(end)s GROUP BY purchase_id) r
           ON r.purchase_id = w.id
    """  # noqa: S608 - names from model metadata and constants; every value is a parameter


def _touched_sql(before: Edges, after: Edges) -> tuple[str, dict]:
    """SELECT customer_id of the customers whose rows a refresh from `before` to `after` must rebuild (see
    the module's docstring), one index range per slice. Parameters: the ids last read, and the slices."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    params: dict = {"end_0": before.end, "end_1": after.end}
    # Names from model metadata and constants; every value is a parameter.
    recorded = f"SELECT customer_id FROM {purchase_t} WHERE id > %(purchase_id_max)s"  # noqa: S608
    refunded = (
        f"SELECT p.customer_id FROM {refund_t} r JOIN {purchase_t} p ON p.id = r.purchase_id "  # noqa: S608
        "WHERE r.id > %(refund_id_max)s OR (r.created_at >= %(end_0)s AND r.created_at < %(end_1)s)"
    )
    dated = "SELECT customer_id FROM {} WHERE created_at >= %({}_0)s AND created_at < %({}_1)s"
    parts = [recorded, refunded, dated.format(purchase_t, "end", "end")]
    for name in ("rfm_from", "replay_from", "history_from", "tiers_from"):
        lo, hi = getattr(before, name), getattr(after, name)
        if lo is None:
            continue
        params[f"{name}_0"], params[f"{name}_1"] = lo, hi
        parts.append(dated.format(purchase_t, name, name))
    return " UNION ".join(parts), params


def customer_summary_refresh(
    as_of: dt.date, *, full: bool = False, now: dt.datetime | None = None
) -> CustomerSummaryState | None:
    """Bring the customer summary to day `as_of` (see the module's docstring for what is rebuilt) and
    return its state; None on SQLite (nothing to do) and for a date before the summary's own (a replay:
    the summary stays, readers of that date compute live). Nothing happens when the summary already holds
    `as_of` over today's windows, unless `full`. One transaction under an advisory lock: readers see the
    old rows or the new ones. RuntimeError when another refresh holds the lock for LOCK_WAIT_SECONDS."""
    if connection.vendor != "postgresql":
        return None
    now = now or timezone.now()
    rfm_window, tier_window = _windows_now()
    started = time.perf_counter()
    with job_lock("analytics.customer_summary", wait_seconds=LOCK_WAIT_SECONDS) as got_lock, transaction.atomic():
        if not got_lock:
            raise RuntimeError(f"Customer summary {as_of.isoformat()}: another refresh held the lock for too long")
        state = CustomerSummaryState.objects.select_for_update().filter(pk=1).first()
        same_windows = state is not None and (state.rfm_window_days, state.tier_window_days) == (
            rfm_window,
            tier_window,
        )
        if state is not None and state.as_of > as_of and not full:
            return None
        if state is not None and state.as_of == as_of and same_windows and not full and not _stale(state):
            return state
        after = summary_edges(as_of, rfm_window_days=rfm_window, tier_window_days=tier_window)
        incremental = (
            not full
            and state is not None
            and same_windows
            and state.replay_days == REPLAY_DAYS
            and dt.timedelta(0) <= as_of - state.as_of <= dt.timedelta(days=REFRESH_MAX_DAYS)
        )
        ids = {
            "purchase_id_max": Purchase.objects.aggregate(m=Max("id"))["m"] or 0,
            "refund_id_max": Refund.objects.aggregate(m=Max("id"))["m"] or 0,
        }
        params = {
            name: getattr(after, name) for name in ("end", "rfm_from", "replay_from", "history_from", "tiers_from")
        }
        summary_t, replay_t = CustomerSummary._meta.db_table, ReplayPurchase._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")  # compiling these plans took 2–4 s a statement (bench)
            if incremental:
                before = summary_edges(state.as_of, rfm_window_days=rfm_window, tier_window_days=tier_window)
                touched_sql, touched_params = _touched_sql(before, after)
                cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS analytics_summary_touched (customer_id bigint)")
                cursor.execute("TRUNCATE analytics_summary_touched")
                cursor.execute(
                    f"INSERT INTO analytics_summary_touched {touched_sql}",  # noqa: S608 - built above
                    {**touched_params, "purchase_id_max": state.purchase_id_max, "refund_id_max": state.refund_id_max},
                )
                refreshed = cursor.rowcount
                cursor.execute("ANALYZE analytics_summary_touched")
                cursor.execute(
                    f"DELETE FROM {summary_t} WHERE customer_id IN (SELECT customer_id FROM analytics_summary_touched)"  # noqa: S608
                )
                cursor.execute(
                    _aggregate_sql(after, "p.customer_id IN (SELECT customer_id FROM analytics_summary_touched)"),
                    params,
                )
                # A purchase that left the replay window, or whose spend before it moved, is a touched customer's.
                cursor.execute(
                    f"DELETE FROM {replay_t} WHERE customer_id IN (SELECT customer_id FROM analytics_summary_touched)"  # noqa: S608
                )
                cursor.execute(
                    _replay_sql("p.customer_id IN (SELECT customer_id FROM analytics_summary_touched)"), params
                )
                cursor.execute("TRUNCATE analytics_summary_touched")
            else:
                # DELETE, not TRUNCATE: readers keep seeing the old rows until the commit instead of waiting.
                cursor.execute(f"DELETE FROM {summary_t}")  # noqa: S608 - a name from model metadata
                bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
                refreshed = 0
                if bounds["lo"] is not None:
                    sql = _aggregate_sql(after, "p.customer_id >= %(lo)s AND p.customer_id < %(hi)s")
                    for lo in range(bounds["lo"], bounds["hi"] + 1, FULL_CHUNK):
                        cursor.execute(sql, {**params, "lo": lo, "hi": lo + FULL_CHUNK})
                        refreshed += cursor.rowcount
                cursor.execute(f"DELETE FROM {replay_t}")  # noqa: S608 - a name from model metadata
                if bounds["lo"] is not None:
                    replay = _replay_sql("p.customer_id >= %(lo)s AND p.customer_id < %(hi)s")
                    for lo in range(bounds["lo"], bounds["hi"] + 1, FULL_CHUNK):
                        cursor.execute(replay, {**params, "lo": lo, "hi": lo + FULL_CHUNK})
            cursor.execute(f"ANALYZE {summary_t}")  # noqa: S608
            cursor.execute(f"ANALYZE {replay_t}")  # noqa: S608
        state, _created = CustomerSummaryState.objects.update_or_create(
            pk=1,
            defaults={
                "as_of": as_of,
                "rfm_window_days": rfm_window,
                "tier_window_days": tier_window,
                "replay_days": REPLAY_DAYS,
                **ids,
                "computed_at": now,
                "customers_refreshed": refreshed,
                "full": not incremental,
            },
        )
    state.seconds = time.perf_counter() - started  # for the benchmark's print; not stored
    return state
