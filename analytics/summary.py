"""The customer summary (analytics.models.CustomerSummary): each customer's purchases summed up as of the
start of the nightly job's date, kept up to date incrementally, so that the nightly snapshots and the
simulator read one row per customer instead of every purchase (docs/analytics.md, "The customer summary").

PostgreSQL only (the demo's SQLite keeps to the live queries, which are the reference: every reader of
the summary is tested equal to them).

What a row holds depends only on the customer's own purchases and refunds, and on where the windows'
edges fall. So a refresh from the summary of day P to day A
- rebuilds from all their purchases the rows of the customers who have a purchase or a refund recorded
  since the last refresh (an id above the last one read: any date, backdated imports included), or dated
  in [E(P), E(A)) (recorded before the last refresh but after its day's start, e.g. at 00:01 before the
  nightly job ran);
- moves the rows of the other customers who have a purchase that crossed an edge of a window between P
  and A (it left the RFM window, left the replay window for the spend before it, left a tier window):
  the sums of the slice between the old and the new edge are taken from (or added to) their stored sums,
  without reading their other purchases (_slices_sql);
and leaves every other row as it is. The CustomerMonth rows (each customer's counted purchases by local
month, for the cohorts) depend on no window's edge: only the months of the purchases and refunds recorded
since the last refresh or dated in [E(P), E(A)) are rebuilt. Its first run, a change of a window, a date more than
REFRESH_MAX_DAYS after the summary's, or `full=True` rebuild every row, in ranges of FULL_CHUNK customer
ids. A date before the summary's (a replay of an old daily run) leaves it alone: readers then compute
live (summary_state_for answers None).
"""

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from core.jobs import job_lock
from customers.models import Customer
from loyalty.models import Purchase, Refund
from loyalty.rules import local_midnight, tier_window_start

from .models import CustomerMonth, CustomerSummary, CustomerSummaryState, ReplayPurchase

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


def _purchases_of(touched: str | None, scope: str, *, since: str | None = None) -> str:
    """FROM … WHERE of the purchases before E (from `since`, a parameter's name, when given) with `r.amount`,
    their refunds recorded before E: of the customers in the table `touched` (one index range per customer
    on (customer, created_at) and one look-up of each purchase's refunds: the few customers a night
    rebuilds; OFFSET 0 keeps PostgreSQL from turning the look-ups into a scan of every purchase), or, with `touched` None, those `scope` (SQL over `p`)
    selects (a scan with one grouped pass over the refunds: a full rebuild's range of customers)."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    since_sql = f"AND created_at >= %({since})s" if since else ""
    if touched is None:
        return f"""FROM {purchase_t} p
        LEFT JOIN (SELECT purchase_id, SUM(amount) AS amount FROM {refund_t}
                   WHERE created_at < %(end)s {since_sql} GROUP BY purchase_id) r ON r.purchase_id = p.id
        WHERE p.created_at < %(end)s {since_sql.replace("created_at", "p.created_at")} AND {scope}"""  # noqa: S608
    return f"""FROM {touched} t
        CROSS JOIN LATERAL (SELECT * FROM {purchase_t}
                            WHERE customer_id = t.customer_id AND created_at < %(end)s {since_sql} OFFSET 0) p
        LEFT JOIN LATERAL (SELECT SUM(amount) AS amount FROM {refund_t}
                           WHERE purchase_id = p.id AND created_at < %(end)s {since_sql}) r ON TRUE"""  # noqa: S608


def _aggregate_sql(edges: Edges, scope: str = "TRUE", *, touched: str | None = None) -> str:
    """INSERT … SELECT of the summary rows of the customers whose purchases `scope` (SQL over `p`) selects, or
    of the customers in the table `touched`, computed from all their purchases before E. Named parameters:
    the Edges' fields."""
    summary_t = CustomerSummary._meta.db_table
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
        {_purchases_of(touched, scope)}
    ) rows
    GROUP BY customer_id
    """  # noqa: S608 - names from model metadata and constants; every value is a parameter


def _replay_sql(scope: str = "TRUE", *, touched: str | None = None) -> str:
    """INSERT … SELECT of the ReplayPurchase rows of the purchases in [replay_from, E) that `scope` (SQL over
    `p`) selects, or of the customers in the table `touched`: analytics.simulator's `w` step without the
    lifetime's part, each customer's spend before the window read from the summary rows just written.
    Named parameters: the Edges' fields."""
    summary_t, replay_t = CustomerSummary._meta.db_table, ReplayPurchase._meta.db_table
    running = (
        "OVER (PARTITION BY p.customer_id ORDER BY p.created_at, p.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    # The few rebuilt customers: their summary rows looked up one by one (not a pass over every row; OFFSET 0
    # keeps the look-up from being turned into a hash join with every row).
    summary = (
        f"LEFT JOIN {summary_t} s ON s.customer_id = w.customer_id"
        if touched is None
        else f"LEFT JOIN LATERAL (SELECT spend_before, purchases_before FROM {summary_t} "  # noqa: S608 - a name from model metadata
        "WHERE customer_id = w.customer_id OFFSET 0) s ON TRUE"
    )
    return f"""
    INSERT INTO {replay_t} (purchase_id, customer_id, amount_c, refunded_c, redeemed, earned, held, spend, purchases)
    SELECT w.id, w.customer_id, CAST(ROUND(w.amount * 100) AS BIGINT),
           CAST(ROUND(COALESCE(w.refunded, 0) * 100) AS BIGINT), w.redeemed_points, w.earned_points,
           COALESCE(w.balance_after - w.earned_points + w.redeemed_points, w.redeemed_points),
           CAST(COALESCE(s.spend_before, 0) * 100 AS BIGINT) + COALESCE(w.run_spend, 0),
           COALESCE(s.purchases_before, 0) + COALESCE(w.run_n, 0)
    FROM (
        SELECT p.id, p.customer_id, p.amount, p.redeemed_points, p.earned_points, p.balance_after,
               r.amount AS refunded,
               SUM(CAST(ROUND(p.qualifying_amount * 100) AS BIGINT)) {running} AS run_spend,
               SUM(CASE WHEN p.qualifying_amount > 0 THEN 1 ELSE 0 END) {running} AS run_n
        {_purchases_of(touched, scope, since="replay_from")}
    ) w
    {summary}
    """  # noqa: S608 - names from model metadata and constants; every value is a parameter


def _months_sql(scope: str = "TRUE", *, touched: str | None = None) -> str:
    """INSERT … SELECT of the CustomerMonth rows of the customers whose purchases `scope` (SQL over `p`)
    selects, or of the (customer_id, month) pairs in the table `touched`: their counted purchases before E
    (net of the refunds recorded before E, above zero) summed by local calendar month. For `touched`, each
    pair's purchases are one index range on (customer, created_at) between the month's local midnights, and
    their refunds a look-up each. Named parameters: `end`, `zone`."""
    month_t, purchase_t, refund_t = CustomerMonth._meta.db_table, Purchase._meta.db_table, Refund._meta.db_table
    local_month = "CAST(date_trunc('month', p.created_at AT TIME ZONE %(zone)s) AS DATE)"
    if touched is None:
        return f"""
        INSERT INTO {month_t} (customer_id, month, net)
        SELECT p.customer_id, {local_month}, SUM(p.amount - COALESCE(r.amount, 0))
        {_purchases_of(None, scope)} AND p.amount - COALESCE(r.amount, 0) > 0
        GROUP BY 1, 2
        """  # noqa: S608 - names from model metadata and constants; every value is a parameter
    return f"""
    INSERT INTO {month_t} (customer_id, month, net)
    SELECT t.customer_id, t.month, SUM(p.amount - COALESCE(r.amount, 0))
    FROM {touched} t
    CROSS JOIN LATERAL (SELECT id, amount FROM {purchase_t}
                        WHERE customer_id = t.customer_id AND created_at < %(end)s
                          AND created_at >= CAST(t.month AS TIMESTAMP) AT TIME ZONE %(zone)s
                          AND created_at < CAST(t.month + INTERVAL '1 month' AS TIMESTAMP) AT TIME ZONE %(zone)s
                        OFFSET 0) p
    LEFT JOIN LATERAL (SELECT SUM(amount) AS amount FROM {refund_t}
                       WHERE purchase_id = p.id AND created_at < %(end)s) r ON TRUE
    WHERE p.amount - COALESCE(r.amount, 0) > 0
    GROUP BY 1, 2
    """  # noqa: S608 - names from model metadata and constants; every value is a parameter


def _touched_months_sql() -> str:
    """SELECT customer_id, month of the CustomerMonth rows a refresh by slices must rebuild: the local months
    of the purchases recorded since the last refresh or dated in [E(before), E(after)), and of the purchases
    of the refunds recorded since or dated in that slice. Nothing else changes a month's counted purchases
    as of E (a row depends on no window's edge). One index range per part; the parameters of _touched_sql
    and `zone`."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    month = "CAST(date_trunc('month', p.created_at AT TIME ZONE %(zone)s) AS DATE)"
    # Names from model metadata and constants; every value is a parameter.
    return " UNION ".join(
        [
            f"SELECT p.customer_id, {month} FROM {purchase_t} p WHERE p.id > %(purchase_id_max)s",  # noqa: S608
            f"SELECT p.customer_id, {month} FROM {purchase_t} p "  # noqa: S608
            "WHERE p.created_at >= %(end_0)s AND p.created_at < %(end_1)s",
            f"SELECT p.customer_id, {month} FROM {refund_t} r JOIN {purchase_t} p ON p.id = r.purchase_id "  # noqa: S608
            "WHERE r.id > %(refund_id_max)s OR (r.created_at >= %(end_0)s AND r.created_at < %(end_1)s)",
        ]
    )


def _touched_sql(before: Edges, after: Edges) -> tuple[str, dict]:
    """SELECT customer_id of the customers whose rows a refresh from `before` to `after` must rebuild from all
    their purchases (see the module's docstring): a purchase or a refund recorded since the last refresh, or
    dated in [E(before), E(after)); also a refund dated in the slice leaving the replay window (a refund
    dated before its purchase, which only a back-dated purchase makes possible: the replayed refunds of
    the purchases still in the window would change). One index range per part. Parameters: the ids last
    read, and the slices."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    params: dict = {
        "end_0": before.end,
        "end_1": after.end,
        "replay_from_0": before.replay_from,
        "replay_from_1": after.replay_from,
    }
    # Names from model metadata and constants; every value is a parameter.
    recorded = f"SELECT customer_id FROM {purchase_t} WHERE id > %(purchase_id_max)s"  # noqa: S608
    refunded = (
        f"SELECT p.customer_id FROM {refund_t} r JOIN {purchase_t} p ON p.id = r.purchase_id "  # noqa: S608
        "WHERE r.id > %(refund_id_max)s OR (r.created_at >= %(end_0)s AND r.created_at < %(end_1)s) "
        "OR (r.created_at >= %(replay_from_0)s AND r.created_at < %(replay_from_1)s)"
    )
    dated = f"SELECT customer_id FROM {purchase_t} WHERE created_at >= %(end_0)s AND created_at < %(end_1)s"  # noqa: S608
    return " UNION ".join([recorded, refunded, dated]), params


# The sums a purchase adds to or takes from the row of a customer who is not rebuilt, by the slice it is in.
MOVED_COLUMNS = "customer_id, rfm_n, rfm_m, replay_s, replay_n, history_s, history_n, history_c, tiers_s, tiers_n"


def _slices_sql(before: Edges, after: Edges, touched: str) -> tuple[str, dict]:
    """SELECT MOVED_COLUMNS: for each customer not in `touched` (an SQL table of customer ids) with a
    purchase that crossed a window's edge between `before` and `after`, what the purchases of each slice
    (dated in [edge before, edge after)) take from or add to their row:

    - [rfm_from): counted purchases (net as of E(after) above zero) and Σ net, left the RFM window;
    - [replay_from): Σ qualifying_amount and the purchases with some, now before the replay window (added
      to spend_before); their ReplayPurchase rows go;
    - [history_from): the same, now before the tier window ending at the replay's start (taken from
      spend_before, and from the `spend`/`purchases` of each of the customer's purchases still replayed:
      their spend before them is the tier window's ending at the replay's start plus the window's
      purchases before them, i.e. every purchase from history_from on, so only this slice leaves it);
      also in cents (history_c) for the replayed rows;
    - [tiers_from): the same, left the tier window ending at E (taken from spend_at_end).

    That is all that can change in the row of a customer with nothing recorded or dated since the last
    refresh: first, second and latest purchases, and the nets, are as of E and only purchases and refunds
    before E(before) count for them (see _touched_sql for what else rebuilds a customer). Algebra of one
    window [a, b) moving to [a', b'): new Σ = old Σ + Σ[b, b') − Σ[a, a'), with Σ[b, b') dated since E
    (touched) for the RFM and tier windows. Parameters: the edges as <name>_0 / <name>_1, and `end`."""
    purchase_t, refund_t = Purchase._meta.db_table, Refund._meta.db_table
    params: dict = {"end": after.end}
    slices = {}
    for name in ("rfm_from", "replay_from", "history_from", "tiers_from"):
        lo, hi = getattr(before, name), getattr(after, name)
        if lo is None or not lo < hi:
            slices[name] = "FALSE"
            continue
        params[f"{name}_0"], params[f"{name}_1"] = lo, hi
        slices[name] = f"(p.created_at >= %({name}_0)s AND p.created_at < %({name}_1)s)"
    crossing = " OR ".join(sql for sql in slices.values() if sql != "FALSE") or "FALSE"
    rfm, replay, history, tiers = (slices[n] for n in ("rfm_from", "replay_from", "history_from", "tiers_from"))
    qualifies = "p.qualifying_amount > 0"
    sql = f"""
    SELECT p.customer_id,
           COUNT(*) FILTER (WHERE {rfm} AND p.net > 0),
           COALESCE(SUM(p.net) FILTER (WHERE {rfm} AND p.net > 0), 0),
           COALESCE(SUM(p.qualifying_amount) FILTER (WHERE {replay}), 0),
           COUNT(*) FILTER (WHERE {replay} AND {qualifies}),
           COALESCE(SUM(p.qualifying_amount) FILTER (WHERE {history}), 0),
           COUNT(*) FILTER (WHERE {history} AND {qualifies}),
           COALESCE(SUM(CAST(ROUND(p.qualifying_amount * 100) AS BIGINT)) FILTER (WHERE {history}), 0),
           COALESCE(SUM(p.qualifying_amount) FILTER (WHERE {tiers}), 0),
           COUNT(*) FILTER (WHERE {tiers} AND {qualifies})
    FROM (
        SELECT p.customer_id, p.created_at, p.qualifying_amount,
               p.amount - COALESCE((SELECT SUM(r.amount) FROM {refund_t} r
                                    WHERE r.purchase_id = p.id AND r.created_at < %(end)s), 0) AS net
        FROM {purchase_t} p
        WHERE ({crossing}) AND NOT EXISTS (SELECT 1 FROM {touched} t WHERE t.customer_id = p.customer_id)
    ) p
    GROUP BY p.customer_id
    """  # noqa: S608 - names from model metadata and constants; every value is a parameter
    return sql, params


def _slices_move(cursor, before: Edges, after: Edges) -> int:
    """Move the rows of the customers who are not rebuilt (not in analytics_summary_touched) but had a
    purchase cross a window's edge from `before` to `after`: the sums of _slices_sql taken from or added to
    their CustomerSummary row and their replayed purchases' spend before them; the replayed purchases now
    before the replay window deleted (anyone's). One read of the slices' purchases (index ranges on their
    dates), then set-based UPDATEs by customer id. Returns how many customers' rows moved."""
    summary_t, replay_t, purchase_t = (
        CustomerSummary._meta.db_table,
        ReplayPurchase._meta.db_table,
        Purchase._meta.db_table,
    )
    sql, params = _slices_sql(before, after, "analytics_summary_touched")
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS analytics_summary_moved (customer_id bigint, rfm_n bigint, "
        "rfm_m numeric, replay_s numeric, replay_n bigint, history_s numeric, history_n bigint, "
        "history_c bigint, tiers_s numeric, tiers_n bigint)"
    )
    cursor.execute("TRUNCATE analytics_summary_moved")
    cursor.execute(f"INSERT INTO analytics_summary_moved ({MOVED_COLUMNS}) {sql}", params)  # noqa: S608 - built above
    moved = cursor.rowcount
    if moved:
        cursor.execute("ANALYZE analytics_summary_moved")
        cursor.execute(
            f"""
            UPDATE {summary_t} s
            SET rfm_purchases = s.rfm_purchases - m.rfm_n, rfm_money = s.rfm_money - m.rfm_m,
                spend_before = s.spend_before + m.replay_s - m.history_s,
                purchases_before = s.purchases_before + m.replay_n - m.history_n,
                spend_at_end = s.spend_at_end - m.tiers_s, purchases_at_end = s.purchases_at_end - m.tiers_n
            FROM analytics_summary_moved m WHERE s.customer_id = m.customer_id
            """  # noqa: S608 - names from model metadata and constants
        )
        cursor.execute(
            f"""
            UPDATE {replay_t} w SET spend = w.spend - m.history_c, purchases = w.purchases - m.history_n
            FROM analytics_summary_moved m
            WHERE w.customer_id = m.customer_id AND (m.history_c <> 0 OR m.history_n <> 0)
            """  # noqa: S608 - names from model metadata and constants
        )
    if before.replay_from < after.replay_from:
        cursor.execute(
            f"DELETE FROM {replay_t} WHERE purchase_id IN (SELECT id FROM {purchase_t} "  # noqa: S608
            "WHERE created_at >= %s AND created_at < %s)",
            [before.replay_from, after.replay_from],
        )
    cursor.execute("TRUNCATE analytics_summary_moved")
    return moved


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
        params["zone"] = settings.TIME_ZONE
        summary_t, replay_t = CustomerSummary._meta.db_table, ReplayPurchase._meta.db_table
        month_t = CustomerMonth._meta.db_table
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
                moved = _slices_move(cursor, before, after)
                cursor.execute(
                    f"DELETE FROM {summary_t} WHERE customer_id IN (SELECT customer_id FROM analytics_summary_touched)"  # noqa: S608
                )
                cursor.execute(
                    _aggregate_sql(after, touched="analytics_summary_touched"),
                    params,
                )
                # A purchase that left the replay window, or whose spend before it moved, is a touched customer's
                # or was dealt with by _slices_move.
                cursor.execute(
                    f"DELETE FROM {replay_t} WHERE customer_id IN (SELECT customer_id FROM analytics_summary_touched)"  # noqa: S608
                )
                cursor.execute(_replay_sql(touched="analytics_summary_touched"), params)
                # The months depend on no window's edge: only those with something recorded or dated since change.
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS analytics_summary_months (customer_id bigint, month date)"
                )
                cursor.execute("TRUNCATE analytics_summary_months")
                cursor.execute(
                    f"INSERT INTO analytics_summary_months {_touched_months_sql()}",  # noqa: S608 - built above
                    {
                        **touched_params,
                        "purchase_id_max": state.purchase_id_max,
                        "refund_id_max": state.refund_id_max,
                        "zone": settings.TIME_ZONE,
                    },
                )
                cursor.execute("ANALYZE analytics_summary_months")
                cursor.execute(
                    f"DELETE FROM {month_t} m USING analytics_summary_months t "  # noqa: S608
                    "WHERE m.customer_id = t.customer_id AND m.month = t.month"
                )
                cursor.execute(_months_sql(touched="analytics_summary_months"), params)
                cursor.execute("TRUNCATE analytics_summary_months")
                cursor.execute("TRUNCATE analytics_summary_touched")
            else:
                # DELETE, not TRUNCATE: readers keep seeing the old rows until the commit instead of waiting.
                cursor.execute(f"DELETE FROM {summary_t}")  # noqa: S608 - a name from model metadata
                bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
                refreshed, moved = 0, 0
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
                cursor.execute(f"DELETE FROM {month_t}")  # noqa: S608 - a name from model metadata
                if bounds["lo"] is not None:
                    months = _months_sql("p.customer_id >= %(lo)s AND p.customer_id < %(hi)s")
                    for lo in range(bounds["lo"], bounds["hi"] + 1, FULL_CHUNK):
                        cursor.execute(months, {**params, "lo": lo, "hi": lo + FULL_CHUNK})
            cursor.execute(f"ANALYZE {summary_t}")  # noqa: S608
            cursor.execute(f"ANALYZE {replay_t}")  # noqa: S608
            cursor.execute(f"ANALYZE {month_t}")  # noqa: S608
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
    state.moved = moved  # customers whose rows only moved with the windows' edges (the benchmark's print)
    return state
