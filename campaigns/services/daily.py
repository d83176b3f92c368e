"""The daily run of the date-driven campaigns (issue #15): birthday, anniversary of the first purchase,
win-back and broadcast, for the shop's calendar date `as_of`, after loyalty's daily jobs of that date
(campaigns.subscribers: loyalty.events.DailyRunFinished queues campaigns.tasks.campaigns_daily_task).

Set-based and chunked by customer-id ranges (CHUNK ids per transaction): per running campaign and chunk,
the customers with an occasion (campaigns.occasions) meet the target and its holdout/variant split
(campaigns.targeting) in SQL; one INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING writes the
CampaignGrant rows (holdout rows alike), loyalty's `points_credit_bulk_sql` the ledger entries, lots and
balances of the new non-holdout grants, and messaging's `messages_bulk_insert` their messages. A grant
row is unique per (campaign, customer, occasion), so a second run for a date grants nothing. That is
PostgreSQL; on SQLite (the demo's database) `_chunk_grant_rows` applies the same rules row by row, each
grant through loyalty's single-grant service.
The rules (dates, occasions, holdout, budget, limits) are written out in docs/campaigns.md.
"""

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.jobs import job_lock
from customers.models import Customer
from loyalty.models import LedgerEntry
from loyalty.reasons import campaign_reason
from loyalty.rules import points_expiry, points_last_day
from loyalty.selectors import program_settings_get
from loyalty.services import ledger_entry_next_id_sql, points_award, points_credit_bulk_sql
from messaging.models import Message
from messaging.notices_sql import json_object_sql
from messaging.services.notices import messages_bulk_insert

from .. import occasions
from ..exceptions import CampaignError
from ..models import Campaign, CampaignGrant, CampaignVariant
from ..selectors import campaign_channels, campaigns_running
from ..targeting import campaign_split_sql, campaign_target_sql

logger = logging.getLogger(__name__)

CHUNK = 100_000  # customer ids per transaction
LOCK_WAIT_SECONDS = 1800  # a run for another date (a replay) may be in progress: this one waits for it
DAILY_KINDS = (Campaign.Kind.BIRTHDAY, Campaign.Kind.ANNIVERSARY, Campaign.Kind.WIN_BACK, Campaign.Kind.BROADCAST)
ORIGIN = "job:campaigns_daily"
GRANT_KEY_PREFIX = "campaign-grant:"  # the dedupe key of grant N's message: "campaign-grant:N"
SET_BASED_VENDORS = ("postgresql",)  # elsewhere (SQLite, the demo) the same rules row by row: _chunk_grant_rows


# How many days back the daily run may catch up: a missed day within the week still grants (its
# birthdays' gifts arrive a few days late); further back it would greet people months after the fact.
CATCH_UP_DAYS = 6


def campaigns_daily_run(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """Run the date-driven campaigns for the shop's calendar date `as_of` at the moment `now` (aware;
    default now): first the statuses by dates (`campaigns_status_by_dates`), then every campaign of kind
    birthday, anniversary, win-back or broadcast that `campaigns_running` says grants at `now`, in id
    order whatever the kind (`campaign_daily_grant`); a broadcast finishes itself after its run.

    Idempotent per date: a second run for `as_of` grants nothing (one grant row per campaign, customer
    and occasion). Another run in progress is waited for up to LOCK_WAIT_SECONDS, then this one is
    skipped ({"skipped": …}). Raises CampaignError (field "date") for a date after today in the shop's
    time zone, or before today − CATCH_UP_DAYS (6). Returns {"date": ISO date, "statuses": [...],
    "campaigns": {campaign id: counts}} (ints; see campaign_daily_grant)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if as_of > today:
        raise CampaignError(
            _("%(date)s is in the future (today is %(today)s): campaigns run only for today or earlier.")
            % {"date": as_of.isoformat(), "today": today.isoformat()},
            field="date",
        )
    earliest = today - dt.timedelta(days=CATCH_UP_DAYS)
    if as_of < earliest:
        raise CampaignError(
            _(
                "%(date)s is too long ago: campaigns run only for the last %(days)s days and today, the earliest "
                "date now is %(earliest)s (a birthday or win-back of a date long past would reach customers late)."
            )
            % {"date": as_of.isoformat(), "days": CATCH_UP_DAYS, "earliest": earliest.isoformat()},
            field="date",
        )
    with job_lock("campaigns.daily", wait_seconds=LOCK_WAIT_SECONDS) as got_lock:
        if not got_lock:
            return {"date": as_of.isoformat(), "skipped": "another campaign run is in progress"}
        statuses = campaigns_status_by_dates(now=now)
        results: dict[str, Any] = {}
        running = sorted(
            (campaign_id, kind)
            for kind in DAILY_KINDS
            for campaign_id in campaigns_running(kind=kind, at=now).values_list("id", flat=True)
        )
        for campaign_id, kind in running:  # in id order, whatever the kind
            results[str(campaign_id)] = campaign_daily_grant(campaign_id=campaign_id, as_of=as_of, now=now)
            if kind == Campaign.Kind.BROADCAST:
                _status_set(campaign_id=campaign_id, status=Campaign.Status.FINISHED, now=now, why="broadcast sent")
    logger.info("campaigns daily run %s: %s campaigns", as_of.isoformat(), len(results))
    return {"date": as_of.isoformat(), "statuses": statuses, "campaigns": results}


def campaigns_status_by_dates(*, now: dt.datetime) -> list[dict[str, Any]]:
    """Move campaigns along by their dates at moment `now`: scheduled → active once `starts_at` has come
    (or has none), and scheduled, active or paused → finished once `ends_at` has passed (ends_at ≤ now).
    Each change is audited as the system (origin "job:campaigns_daily"). Returns [{"campaign": id,
    "from": status, "to": status}, …]."""
    changes = []
    ended = Campaign.objects.filter(
        status__in=[Campaign.Status.SCHEDULED, Campaign.Status.ACTIVE, Campaign.Status.PAUSED], ends_at__lte=now
    )
    for campaign_id in ended.order_by("id").values_list("id", flat=True):
        if change := _status_set(campaign_id=campaign_id, status=Campaign.Status.FINISHED, now=now, why="ended"):
            changes.append(change)
    started = Campaign.objects.filter(status=Campaign.Status.SCHEDULED).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now)
    )
    for campaign_id in started.order_by("id").values_list("id", flat=True):
        if change := _status_set(campaign_id=campaign_id, status=Campaign.Status.ACTIVE, now=now, why="started"):
            changes.append(change)
    return changes


def _status_set(*, campaign_id: int, status: str, now: dt.datetime, why: str) -> dict[str, Any] | None:
    """Set one campaign's status (row locked), audited as the system; None when it had it already."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        old = campaign.status
        if old == status:
            return None
        campaign.status, campaign.updated_at = status, now
        campaign.save(update_fields=["status", "updated_at"])
        audit_record(
            action=AuditAction.CAMPAIGN_STATUS,
            obj=campaign,
            summary=_("Campaign “%(name)s”: %(old)s → %(new)s")
            % {"name": campaign.name, "old": Campaign.Status(old).label, "new": Campaign.Status(status).label},
            origin=ORIGIN,
            changes={"status": [old, status], "why": why, "campaign": campaign.name},
            at=now,
        )
    return {"campaign": campaign_id, "from": old, "to": status}


def _expiry_values(expires_at: dt.datetime | None) -> list[str | None]:
    """The grant messages' {expires_on} and {valid_through} (ISO dates, messaging's notice values) for
    points burning at `expires_at`: the shop's day of the burn and the last day they can be spent
    (loyalty.rules.points_last_day); [None, None] when they never burn."""
    if expires_at is None:
        return [None, None]
    return [timezone.localtime(expires_at).date().isoformat(), points_last_day(expires_at).isoformat()]


def campaign_grant_expiry(campaign: Campaign, *, at: dt.datetime) -> dt.datetime | None:
    """When points granted at `at` burn: `points_valid_days` after the local day of `at`, else the
    program's points lifetime (None: never)."""
    days = campaign.points_valid_days
    if days is None:
        days = program_settings_get().points_lifetime_days
    return points_expiry(credited_at=at, lifetime_days=days)


def _window(campaign: Campaign, *, as_of: dt.date) -> list[dt.date]:
    first = campaign.starts_at or campaign.created_at
    return occasions.grant_window(as_of=as_of, first_day=timezone.localtime(first).date() if first else None)


def _steps(campaign: Campaign) -> list[int]:
    return sorted({int(step) for step in campaign.absence_days or [] if int(step) > 0})


def _occasions_sql(campaign: Campaign, *, as_of: dt.date, lo: int, hi: int) -> tuple[str, list]:
    window = _window(campaign, as_of=as_of)
    if campaign.kind == Campaign.Kind.BIRTHDAY:
        return occasions.birthday_sql(window=window, days_before=campaign.days_before, lo=lo, hi=hi)
    if campaign.kind == Campaign.Kind.ANNIVERSARY:
        return occasions.anniversary_sql(window=window, lo=lo, hi=hi)
    if campaign.kind == Campaign.Kind.WIN_BACK:
        return occasions.win_back_sql(window=window, steps=_steps(campaign), lo=lo, hi=hi)
    if campaign.kind == Campaign.Kind.BROADCAST:
        return occasions.broadcast_sql(lo=lo, hi=hi)
    raise ValueError(f"{campaign.kind} is not a date-driven kind")


def campaign_daily_grant(*, campaign_id: int, as_of: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Grant one campaign's occasions of the run for `as_of` (see campaigns.occasions for the window),
    chunk by chunk of customer ids, each chunk in its own transaction with the campaign's row locked:

    1. the customers of the chunk with an occasion, in the target, with their holdout flag and variant;
       those who have the grant row of that occasion already drop out (idempotency), and so do those with
       `per_customer_limit` grant rows of the campaign (holdout rows count for the holdout: the holdout
       mirrors the treated);
    2. the budget: in customer-id order, until the points of the treated would pass what is left of
       `budget_points` (budget − points_granted); from the first treated customer it cannot cover on, no
       treated customer gets a row, and they are counted as "left_out_budget". Holdout rows cost nothing
       and are always written for the customers whose occasion came, budget or not (the control group of
       the results);
    3. one INSERT … ON CONFLICT DO NOTHING RETURNING of the grant rows (points: the variant's, else the
       campaign's; 0 for the holdout), loyalty's bulk credit of the treated rows with points (entry kind
       "bonus", source "campaign:<id>", its own lot, expiry `campaign_grant_expiry`; a customer owing
       points pays the debt first), each grant linked to its entry, `points_granted` raised;
    4. the campaign's message to each treated customer (points 0 too: a message-only broadcast) on the
       first of its channels that reaches them, kind "campaign:<id>", purpose marketing, values {points,
       expires_on}; dedupe key "campaign-grant:<grant id>". Holdout rows get no message.

    A campaign found no longer active at a chunk (paused meanwhile) stops there. Returns {"granted",
    "holdout", "points", "left_out_budget", "left_out_limit", "messages": {"queued", "skipped", "held"},
    "channels_without_template": [codes]} (ints), and when messages were skipped "skip_reasons":
    {reason: n} (`_skip_reasons`)."""
    campaign = Campaign.objects.get(pk=campaign_id)
    channels, missing_channels = campaign_channels(campaign)
    expires_at = campaign_grant_expiry(campaign, at=now)
    target_sql, target_params = campaign_target_sql(campaign)
    reason = campaign_reason(campaign.name)
    result: dict[str, Any] = {
        "granted": 0, "holdout": 0, "points": 0, "left_out_budget": 0, "left_out_limit": 0,
        "messages": {"queued": 0, "skipped": 0, "held": 0}, "channels_without_template": missing_channels,
    }  # fmt: skip
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return result
    chunks = [(lo, lo + CHUNK - 1) for lo in range(bounds["lo"], bounds["hi"] + 1, CHUNK)]
    grant_args = {
        "as_of": as_of, "now": now, "target": (target_sql, target_params), "expires_at": expires_at,
        "reason": reason, "channels": channels,
    }  # fmt: skip
    workers = _parallel_workers(campaign, chunks=len(chunks))
    if workers > 1:
        all_counts = _chunks_parallel(campaign_id, chunks=chunks, workers=workers, grant_args=grant_args)
    else:
        all_counts = []
        budget_spent = False  # once a customer was left out for the budget, everyone after them is too
        for lo, hi in chunks:
            with transaction.atomic():
                campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
                if campaign.status != Campaign.Status.ACTIVE:
                    break
                chunk_grant = _chunk_grant if connection.vendor in SET_BASED_VENDORS else _chunk_grant_rows
                counts = chunk_grant(campaign, lo=lo, hi=hi, budget_spent=budget_spent, **grant_args)
            budget_spent = budget_spent or counts["left_out_budget"] > 0
            all_counts.append(counts)
    for counts in all_counts:
        for name in ("granted", "holdout", "points", "left_out_budget", "left_out_limit"):
            result[name] += counts[name]
        for name, value in counts["messages"].items():
            result["messages"][name] += value
    if result["messages"]["skipped"]:
        result["skip_reasons"] = _skip_reasons(campaign, now=now, missing_channels=missing_channels)
    return result


def _parallel_workers(campaign: Campaign, *, chunks: int) -> int:
    """How many chunks of `campaign` run at once: settings.CAMPAIGNS_DAILY_WORKERS (default 2) on
    PostgreSQL for a campaign without a points budget, 1 (in customer-id order) otherwise. A budget is
    spent in customer-id order (docs/campaigns.md, "Budget"), so a budgeted campaign's chunks stay serial;
    so do runs inside a caller's transaction (another connection would not see its rows) and runs of a
    single chunk."""
    if (
        connection.vendor not in SET_BASED_VENDORS
        or campaign.budget_points is not None
        or connection.in_atomic_block
        or chunks < 2
    ):
        return 1
    return max(1, min(int(settings.CAMPAIGNS_DAILY_WORKERS), chunks))


def _chunks_parallel(
    campaign_id: int, *, chunks: list[tuple[int, int]], workers: int, grant_args: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run `_chunk_grant` for each (lo, hi) id range of `chunks` on `workers` threads, each chunk in its own
    transaction on the thread's own database connection (closed when the thread's work ends). Each chunk
    holds the campaign's row FOR KEY SHARE (chunks don't wait for one another; the row cannot be deleted
    under them) and stops, like the serial run, once the campaign is found no longer active (paused
    meanwhile: the chunks already running finish). Chunks cover disjoint customers, so their grants, ledger
    accounts and messages never meet; `points_granted` is raised by each chunk's last statement. Returns
    the counts of the chunks that ran; the first error of a chunk is raised after every chunk has ended (the
    chunks that committed stay: a second run for the date grants only what is missing)."""
    stopped = threading.Event()

    def one(lo: int, hi: int) -> dict[str, Any] | None:
        try:
            if stopped.is_set():
                return None
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT status FROM {Campaign._meta.db_table} WHERE id = %s FOR KEY SHARE",  # noqa: S608
                        [campaign_id],
                    )
                    if cursor.fetchone()[0] != Campaign.Status.ACTIVE:
                        stopped.set()
                        return None
                campaign = Campaign.objects.get(pk=campaign_id)
                return _chunk_grant(campaign, lo=lo, hi=hi, budget_spent=False, **grant_args)
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="campaign-chunk") as pool:
        futures = [pool.submit(one, lo, hi) for lo, hi in chunks]
        wait(futures)
    errors = [future.exception() for future in futures if future.exception() is not None]
    if errors:
        raise errors[0]
    return [counts for counts in (future.result() for future in futures) if counts is not None]


# Who could be reached on a channel if it had a template: its consent and its address.
_REACHABLE_ON = {
    "email": Q(customer__consent_email=True, customer__email__isnull=False) & ~Q(customer__email=""),
    "sms": Q(customer__consent_sms=True) & ~Q(customer__phone=""),
}


def _skip_reasons(campaign: Campaign, *, now: dt.datetime, missing_channels: list[str]) -> dict[str, int]:
    """{reason: messages} of the campaign's messages skipped by this run (written at `now`): messaging's
    skip reasons, except that a message skipped for consent or address on the channels that have a
    template, for a customer whom a channel WITHOUT a template could have reached, says "no_template:<channel>"
    (the real reason: that channel's template is missing). Aggregate queries only."""
    skipped = Message.objects.filter(
        kind=campaign.message_kind,
        status=Message.Status.SKIPPED,
        created_at=now,
        dedupe_key__startswith=GRANT_KEY_PREFIX,
    )
    reasons = dict(skipped.values_list("skip_reason").annotate(n=Count("id")).order_by())
    unreachable = skipped.filter(skip_reason__in=[Message.SkipReason.NO_CONSENT, Message.SkipReason.NO_ADDRESS])
    for code in missing_channels:
        if code not in _REACHABLE_ON:
            continue
        reachable = unreachable.filter(_REACHABLE_ON[code])
        for reason, n in reachable.values_list("skip_reason").annotate(n=Count("id")).order_by():
            reasons[reason] -= n
            reasons[f"no_template:{code}"] = reasons.get(f"no_template:{code}", 0) + n
        unreachable = unreachable.exclude(_REACHABLE_ON[code])
    return {reason: n for reason, n in sorted(reasons.items()) if n}


def _message_values_pairs(alias: str) -> list[tuple[str, str]]:
    """The (key, SQL) pairs of a grant message's stored values, for the grant rows aliased `alias`, taking
    two parameters (`_expiry_values`: the grant's burn date and last day as ISO text, None when its points
    never burn): {points}, {expires_on} and {valid_through} as campaigns.rules.grant_message_values says,
    all null (rendered empty) for a grant of 0 points."""
    return [
        ("points", f"NULLIF({alias}.points, 0)"),
        ("expires_on", f"CASE WHEN {alias}.points > 0 THEN CAST(%s AS TEXT) END"),
        ("valid_through", f"CASE WHEN {alias}.points > 0 THEN CAST(%s AS TEXT) END"),
    ]


def _chunk_grant(
    campaign: Campaign,
    *,
    as_of: dt.date,
    now: dt.datetime,
    lo: int,
    hi: int,
    target: tuple[str, list],
    expires_at: dt.datetime | None,
    reason: str,
    channels: list[str],
    budget_spent: bool,
) -> dict[str, Any]:
    """One chunk of campaign_daily_grant, in its transaction (the campaign row locked). `budget_spent`: an
    earlier chunk left someone out for the budget, so this one grants no treated customer (all counted as
    left out); its holdout rows are written all the same."""
    grant_t, variant_t = CampaignGrant._meta.db_table, CampaignVariant._meta.db_table
    occasions_sql, occasions_params = _occasions_sql(campaign, as_of=as_of, lo=lo, hi=hi)
    target_sql, target_params = target
    counts: dict[str, Any] = {"messages": {"queued": 0, "skipped": 0, "held": 0}}
    with connection.cursor() as cursor:
        for table in ("campaign_occ", "campaign_cand", "campaign_new"):
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
        cursor.execute(f"CREATE TEMP TABLE campaign_occ ON COMMIT DROP AS {occasions_sql}", occasions_params)
        cursor.execute("ANALYZE campaign_occ")
        # The chunk's id range spelled out (not only implied by campaign_occ): PostgreSQL then reads the
        # chunk's customers by primary key instead of scanning every customer for each chunk.
        chunk_target = (
            f"SELECT t.customer_id FROM ({target_sql}) t "  # noqa: S608
            "WHERE t.customer_id BETWEEN %s AND %s AND t.customer_id IN (SELECT customer_id FROM campaign_occ)"
        )
        split_sql, split_params = campaign_split_sql(campaign, chunk_target, [*target_params, lo, hi])
        limit = campaign.per_customer_limit
        over_limit = (
            f"(SELECT COUNT(*) FROM {grant_t} g WHERE g.campaign_id = %s AND g.customer_id = o.customer_id) >= %s"  # noqa: S608
            if limit is not None
            else "FALSE"
        )
        cursor.execute(
            f"""
            CREATE TEMP TABLE campaign_cand ON COMMIT DROP AS
            SELECT o.customer_id, o.occasion, s.holdout, CAST(s.variant_id AS bigint) AS variant_id,
                   CASE WHEN s.holdout THEN 0 ELSE COALESCE(v.points, %s) END AS points,
                   {over_limit} AS over_limit
            FROM campaign_occ o
            JOIN ({split_sql}) s ON s.customer_id = o.customer_id
            LEFT JOIN {variant_t} v ON v.id = CAST(s.variant_id AS bigint)
            WHERE NOT EXISTS (SELECT 1 FROM {grant_t} g
                              WHERE g.campaign_id = %s AND g.customer_id BETWEEN %s AND %s
                                AND g.customer_id = o.customer_id AND g.occasion = o.occasion)
            """,  # noqa: S608 - table names from model metadata, SQL built from fixed fragments; values are parameters
            [
                campaign.points,
                *([campaign.pk, limit] if limit is not None else []),
                *split_params,
                campaign.pk,
                lo,
                hi,
            ],
        )
        cursor.execute("ANALYZE campaign_cand")
        cut = None
        if budget_spent:
            cut = lo  # nobody of this chunk
        elif campaign.budget_points is not None:
            left = campaign.budget_points - campaign.points_granted
            cursor.execute(
                """SELECT MIN(customer_id) FROM (
                       SELECT customer_id, SUM(points) OVER (ORDER BY customer_id, occasion ROWS UNBOUNDED PRECEDING) AS running
                       FROM campaign_cand WHERE NOT over_limit AND NOT holdout) r
                   WHERE running > %s""",
                [left],
            )
            cut = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE over_limit), "
            "COUNT(*) FILTER (WHERE NOT over_limit AND NOT holdout AND customer_id >= %s) FROM campaign_cand",
            [cut],
        )
        counts["left_out_limit"], counts["left_out_budget"] = cursor.fetchone()
        cursor.execute(
            "CREATE TEMP TABLE campaign_new (id bigint, customer_id bigint, holdout boolean, points bigint, "
            "entry_id bigint) ON COMMIT DROP"
        )
        # Each treated grant with points gets its ledger entry's id now (the ledger's sequence): the entry
        # is written right after, under that id (the foreign key is checked at commit).
        cursor.execute(
            f"""
            WITH ins AS (
                INSERT INTO {grant_t} (campaign_id, customer_id, occasion, variant_id, holdout, points, entry_id, at, expires_at)
                SELECT %s, customer_id, occasion, variant_id, holdout, points,
                       CASE WHEN holdout OR points = 0 THEN NULL ELSE {ledger_entry_next_id_sql()} END, %s,
                       CASE WHEN holdout OR points = 0 THEN NULL ELSE CAST(%s AS timestamptz) END
                FROM campaign_cand
                WHERE NOT over_limit AND (holdout OR CAST(%s AS bigint) IS NULL OR customer_id < %s)
                ORDER BY customer_id, occasion
                ON CONFLICT (campaign_id, customer_id, occasion) DO NOTHING
                RETURNING id, customer_id, holdout, points, entry_id
            )
            INSERT INTO campaign_new SELECT id, customer_id, holdout, points, entry_id FROM ins
            """,  # noqa: S608
            [campaign.pk, now, expires_at, cut, cut],
        )
        cursor.execute("ANALYZE campaign_new")
        cursor.execute("SELECT COUNT(*) FILTER (WHERE NOT holdout), COUNT(*) FILTER (WHERE holdout) FROM campaign_new")
        counts["granted"], counts["holdout"] = cursor.fetchone()
        credited = points_credit_bulk_sql(
            credits_sql="SELECT entry_id, customer_id, points FROM campaign_new WHERE entry_id IS NOT NULL",
            credits_params=[],
            kind=LedgerEntry.Kind.BONUS, reason=reason[:300], source=campaign.ledger_source, expires_at=expires_at,
            now=now,
        )  # fmt: skip
        counts["points"] = credited["points"]
    if channels and counts["granted"]:
        vals_sql = json_object_sql(_message_values_pairs("n"))
        vals_params = _expiry_values(expires_at)
        counts["messages"] = messages_bulk_insert(
            kind=campaign.message_kind, purpose=Message.Purpose.MARKETING, channels=channels,
            candidates_sql=f"""SELECT n.customer_id, {vals_sql} AS vals, %s || n.id AS dedupe
                               FROM campaign_new n WHERE NOT n.holdout""",  # noqa: S608
            candidates_params=[*vals_params, GRANT_KEY_PREFIX], lo=lo, hi=hi, now=now,
        )  # fmt: skip
    if counts["points"]:  # last: chunks running in parallel wait for this row's lock only until commit
        Campaign.objects.filter(pk=campaign.pk).update(points_granted=F("points_granted") + counts["points"])
        campaign.points_granted += counts["points"]
    return counts


def _chunk_grant_rows(
    campaign: Campaign,
    *,
    as_of: dt.date,
    now: dt.datetime,
    lo: int,
    hi: int,
    target: tuple[str, list],
    expires_at: dt.datetime | None,
    reason: str,
    channels: list[str],
    budget_spent: bool,
) -> dict[str, Any]:
    """`_chunk_grant` row by row, for a database without PostgreSQL's SQL (SQLite, the demo: a few
    thousand customers): the same steps and rules, the occasions from `occasions.occasions_rows`, the target
    and its holdout/variant split from the same portable SQL (campaign_bucket() is registered on SQLite),
    each treated grant's points through loyalty's single-grant service `points_award` (idempotency key
    "campaign:<id>:<customer id>:<occasion>"; a customer owing points pays the debt first), and the
    messages through the same `messages_bulk_insert`. Same counts as `_chunk_grant`."""
    rows = occasions.occasions_rows(
        kind=campaign.kind, window=_window(campaign, as_of=as_of), days_before=campaign.days_before or 0,
        steps=_steps(campaign), lo=lo, hi=hi,
    )  # fmt: skip
    counts: dict[str, Any] = {
        "granted": 0, "holdout": 0, "points": 0, "left_out_budget": 0, "left_out_limit": 0,
        "messages": {"queued": 0, "skipped": 0, "held": 0},
    }  # fmt: skip
    if not rows:
        return counts
    target_sql, target_params = target
    split_sql, split_params = campaign_split_sql(campaign, target_sql, target_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.customer_id, s.holdout, s.variant_id FROM ({split_sql}) s WHERE s.customer_id BETWEEN %s AND %s",  # noqa: S608 - built from fixed fragments; values are parameters
            [*split_params, lo, hi],
        )
        split = {customer_id: (bool(holdout), variant_id) for customer_id, holdout, variant_id in cursor.fetchall()}
    variant_points = dict(CampaignVariant.objects.filter(campaign=campaign).values_list("pk", "points"))
    existing = CampaignGrant.objects.filter(campaign=campaign, customer_id__gte=lo, customer_id__lte=hi)
    had: set[tuple[int, str]] = set()
    grants_of: dict[int, int] = {}
    for customer_id, occasion in existing.values_list("customer_id", "occasion"):
        had.add((customer_id, occasion))
        grants_of[customer_id] = grants_of.get(customer_id, 0) + 1
    limit = campaign.per_customer_limit
    candidates = []  # (customer id, occasion, holdout, variant id, points), in customer-id order
    for customer_id, occasion in rows:
        if customer_id not in split or (customer_id, occasion) in had:
            continue
        if limit is not None and grants_of.get(customer_id, 0) >= limit:
            counts["left_out_limit"] += 1
            continue
        holdout, variant_id = split[customer_id]
        points = 0 if holdout else variant_points.get(variant_id, campaign.points)
        candidates.append((customer_id, occasion, holdout, variant_id, points))
    left = None if campaign.budget_points is None else campaign.budget_points - campaign.points_granted
    spent, cut = 0, (lo if budget_spent else None)
    for customer_id, _occasion, holdout, _variant_id, points in candidates:
        if cut is None and left is not None and not holdout:
            spent += points
            if spent > left:
                cut = customer_id
    if cut is not None:  # the budget leaves out treated customers only: holdout rows cost nothing
        counts["left_out_budget"] = sum(1 for c in candidates if c[0] >= cut and not c[2])
        candidates = [c for c in candidates if c[0] < cut or c[2]]
    last_id = CampaignGrant.objects.aggregate(last=Max("id"))["last"] or 0
    for customer_id, occasion, holdout, variant_id, points in candidates:
        entry = None
        if points and not holdout:
            entry = points_award(
                customer_id=customer_id, points=points, reason=reason[:300], kind=LedgerEntry.Kind.BONUS,
                source=campaign.ledger_source, expires_at=expires_at, use_lifetime=False,
                idempotency_key=f"campaign:{campaign.pk}:{customer_id}:{occasion}", now=now,
            )  # fmt: skip
            counts["points"] += points
        CampaignGrant.objects.create(
            campaign=campaign, customer_id=customer_id, occasion=occasion, variant_id=variant_id, holdout=holdout,
            points=points, entry=entry, at=now, expires_at=expires_at if entry else None,
        )  # fmt: skip
        counts["holdout" if holdout else "granted"] += 1
    if counts["points"]:
        Campaign.objects.filter(pk=campaign.pk).update(points_granted=F("points_granted") + counts["points"])
        campaign.points_granted += counts["points"]
    if channels and counts["granted"]:
        grant_t = CampaignGrant._meta.db_table
        vals_sql = json_object_sql(_message_values_pairs("g"))
        vals_params = _expiry_values(expires_at)
        counts["messages"] = messages_bulk_insert(
            kind=campaign.message_kind, purpose=Message.Purpose.MARKETING, channels=channels,
            candidates_sql=f"""SELECT g.customer_id, {vals_sql} AS vals, %s || g.id AS dedupe
                               FROM {grant_t} g WHERE g.campaign_id = %s AND g.id > %s AND NOT g.holdout
                                 AND g.customer_id BETWEEN %s AND %s""",  # noqa: S608
            candidates_params=[*vals_params, GRANT_KEY_PREFIX, campaign.pk, last_id, lo, hi], lo=lo, hi=hi,
            now=now,
        )  # fmt: skip
    return counts
