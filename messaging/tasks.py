"""django-q2 tasks: thin wrappers around the outbox services."""

import datetime as dt

from .services.outbox import message_send, outbox_dispatch


def message_send_task(message_id: int, now: dt.datetime | None = None) -> str:
    """Send one message (queued by message_queue after its commit, or by the dispatcher). Safe to run
    twice or concurrently: only one run claims the message. `now`: the dispatcher's clock when it was
    given one. Returns the message's status afterwards."""
    return message_send(message_id=message_id, now=now)


def outbox_dispatch_task() -> int:
    """Every minute (schedule `messaging.outbox_dispatch`, messaging migration 0002): queue the send task
    of every message that is due. Returns how many were queued."""
    return len(outbox_dispatch())
