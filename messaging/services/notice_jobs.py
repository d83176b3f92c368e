"""Who gets each built-in notice: the candidates of each notice as one SELECT per chunk of customer ids,
queued by messaging.services.notices.notices_queue (set-based, with the outbox's checks). The daily ones
(points about to burn, tier at risk, balance reminder, the review's upgrades) run in `notices_daily`
after each daily run; the purchase ones (points earned, a tier upgrade) after their purchase commits.
The rules are written out in docs/messaging.md, "Built-in notices"."""

import datetime as dt
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone

from core.jobs import job_lock
from customers.models import Customer
from loyalty.models import PointsAccount, PointsLot, Purchase, Tier, TierChange, TierStatus
from loyalty.rules import local_midnight, points_last_day
from loyalty.selectors import program_settings_get

from ..models import Message, NoticeKind
from ..notices_sql import date_param, datetime_param, json_object_sql, text_sql
from ..selectors import notice_settings
from .notices import notices_queue

LOCK_WAIT_SECONDS = 600  # a run for another date (a replay) may be in progress: this one waits for it
# A purchase or tier change older than this gets no notice of it: the task ran late (a backlog, a replay).
NOTICE_MAX_AGE = dt.timedelta(hours=24)


def _customer_bounds() -> tuple[int | None, int | None]:
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    return bounds["lo"], bounds["hi"]


def points_burning_notices_queue(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily "points about to burn" notices: every customer whose lots burn on D = `as_of` + N days
    (N = the notice's `days_before`; a lot burns on the shop's local date of its `expires_at`, the date the
    customer card shows), one notice per customer and burning date with the sum of the remaining points
    of those lots (values {"points": int, "expires_on": "YYYY-MM-DD", "valid_through": D − 1, the last
    day they can be spent, loyalty.rules.points_last_day}; dedupe key
    `points_burning:<customer id>:<D>`, so a second run, or a run the next day for the same D, adds nothing).
    Returns notices_queue's counts."""
    now = now or timezone.now()
    setting = notice_settings()[NoticeKind.POINTS_BURNING]
    day = as_of + dt.timedelta(days=setting.days_before)
    start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    lot_t = PointsLot._meta.db_table
    window = PointsLot.objects.filter(remaining__gt=0, expires_at__gte=start, expires_at__lt=end)
    bounds = window.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    if bounds["lo"] is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    vals = json_object_sql(
        [("points", "SUM(l.remaining)"), ("expires_on", text_sql("%s")), ("valid_through", text_sql("%s"))]
    )

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT l.customer_id, {vals} AS vals,
                   {text_sql("%s")} || {text_sql("l.customer_id")} || {text_sql("%s")} AS dedupe
            FROM {lot_t} l
            WHERE l.remaining > 0 AND l.expires_at >= %s AND l.expires_at < %s AND l.customer_id BETWEEN %s AND %s
            GROUP BY l.customer_id
        """  # noqa: S608
        return sql, [
            day.isoformat(),
            # lots burn at the start of their day (points_expiry): the day before is the last they can pay
            points_last_day(start).isoformat(),
            "points_burning:",
            f":{day.isoformat()}",
            datetime_param(start),
            datetime_param(end),
            lo,
            hi,
        ]

    return notices_queue(
        kind=NoticeKind.POINTS_BURNING, candidates=candidates, lo=bounds["lo"], hi=bounds["hi"], now=now
    )


def tier_at_risk_notices_queue(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily "tier at risk" notices, N = the notice's `days_before` days before the review that would
    move the customer down. The daily review (loyalty.tier_sql) moves a customer down on the first review
    date R with R ≥ below_since + grace days (and R > below_since) when their spend over the tier window
    ending at R's midnight is still under their tier's threshold. So the customers notified on `as_of` hold
    a tier and have below_since = R − max(grace, 1) for R = as_of + N; the money they must still spend
    (values "spend_needed", exact decimal as text) is the tier's threshold minus their qualifying spend
    (Purchase.qualifying_amount) from R's midnight − window days until now, and "expires_on" is R − 1, the
    last day a purchase counts ("spend 3 200 ₽ more by 31 January to keep Gold"). A customer with nothing
    left to spend, or a program with a lifetime window, gets nothing; a tier's minimum number of purchases
    is not mentioned. Dedupe key `tier_at_risk:<customer id>:<R>`. Returns notices_queue's counts."""
    now = now or timezone.now()
    setting = notice_settings()[NoticeKind.TIER_AT_RISK]
    program = program_settings_get()
    if program.tier_window_days is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    review = as_of + dt.timedelta(days=setting.days_before)
    below_since = review - dt.timedelta(days=max(program.tier_grace_days, 1))
    window_start = local_midnight(review) - dt.timedelta(days=program.tier_window_days)
    at_risk = TierStatus.objects.filter(below_since=below_since, tier__isnull=False)
    bounds = at_risk.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    if bounds["lo"] is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    status_t, tier_t, purchase_t = TierStatus._meta.db_table, Tier._meta.db_table, Purchase._meta.db_table
    needed = "t.threshold - COALESCE(s.spend, 0)"
    vals = json_object_sql([("spend_needed", text_sql(needed)), ("expires_on", text_sql("%s"))])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT st.customer_id, {vals} AS vals,
                   {text_sql("%s")} || {text_sql("st.customer_id")} || {text_sql("%s")} AS dedupe
            FROM {status_t} st
            JOIN {tier_t} t ON t.id = st.tier_id
            LEFT JOIN (
                SELECT customer_id, SUM(qualifying_amount) AS spend FROM {purchase_t}
                WHERE created_at >= %s AND created_at <= %s AND customer_id BETWEEN %s AND %s
                GROUP BY customer_id
            ) s ON s.customer_id = st.customer_id
            WHERE st.below_since = %s AND st.customer_id BETWEEN %s AND %s AND {needed} > 0
        """  # noqa: S608
        last_day = (review - dt.timedelta(days=1)).isoformat()
        return sql, [
            last_day, "tier_at_risk:", f":{review.isoformat()}", datetime_param(window_start), datetime_param(now), lo, hi,
            date_param(below_since), lo, hi,
        ]  # fmt: skip

    return notices_queue(kind=NoticeKind.TIER_AT_RISK, candidates=candidates, lo=bounds["lo"], hi=bounds["hi"], now=now)


def balance_reminder_notices_queue(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily balance reminders: customers whose last purchase (or, never having bought, their joining)
    was X = `idle_days` or more days before `as_of` (a local date on or before as_of − X), whose balance is at
    least `min_balance` points, and who got no balance reminder (in any status, skipped too) in the X days
    before: so at most one every X days while they stay away. Dedupe key `balance_reminder:<customer
    id>:<as_of>` (a second run the same day adds nothing). The text's {balance} is read when it is sent.
    Returns notices_queue's counts."""
    now = now or timezone.now()
    setting = notice_settings()[NoticeKind.BALANCE_REMINDER]
    idle = setting.idle_days
    cutoff = local_midnight(as_of - dt.timedelta(days=idle - 1))
    account_t, customer_t, message_t = PointsAccount._meta.db_table, Customer._meta.db_table, Message._meta.db_table
    lo, hi = _customer_bounds()
    if lo is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    vals = json_object_sql([])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT a.customer_id, {vals} AS vals,
                   {text_sql("%s")} || {text_sql("a.customer_id")} || {text_sql("%s")} AS dedupe
            FROM {account_t} a JOIN {customer_t} c ON c.id = a.customer_id
            WHERE a.customer_id BETWEEN %s AND %s AND a.balance >= %s
              AND COALESCE(c.last_purchase_at, c.created_at) < %s
              AND NOT EXISTS (
                  SELECT 1 FROM {message_t} m
                  WHERE m.customer_id = a.customer_id AND m.purpose = 'marketing' AND m.kind = %s
                    AND m.created_at >= %s)
        """  # noqa: S608
        return sql, [
            "balance_reminder:", f":{as_of.isoformat()}", lo, hi, setting.min_balance, datetime_param(cutoff),
            NoticeKind.BALANCE_REMINDER.value, datetime_param(cutoff),
        ]  # fmt: skip

    return notices_queue(kind=NoticeKind.BALANCE_REMINDER, candidates=candidates, lo=lo, hi=hi, now=now)


def points_earned_notice_queue(*, purchase_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """The "points earned" notice of one purchase (after it committed; messaging.subscribers): queued when
    the purchase earned points (values {"points": earned}), deduplicated by `points_earned:<purchase id>`,
    so a retried purchase or task never notifies twice. A refund earns nothing and notifies nothing, and
    neither does a purchase made more than NOTICE_MAX_AGE before `now` (a backlog of tasks, a replayed
    queue, a year of demo purchases: "you earned 50 points" about a purchase of May is noise). Returns
    notices_queue's counts."""
    now = now or timezone.now()
    purchase = Purchase.objects.filter(pk=purchase_id, earned_points__gt=0).values("customer_id", "created_at").first()
    if purchase is None or purchase["created_at"] < now - NOTICE_MAX_AGE:
        return {"queued": 0, "skipped": 0, "held": 0}
    purchase_t = Purchase._meta.db_table
    vals = json_object_sql([("points", "p.earned_points")])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT p.customer_id, {vals} AS vals, {text_sql("%s")} || {text_sql("p.id")} AS dedupe
            FROM {purchase_t} p WHERE p.id = %s AND p.earned_points > 0 AND p.customer_id BETWEEN %s AND %s
        """  # noqa: S608
        return sql, ["points_earned:", purchase_id, lo, hi]

    customer_id = purchase["customer_id"]
    return notices_queue(kind=NoticeKind.POINTS_EARNED, candidates=candidates, lo=customer_id, hi=customer_id, now=now)


def _tier_upgrade_candidates(where: str, where_params: list):
    change_t, tier_t = TierChange._meta.db_table, Tier._meta.db_table
    vals = json_object_sql([("tier", "t.name")])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT tc.customer_id, {vals} AS vals, {text_sql("%s")} || {text_sql("tc.id")} AS dedupe
            FROM {change_t} tc JOIN {tier_t} t ON t.id = tc.to_tier_id JOIN {tier_t} f ON f.id = tc.from_tier_id
            WHERE {where} AND t."order" > f."order" AND tc.customer_id BETWEEN %s AND %s
        """  # noqa: S608
        return sql, ["tier_upgrade:", *where_params, lo, hi]

    return candidates


def tier_upgrade_notice_queue(*, change_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """The "tier upgrade" notice of one move up by a purchase (loyalty.events.TierUpgraded): values {"tier":
    the new tier's name}, dedupe key `tier_upgrade:<tier change id>`. Returns notices_queue's counts."""
    now = now or timezone.now()
    change = TierChange.objects.filter(pk=change_id).values("customer_id", "created_at").first()
    if change is None or change["created_at"] < now - NOTICE_MAX_AGE:  # as for points earned
        return {"queued": 0, "skipped": 0, "held": 0}
    customer_id = change["customer_id"]
    candidates = _tier_upgrade_candidates("tc.id = %s", [change_id])
    return notices_queue(kind=NoticeKind.TIER_UPGRADE, candidates=candidates, lo=customer_id, hi=customer_id, now=now)


def tier_review_upgrade_notices_queue(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The "tier upgrade" notices of the daily review of `as_of`: its TierChange rows of reason
    `upgrade_review` (set-based, like the review itself). Returns notices_queue's counts."""
    now = now or timezone.now()
    if as_of < timezone.localdate(now) - dt.timedelta(days=1):  # a replay of an old day's run: old news
        return {"queued": 0, "skipped": 0, "held": 0}
    changes = TierChange.objects.filter(review_date=as_of, reason=TierChange.Reason.UPGRADE_REVIEW)
    bounds = changes.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    if bounds["lo"] is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    candidates = _tier_upgrade_candidates(
        "tc.review_date = %s AND tc.reason = %s", [date_param(as_of), "upgrade_review"]
    )
    return notices_queue(kind=NoticeKind.TIER_UPGRADE, candidates=candidates, lo=bounds["lo"], hi=bounds["hi"], now=now)


def notices_daily(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """The daily notices for the date `as_of` (after the daily run of that date: its expiry and tier review
    are done): points about to burn, tiers at risk, balance reminders, and the review's upgrades. Each is
    idempotent for the date (dedupe keys); a run while another holds the job's advisory lock waits up to
    LOCK_WAIT_SECONDS, then is skipped ({"skipped": …}). Returns each kind's counts."""
    now = now or timezone.now()
    with job_lock("messaging.notices_daily", wait_seconds=LOCK_WAIT_SECONDS) as got_lock:
        if not got_lock:
            return {"date": as_of.isoformat(), "skipped": "another notices run is in progress"}
        return {
            NoticeKind.POINTS_BURNING.value: points_burning_notices_queue(as_of=as_of, now=now),
            NoticeKind.TIER_AT_RISK.value: tier_at_risk_notices_queue(as_of=as_of, now=now),
            NoticeKind.BALANCE_REMINDER.value: balance_reminder_notices_queue(as_of=as_of, now=now),
            NoticeKind.TIER_UPGRADE.value: tier_review_upgrade_notices_queue(as_of=as_of, now=now),
        }
