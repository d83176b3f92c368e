"""django-q2 tasks: thin wrappers around the outbox services."""

import datetime as dt

from .services.notice_jobs import notices_daily, points_earned_notice_queue, tier_upgrade_notice_queue
from .services.outbox import message_send, outbox_dispatch


def message_send_task(message_id: int, now: dt.datetime | None = None) -> str:
    """Send one message (queued by message_queue after its commit, or by the dispatcher). Safe to run
    twice or concurrently: only one run claims the message. `now`: the dispatcher's clock when it was
    given one. Returns the message's status afterwards."""
    return message_send(message_id=message_id, now=now)


def message_send_batch_task(message_ids: list[int], now: dt.datetime | None = None) -> int:
    """Send a batch of messages handed out by the dispatcher, one after the other (each claimed on its own,
    so a batch run twice sends nothing twice). Returns how many are sent or delivered afterwards."""
    return sum(message_send(message_id=message_id, now=now) in ("sent", "delivered") for message_id in message_ids)


def outbox_dispatch_task() -> int:
    """Every minute (schedule `messaging.outbox_dispatch`, messaging migration 0002): hand every message that
    is due to batch send tasks. Returns how many were handed out."""
    return len(outbox_dispatch())


def notices_daily_task(as_of: str) -> dict:
    """After the daily run of `as_of` (ISO date; queued by messaging.subscribers when loyalty announces the
    run finished): the daily notices (points about to burn, tiers at risk, balance reminders, the review's
    upgrades), set-based. Idempotent for the date. Returns each kind's counts."""
    return notices_daily(as_of=dt.date.fromisoformat(as_of))


def points_earned_notice_task(purchase_id: int) -> dict:
    """After a purchase that earned points committed: its "points earned" notice (once per purchase)."""
    return points_earned_notice_queue(purchase_id=purchase_id)


def tier_upgrade_notice_task(change_id: int) -> dict:
    """After a purchase moved a customer up a tier: the "tier upgrade" notice (once per tier change)."""
    return tier_upgrade_notice_queue(change_id=change_id)
