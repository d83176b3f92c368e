"""Writing an audit entry, and the JSON values its `changes` hold."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .actions import AuditAction


def audit_record(
    *,
    action: AuditAction,
    obj: Any,
    summary: str,
    actor: Any = None,
    origin: str = "",
    changes: dict | None = None,
    at: dt.datetime | None = None,
):
    """Append an audit entry (`core.models.AuditEntry`) and return it; call it inside the transaction of
    the change it describes, so that the change and its audit row commit or roll back together.

    `obj` is the changed model instance (or None), `actor` the signed-in user (anything else, such as an
    API client or a job, leaves it empty and says who in `origin`: "api:<client>", "job:run_daily"),
    `changes` a JSON-able dict ({"field": [old, new]} or values; `audit_value` turns Decimals and dates
    into JSON), with the customer's id under "customer" when `obj` is not the customer itself (the log
    links and filters by it); `at` the moment of the change when it is not now (operations recorded with
    a historic `now`). The summary, in the actor's language, is what the page shows for an entry it
    cannot describe from `changes`; it is cut to 300 characters."""
    from ..models import AuditEntry  # models import this package for AuditAction

    return AuditEntry.objects.create(
        created_at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        origin=origin,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        changes=changes or {},
    )


def audit_value(value: Any) -> Any:
    """`value` as `changes` stores it: Decimal → "1234.50", date → "2026-03-01", list → list of these,
    None, bool, int and str as they are; anything else as its str()."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [audit_value(item) for item in value]
    return str(value)
