"""django-q2 tasks: thin wrappers around the outbox services."""

import datetime as dt

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
