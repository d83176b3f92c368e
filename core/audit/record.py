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


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            return None
    return None


def audit_values_equal(old: Any, new: Any) -> bool:
    """Whether two values of one field are the same for the audit log, whatever form each came in (a model's
    value, a form's cleaned value, a stored JSON value): None and "" and [] are all empty; a Decimal or a
    number equals the same amount in any form (Decimal("1.0"), "1.00", 1); a date or datetime equals its
    ISO string; lists compare item by item. Two texts compare exactly ("01" is not "1")."""
    empty = (None, "", [], ())
    if old in empty or new in empty:
        return old in empty and new in empty
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return len(old) == len(new) and all(audit_values_equal(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, str) and isinstance(new, str):
        return old == new
    if isinstance(old, dt.date) and isinstance(new, dt.date):
        return old == new
    if isinstance(old, bool) or isinstance(new, bool):
        return audit_value(old) == audit_value(new) or str(old).lower() == str(new).lower()
    old_number, new_number = _as_decimal(old), _as_decimal(new)
    if old_number is not None and new_number is not None and (not isinstance(old, str) or not isinstance(new, str)):
        return old_number == new_number
    return audit_value(old) == audit_value(new)


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """The changes of an audited edit, as `changes` stores them: {field: [old, new]} (`audit_value`) for
    each field of `after` whose value differs from `before` by `audit_values_equal` — the one comparison
    every audited edit uses, so that a value read back in another form (1.0 and "1.00", a date and its
    string, None and "") is never logged as changed."""
    return {
        key: [audit_value(before.get(key)), audit_value(value)]
        for key, value in after.items()
        if not audit_values_equal(before.get(key), value)
    }
