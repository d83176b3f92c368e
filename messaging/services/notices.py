"""The built-in notices (issue #14): points earned, points about to burn, a tier upgrade, a tier at risk
and a balance reminder. Each is switched on or off with its channels and numbers (NoticeSetting, the
console's /messages/notices/ page), and queued set-based (messaging.notices_sql): one INSERT … SELECT per
chunk of customer ids writes the deferred Message rows, with the checks message_queue makes, and the
dispatcher sends them; the worker renders each text when it sends it (`notice_render`).

Which notice is service and which marketing (NOTICE_PURPOSE): points earned, points about to burn and a
tier upgrade tell customers about their account (service notices: no marketing consent needed unless
MESSAGING_SERVICE_NEEDS_CONSENT, no frequency cap); a tier at risk and a balance reminder ask them to buy
(marketing: the channel's consent and the frequency cap apply).
"""

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.formatting import points_format
from customers.models import Customer
from loyalty.models import PointsAccount, PointsLot, Purchase, Tier, TierChange, TierStatus
from loyalty.rules import local_midnight
from loyalty.selectors import program_settings_get

from ..exceptions import MessagingError
from ..models import Channel, Message, MessageStatusChange, MessageTemplate, NoticeKind, NoticeSetting
from ..notices_sql import json_object_sql, notices_insert_sql
from ..selectors import notice_settings
from .outbox import QUIET_CHANNELS, _quiet_release

logger = logging.getLogger(__name__)

NOTICE_PURPOSE = {
    NoticeKind.POINTS_EARNED: Message.Purpose.SERVICE,
    NoticeKind.POINTS_BURNING: Message.Purpose.SERVICE,
    NoticeKind.TIER_UPGRADE: Message.Purpose.SERVICE,
    NoticeKind.TIER_AT_RISK: Message.Purpose.MARKETING,
    NoticeKind.BALANCE_REMINDER: Message.Purpose.MARKETING,
}
NOTICE_CHUNK = 100_000  # customer ids per INSERT … SELECT (and per transaction)
DAYS_MAX = 3650  # the largest day count a notice setting takes (10 years)


# --- settings ------------------------------------------------------------------------------------------


def notice_setting_update(
    *,
    kind: str,
    enabled: bool,
    channels: list[str],
    days_before: int | None = None,
    idle_days: int | None = None,
    min_balance: int | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> NoticeSetting:
    """Change one notice's settings: on/off, `channels` (codes, in the order tried, each once, at least one),
    `days_before` (days, 1–DAYS_MAX: before the burning date for points_burning, before the review that
    moves the customer down for tier_at_risk), `idle_days` (days without a purchase, 1–DAYS_MAX) and
    `min_balance` (points, ≥ 1) for balance_reminder; a number None keeps its value. Raises MessagingError
    (field set, nothing written) for an unknown kind or channel, a repeated or missing channel or a number
    out of range. Audited (`notice_setting.update`, each changed field old → new) when something changed."""
    if kind not in NoticeKind.values:
        raise MessagingError(_("Unknown notice “%(kind)s”.") % {"kind": kind}, field="kind")
    channels = [code for code in channels if code]
    if not channels:
        raise MessagingError(_("Choose at least one channel."), field="channels")
    if any(code not in Channel.values for code in channels):
        raise MessagingError(_("Unknown channel."), field="channels")
    if len(set(channels)) != len(channels):
        raise MessagingError(_("Choose each channel once."), field="channels")
    numbers = {"days_before": days_before, "idle_days": idle_days}
    for field, value in numbers.items():
        if value is not None and not 1 <= value <= DAYS_MAX:
            raise MessagingError(
                _("Enter a number of days from 1 to %(max)s.") % {"max": points_format(DAYS_MAX)}, field=field
            )
    if min_balance is not None and min_balance < 1:
        raise MessagingError(_("Enter at least 1 point."), field="min_balance")
    now = now or timezone.now()
    with transaction.atomic():
        notice_settings()  # the row exists
        row = NoticeSetting.objects.select_for_update().get(kind=kind)
        new = {"enabled": bool(enabled), "channels": channels, **numbers, "min_balance": min_balance}
        changes = {}
        for field, value in new.items():
            if value is None or getattr(row, field) == value:
                continue
            changes[field] = [getattr(row, field), value]
            setattr(row, field, value)
        if not changes:
            return row
        row.updated_at = now
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        audit_record(
            action=AuditAction.NOTICE_SETTING_UPDATE,
            obj=row,
            summary=_("Notice “%(notice)s” changed: %(fields)s")
            % {"notice": row.get_kind_display(), "fields": ", ".join(changes)},
            actor=actor,
            origin=origin,
            changes={"notice": kind, **changes},
            at=now,
        )
    return row


# --- queueing, set-based ---------------------------------------------------------------------------------


def notice_channels(setting: NoticeSetting) -> list[str]:
    """The setting's channels, in its order, that have a template of its kind in some language (the
    renderer falls back to another language; a channel without any could only fail at sending)."""
    with_template = set(MessageTemplate.objects.filter(kind=setting.kind).values_list("channel", flat=True))
    return [code for code in setting.channels if code in with_template]


def _adapt(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _text(expr: str) -> str:
    return f"CAST({expr} AS TEXT)"


def notices_queue(
    *,
    kind: str,
    candidates: Any,
    lo: int,
    hi: int,
    now: dt.datetime,
    chunk: int = NOTICE_CHUNK,
) -> dict[str, int]:
    """Queue the notice `kind` for the customers `candidates(lo, hi)` names, chunk by chunk of customer ids
    from `lo` to `hi`, each chunk in its own transaction. `candidates` returns (SELECT sql, params) of
    `customer_id`, `vals`, `dedupe` for ids lo..hi (see messaging.notices_sql). Does nothing when the
    notice is off or none of its channels has a template. The rows are in settings.LANGUAGE_CODE (a
    customer has no language of their own yet; the renderer may fall back to another language's template). The rows are queued deferred (due at
    `now`: the dispatcher sends them) or held until the morning (SMS, messenger in quiet hours), or
    skipped with their reason; each gets its first status-history row. Returns {"queued", "skipped",
    "held"} counts of the rows written (a dedupe key already used writes nothing)."""
    result = {"queued": 0, "skipped": 0, "held": 0}
    setting = notice_settings()[kind]
    language = settings.LANGUAGE_CODE
    channels = notice_channels(setting) if setting.enabled else []
    if not channels:
        return result
    purpose = NOTICE_PURPOSE[kind]
    marketing = purpose == Message.Purpose.MARKETING
    cap_limit = settings.MESSAGING_FREQUENCY_CAP_MESSAGES if marketing else 0
    cap_since = now - dt.timedelta(days=settings.MESSAGING_FREQUENCY_CAP_DAYS)
    message_t, change_t = Message._meta.db_table, MessageStatusChange._meta.db_table
    releases = {code: _quiet_release(code, now) for code in channels if code in QUIET_CHANNELS}
    at = _adapt(now)
    for start in range(lo, hi + 1, chunk):
        end = min(start + chunk - 1, hi)
        candidates_sql, candidates_params = candidates(start, end)
        sql, params = notices_insert_sql(
            candidates_sql=candidates_sql, candidates_params=candidates_params, channels=channels, kind=kind,
            purpose=purpose, language=language,
            needs_consent=marketing or settings.MESSAGING_SERVICE_NEEDS_CONSENT,
            cap_limit=cap_limit, cap_since=_adapt(cap_since), now=at,
        )  # fmt: skip
        mine = "kind = %s AND created_at = %s AND customer_id BETWEEN %s AND %s AND dedupe_key IS NOT NULL"
        mine_params = [kind, at, start, end]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            if not cursor.rowcount:
                continue
            cursor.execute(
                f"""
                INSERT INTO {change_t} (message_id, status, reason, at)
                SELECT id, status, CASE WHEN skip_reason = '' THEN 'queued' ELSE skip_reason END, %s
                FROM {message_t} WHERE {mine}
                """,  # noqa: S608 - table names from model metadata
                [at, *mine_params],
            )
            cursor.execute(
                f"""
                SELECT SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN status = 'skipped' THEN 1 ELSE 0 END)
                FROM {message_t} WHERE {mine}
                """,  # noqa: S608
                mine_params,
            )
            queued, skipped = (value or 0 for value in cursor.fetchone())
            result["queued"] += queued
            result["skipped"] += skipped
            for code, release in releases.items():
                if release is None:
                    continue
                local = timezone.localtime(release)
                cursor.execute(
                    f"""
                    UPDATE {message_t} SET next_attempt_at = %s, held_reason = 'quiet hours'
                    WHERE {mine} AND status = 'queued' AND channel = %s
                    """,  # noqa: S608
                    [_adapt(release), *mine_params, code],
                )
                result["held"] += cursor.rowcount
                cursor.execute(
                    f"""
                    INSERT INTO {change_t} (message_id, status, reason, at)
                    SELECT id, 'queued', %s, %s FROM {message_t}
                    WHERE {mine} AND status = 'queued' AND channel = %s
                    """,  # noqa: S608
                    [f"held until {local:%Y-%m-%d %H:%M} (quiet hours)", at, *mine_params, code],
                )
    return result


def _customer_bounds() -> tuple[int | None, int | None]:
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    return bounds["lo"], bounds["hi"]


def points_burning_notices_queue(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily "points about to burn" notices: every customer whose lots burn on D = `as_of` + N days
    (N = the notice's `days_before`; a lot burns on the shop's local date of its `expires_at`, the date the
    customer card shows), one notice per customer and burning date with the sum of the remaining points
    of those lots (values {"points": int, "expires_on": "YYYY-MM-DD"}; dedupe key
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
    vals = json_object_sql([("points", "SUM(l.remaining)"), ("expires_on", _text("%s"))])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT l.customer_id, {vals} AS vals,
                   {_text("%s")} || {_text("l.customer_id")} || {_text("%s")} AS dedupe
            FROM {lot_t} l
            WHERE l.remaining > 0 AND l.expires_at >= %s AND l.expires_at < %s AND l.customer_id BETWEEN %s AND %s
            GROUP BY l.customer_id
        """  # noqa: S608
        return sql, [day.isoformat(), "points_burning:", f":{day.isoformat()}", _adapt(start), _adapt(end), lo, hi]

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
    vals = json_object_sql([("spend_needed", _text(needed)), ("expires_on", _text("%s"))])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT st.customer_id, {vals} AS vals,
                   {_text("%s")} || {_text("st.customer_id")} || {_text("%s")} AS dedupe
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
            last_day, "tier_at_risk:", f":{review.isoformat()}", _adapt(window_start), _adapt(now), lo, hi,
            _day(below_since), lo, hi,
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
                   {_text("%s")} || {_text("a.customer_id")} || {_text("%s")} AS dedupe
            FROM {account_t} a JOIN {customer_t} c ON c.id = a.customer_id
            WHERE a.customer_id BETWEEN %s AND %s AND a.balance >= %s
              AND COALESCE(c.last_purchase_at, c.created_at) < %s
              AND NOT EXISTS (
                  SELECT 1 FROM {message_t} m
                  WHERE m.customer_id = a.customer_id AND m.purpose = 'marketing' AND m.kind = %s
                    AND m.created_at >= %s)
        """  # noqa: S608
        return sql, [
            "balance_reminder:", f":{as_of.isoformat()}", lo, hi, setting.min_balance, _adapt(cutoff),
            NoticeKind.BALANCE_REMINDER.value, _adapt(cutoff),
        ]  # fmt: skip

    return notices_queue(kind=NoticeKind.BALANCE_REMINDER, candidates=candidates, lo=lo, hi=hi, now=now)


def points_earned_notice_queue(*, purchase_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """The "points earned" notice of one purchase (after it committed; messaging.subscribers): queued when
    the purchase earned points (values {"points": earned}), deduplicated by `points_earned:<purchase id>`,
    so a retried purchase or task never notifies twice. A refund earns nothing and notifies nothing.
    Returns notices_queue's counts."""
    now = now or timezone.now()
    purchase = Purchase.objects.filter(pk=purchase_id, earned_points__gt=0).values("customer_id").first()
    if purchase is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    purchase_t = Purchase._meta.db_table
    vals = json_object_sql([("points", "p.earned_points")])

    def candidates(lo: int, hi: int) -> tuple[str, list]:
        sql = f"""
            SELECT p.customer_id, {vals} AS vals, {_text("%s")} || {_text("p.id")} AS dedupe
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
            SELECT tc.customer_id, {vals} AS vals, {_text("%s")} || {_text("tc.id")} AS dedupe
            FROM {change_t} tc JOIN {tier_t} t ON t.id = tc.to_tier_id JOIN {tier_t} f ON f.id = tc.from_tier_id
            WHERE {where} AND t."order" > f."order" AND tc.customer_id BETWEEN %s AND %s
        """  # noqa: S608
        return sql, ["tier_upgrade:", *where_params, lo, hi]

    return candidates


def tier_upgrade_notice_queue(*, change_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """The "tier upgrade" notice of one move up by a purchase (loyalty.events.TierUpgraded): values {"tier":
    the new tier's name}, dedupe key `tier_upgrade:<tier change id>`. Returns notices_queue's counts."""
    now = now or timezone.now()
    change = TierChange.objects.filter(pk=change_id).values("customer_id").first()
    if change is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    customer_id = change["customer_id"]
    candidates = _tier_upgrade_candidates("tc.id = %s", [change_id])
    return notices_queue(kind=NoticeKind.TIER_UPGRADE, candidates=candidates, lo=customer_id, hi=customer_id, now=now)


def tier_review_upgrade_notices_queue(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The "tier upgrade" notices of the daily review of `as_of`: its TierChange rows of reason
    `upgrade_review` (set-based, like the review itself). Returns notices_queue's counts."""
    now = now or timezone.now()
    changes = TierChange.objects.filter(review_date=as_of, reason=TierChange.Reason.UPGRADE_REVIEW)
    bounds = changes.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    if bounds["lo"] is None:
        return {"queued": 0, "skipped": 0, "held": 0}
    candidates = _tier_upgrade_candidates("tc.review_date = %s AND tc.reason = %s", [_day(as_of), "upgrade_review"])
    return notices_queue(kind=NoticeKind.TIER_UPGRADE, candidates=candidates, lo=bounds["lo"], hi=bounds["hi"], now=now)


def notices_daily(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """The daily notices for the date `as_of` (after the daily run of that date: its expiry and tier review
    are done): points about to burn, tiers at risk, balance reminders, and the review's upgrades. Each is
    idempotent for the date (dedupe keys). Returns each kind's counts."""
    now = now or timezone.now()
    return {
        NoticeKind.POINTS_BURNING.value: points_burning_notices_queue(as_of=as_of, now=now),
        NoticeKind.TIER_AT_RISK.value: tier_at_risk_notices_queue(as_of=as_of, now=now),
        NoticeKind.BALANCE_REMINDER.value: balance_reminder_notices_queue(as_of=as_of, now=now),
        NoticeKind.TIER_UPGRADE.value: tier_review_upgrade_notices_queue(as_of=as_of, now=now),
    }


# --- rendering at send time --------------------------------------------------------------------------------


def notice_extra(values: dict) -> dict[str, Any]:
    """A notice's stored JSON values as the renderer's typed `extra` (messaging.services.render formats them
    in the message's language): "points" → int (points, with their word: "120 points", "120 баллов"),
    "expires_on" → date, "spend_needed" → Decimal (money; stored as text, never a float), "tier" → str."""
    extra: dict[str, Any] = {}
    for name, value in values.items():
        if name == "points":
            extra[name] = int(value)
        elif name == "expires_on":
            extra[name] = dt.date.fromisoformat(str(value))
        elif name == "spend_needed":
            extra[name] = Decimal(str(value))
        else:
            extra[name] = str(value)
    return extra


def notice_render(message: Message, *, now: dt.datetime) -> bool:
    """Render a notice queued without its text (a bulk notice) from its template and values, into
    `message` (text, subject on email, template, language; the caller saves it): message_render with the
    message's language, which falls back to a template in another language. Returns False when its kind
    has no template on its channel in any language any more."""
    from .render import message_render  # the templates' renderer

    rendered = message_render(
        customer=message.customer, kind=message.kind, channel=message.channel, language=message.language or None,
        extra=notice_extra(message.values or {}), now=now,
    )  # fmt: skip
    if rendered is None:
        return False
    message.text, message.subject = rendered.text, rendered.subject[:200]
    message.template, message.language = str(rendered.template)[:100], rendered.language
    return True
