"""The built-in notices (issue #14): points earned, points about to burn, a tier upgrade, a tier at risk
and a balance reminder. Each is switched on or off with its channels and numbers (NoticeSetting, the
console's /messages/notices/ page), and queued set-based (messaging.notices_sql; who gets each:
messaging.services.notice_jobs): one INSERT … SELECT per
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
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.formatting import points_format

from ..exceptions import MessagingError
from ..models import Channel, Message, MessageStatusChange, MessageTemplate, NoticeKind, NoticeSetting
from ..notices_sql import datetime_param, notices_insert_sql
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
MIN_BALANCE_MAX = 2_147_483_647  # the largest value its column (a PostgreSQL integer) holds


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
    `min_balance` (points, 1–MIN_BALANCE_MAX: the column's range) for balance_reminder; a number None keeps its value. Raises MessagingError
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
    if min_balance is not None and min_balance > MIN_BALANCE_MAX:
        raise MessagingError(
            _("Enter at most %(max)s points.") % {"max": points_format(MIN_BALANCE_MAX)}, field="min_balance"
        )
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


def _history_write(cursor, *, kind: str, at, lo: int, hi: int, note: str) -> tuple[int, int, int]:
    """SQLite (the demo database): the first status-history rows of the notices a chunk just wrote, found
    by their kind and created_at; returns (queued, skipped, held). PostgreSQL writes them in the INSERT."""
    message_t, change_t = Message._meta.db_table, MessageStatusChange._meta.db_table
    mine = "kind = %s AND created_at = %s AND customer_id BETWEEN %s AND %s AND dedupe_key IS NOT NULL"
    cursor.execute(
        f"""
        INSERT INTO {change_t} (message_id, status, reason, at)
        SELECT id, status, CASE WHEN skip_reason = '' THEN 'queued' ELSE skip_reason END, %s
        FROM {message_t} WHERE {mine}
        UNION ALL
        SELECT id, 'queued', %s, %s FROM {message_t} WHERE {mine} AND held_reason <> ''
        """,  # noqa: S608 - table names from model metadata
        [at, kind, at, lo, hi, note, at, kind, at, lo, hi],
    )
    cursor.execute(
        f"""
        SELECT SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'skipped' THEN 1 ELSE 0 END),
               SUM(CASE WHEN held_reason <> '' THEN 1 ELSE 0 END)
        FROM {message_t} WHERE {mine}
        """,  # noqa: S608
        [kind, at, lo, hi],
    )
    queued, skipped, held = (value or 0 for value in cursor.fetchone())
    return queued, skipped, held


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
    notice is off or none of its channels has a template. Each row is in its customer's language
    (Customer.language; settings.LANGUAGE_CODE for a code no longer in settings.LANGUAGES), read by the
    statement itself; the renderer may fall back to another language's template. The rows are queued
    deferred (due at `now`: the dispatcher sends them) or held until the morning (SMS, messenger in quiet
    hours), or skipped with their reason; each gets its first status-history row. Returns {"queued", "skipped",
    "held"} counts of the rows written (a dedupe key already used writes nothing)."""
    result = {"queued": 0, "skipped": 0, "held": 0}
    setting = notice_settings()[kind]
    channels = notice_channels(setting) if setting.enabled else []
    if not channels:
        return result
    for start in range(lo, hi + 1, chunk):
        end = min(start + chunk - 1, hi)
        candidates_sql, candidates_params = candidates(start, end)
        with transaction.atomic():
            counts = messages_bulk_insert(
                kind=kind, purpose=NOTICE_PURPOSE[kind], channels=channels, candidates_sql=candidates_sql,
                candidates_params=candidates_params, lo=start, hi=end, now=now,
            )  # fmt: skip
        for name, value in counts.items():
            result[name] += value
    return result


def messages_bulk_insert(
    *,
    kind: str,
    purpose: str,
    channels: list[str],
    candidates_sql: str,
    candidates_params: list,
    lo: int,
    hi: int,
    now: dt.datetime,
) -> dict[str, int]:
    """Queue one message of `kind` and `purpose` per candidate of one chunk (customer ids `lo`…`hi`), in the
    caller's transaction: the INSERT … SELECT of messaging.notices_sql (`candidates_sql` selects
    `customer_id`, `vals`, `dedupe` for those ids), with the outbox's checks (STOP, consent when marketing
    or MESSAGING_SERVICE_NEEDS_CONSENT, address, the frequency cap for marketing), quiet hours holding SMS
    and messenger rows until the morning, each row in its customer's language, rendered when sent. Used by
    `notices_queue` and by other apps' bulk messages (a campaign's grants). `channels`: codes in the order
    tried, each with a template of `kind` (not empty). Returns {"queued", "skipped", "held"} counts of the
    rows written (a dedupe key already used writes nothing)."""
    marketing = purpose == Message.Purpose.MARKETING
    cap_limit = settings.MESSAGING_FREQUENCY_CAP_MESSAGES if marketing else 0
    cap_since = now - dt.timedelta(days=settings.MESSAGING_FREQUENCY_CAP_DAYS)
    releases = {code: _quiet_release(code, now) for code in channels if code in QUIET_CHANNELS}
    held_channels = tuple(code for code, release in releases.items() if release is not None)
    release = next((releases[code] for code in held_channels), None)  # the same morning for every channel
    held_note = f"held until {timezone.localtime(release):%Y-%m-%d %H:%M} (quiet hours)" if release else ""
    at = datetime_param(now)
    sql, params = notices_insert_sql(
        candidates_sql=candidates_sql, candidates_params=candidates_params, channels=channels, kind=kind,
        purpose=purpose, languages=tuple(code for code, _name in settings.LANGUAGES),
        default_language=settings.LANGUAGE_CODE,
        needs_consent=marketing or settings.MESSAGING_SERVICE_NEEDS_CONSENT,
        cap_limit=cap_limit, cap_since=datetime_param(cap_since), now=at,
        held_channels=held_channels, release=datetime_param(release) if release else None, held_note=held_note,
        id_range=(lo, hi),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            queued, skipped, held = cursor.fetchone()
        elif not cursor.rowcount:  # every dedupe key was there already
            return {"queued": 0, "skipped": 0, "held": 0}
        else:
            queued, skipped, held = _history_write(cursor, kind=kind, at=at, lo=lo, hi=hi, note=held_note)
    return {"queued": queued, "skipped": skipped, "held": held}


# --- rendering at send time --------------------------------------------------------------------------------


def notice_extra(values: dict) -> dict[str, Any]:
    """A notice's stored JSON values as the renderer's typed `extra` (messaging.services.render formats them
    in the message's language): "points" → int (points, with their word: "120 points", "120 баллов"),
    "expires_on" and "valid_through" → date, "spend_needed" → Decimal (money; stored as text, never a
    float), "tier" → str; null → None (rendered empty)."""
    extra: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:  # said empty (a campaign's grant of 0 points has no {points} nor {expires_on})
            extra[name] = None
        elif name == "points":
            extra[name] = int(value)
        elif name in ("expires_on", "valid_through"):
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
