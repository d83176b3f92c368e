"""An audit entry in words, in the reader's language: its action's label, a summary written from its
changes, one row per change, the customer it is about and where it came from."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..formatting import ascii_digits, money_format, points_format
from .actions import CUSTOMER_OBJECT, ERASED, AuditAction
from .fields import (
    FIELDS,
    ROWS_FILTERS,
    AuditField,
    Kind,
    audit_value_format,
    decimal_value,
    signed_points_format,
)


@dataclass(frozen=True)
class ChangeRow:
    """One line of an entry's changes: `label: old → new` (a change) or `label: new` (a fact); `group`
    names the thing the line belongs to when an entry changes several (a tier)."""

    label: str
    new: str
    old: str | None = None
    group: str = ""

    @property
    def is_change(self) -> bool:
        return self.old is not None


@dataclass(frozen=True)
class AuditLine:
    """An audit entry as the log shows it, in the active language."""

    entry: Any  # core.models.AuditEntry
    action: str
    summary: str
    origin: str = ""
    rows: list[ChangeRow] = field(default_factory=list)
    customer_id: int | None = None
    customer_name: str = ""


_ORIGINS = {
    "cashier": _("Till"),
    "console": _("Console"),
    "admin": _("Django admin"),
    "seed_demo": _("Demo data"),
}


# The scheduled jobs that audit their changes ("job:<name>" origins), by name.
_JOBS = {
    "campaigns_daily": _("Daily campaign run"),  # campaigns.services.daily.ORIGIN
}


def audit_origin_label(origin: str) -> str:
    """Where a change came from, in words: "cashier" → "Till", "api:Shop" → "API: Shop",
    "job:campaigns_daily" → "Daily campaign run" (a job not listed: "Scheduled job <name>"),
    "command:create_api_client" → "Command create_api_client"; an origin not listed as stored."""
    if origin in _ORIGINS:
        return str(_ORIGINS[origin])
    if origin.startswith("api:"):
        return gettext("API: %(client)s") % {"client": origin.removeprefix("api:")}
    if origin.startswith("job:"):
        name = origin.removeprefix("job:")
        if name in _JOBS:
            return str(_JOBS[name])
        return gettext("Scheduled job %(name)s") % {"name": name}
    if origin.startswith("command:"):  # a management command run on the server ("command:create_api_client")
        return gettext("Command %(name)s") % {"name": origin.removeprefix("command:")}
    return origin


def audit_customer_id(entry: Any) -> int | None:
    """The id of the customer an entry is about: its object, or "customer" in its changes; else None."""
    if entry.object_type == CUSTOMER_OBJECT and ascii_digits(entry.object_id):
        return int(entry.object_id)
    customer = (entry.changes or {}).get("customer") if isinstance(entry.changes, dict) else None
    return customer if isinstance(customer, int) and not isinstance(customer, bool) else None


def _field_for(action: str, name: str) -> AuditField:
    """The field's description; a field no call site declares reads as text under its own name."""
    return FIELDS.get(action, {}).get(name) or AuditField(name.replace("_", " ").capitalize())


def _row(action: str, name: str, value: Any, *, currency: str, group: str = "") -> ChangeRow | None:
    audit_field = _field_for(action, name)
    if audit_field.kind == Kind.HIDDEN:
        return None
    label = str(audit_field.label)
    if _is_change(value, audit_field):
        old, new = (audit_value_format(v, audit_field, currency=currency) for v in value)
        return ChangeRow(label=label, old=old, new=new, group=group)
    return ChangeRow(label=label, new=audit_value_format(value, audit_field, currency=currency), group=group)


def _is_change(value: Any, audit_field: AuditField) -> bool:
    """Whether a stored value is [old, new] rather than a fact. A list field's fact is itself a list: its
    change is two lists (or, in rows written before audit_value, two "['…']" strings)."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return False
    if audit_field.kind != Kind.LIST:
        return True
    return all(v is None or isinstance(v, list) or (isinstance(v, str) and v.startswith("[")) for v in value)


def _in_order(action: str, values: dict) -> list[tuple[str, Any]]:
    """`values` in the order FIELDS declares for `action` (then any others by name): the database keeps
    no key order (PostgreSQL's jsonb sorts keys by length)."""
    declared = list(FIELDS.get(action, {}))
    rank = {name: index for index, name in enumerate(declared)}
    return sorted(values.items(), key=lambda item: (rank.get(item[0], len(declared)), item[0]))


def _rows(action: str, values: dict, *, currency: str, group: str = "") -> list[ChangeRow]:
    rows = (_row(action, name, value, currency=currency, group=group) for name, value in _in_order(action, values))
    return [row for row in rows if row is not None]


def _tier_names(changes: dict) -> list[str]:
    return sorted(changes, key=str.casefold)


def _tier_rows(changes: dict, *, currency: str) -> list[ChangeRow]:
    """Rows of a tier list change, tier by tier (by name): its changed fields; a new tier with its values
    ("created"), a deleted one with the values it had (rows written before that say only "created" or
    "deleted")."""
    rows: list[ChangeRow] = []
    events = {"created": gettext("created"), "deleted": gettext("deleted")}
    for tier in _tier_names(changes):
        value = changes[tier]
        if isinstance(value, str):
            rows.append(ChangeRow(label=gettext("Tier"), new=events.get(value, value), group=tier))
            continue
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in events:
            event, values = next(iter(value.items()))
            rows.append(ChangeRow(label=gettext("Tier"), new=events[event], group=tier))
            value = values
        if isinstance(value, dict):
            rows.extend(_rows(AuditAction.TIERS_UPDATE, value, currency=currency, group=tier))
    return rows


def _labels(action: str, names) -> str:
    return ", ".join(str(_field_for(action, name).label) for name, _value in _in_order(action, dict.fromkeys(names)))


def _points_phrase(points: int) -> str:
    return ngettext("%(points)s point", "%(points)s points", abs(points)) % {"points": signed_points_format(points)}


def _money(value: Any, currency: str) -> str:
    return money_format(decimal_value(value), currency)


# A campaign's summaries, by action; "%(name)s" is its name (_campaign_name).
_CAMPAIGN_SUMMARIES = {
    AuditAction.CAMPAIGN_CREATE: _("Created campaign “%(name)s”"),
    AuditAction.CAMPAIGN_DELETE: _("Deleted draft campaign “%(name)s”"),
    AuditAction.CAMPAIGN_UPDATE: _("Changed campaign “%(name)s”"),
    AuditAction.CAMPAIGN_LAUNCH: _("Launched campaign “%(name)s”"),
    AuditAction.CAMPAIGN_PAUSE: _("Paused campaign “%(name)s”"),
    AuditAction.CAMPAIGN_RESUME: _("Resumed campaign “%(name)s”"),
    AuditAction.CAMPAIGN_FINISH: _("Finished campaign “%(name)s”"),
    AuditAction.CAMPAIGN_LIST_UPLOAD: _("Uploaded the list of campaign “%(name)s”"),
}
# The name quoted in a stored campaign summary (English “…” or Russian «…»), for rows written before the
# name was stored in their changes.
_QUOTED_NAME = re.compile(r"“(.*)”|«(.*)»", re.DOTALL)


def _campaign_name(entry: Any, changes: dict) -> str:
    """The campaign's name as of the entry: "campaign" (stored by every campaign action since), else
    "name" (its new value when changed), else the name quoted in the stored summary. KeyError when none."""
    if isinstance(changes.get("campaign"), str):
        return changes["campaign"]
    name = changes.get("name")
    if isinstance(name, list) and len(name) == 2 and isinstance(name[1], str):
        return name[1]
    if isinstance(name, str):
        return name
    quoted = _QUOTED_NAME.search(entry.summary or "")
    if quoted:
        return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    raise KeyError("name")


def _summary(entry: Any, changes: dict, *, currency: str, customer_name: str) -> str:
    """The entry's summary in the active language, from its action and changes. KeyError, ValueError…
    when the row holds too little (written before its call site stored enough)."""
    action = entry.action
    if action in _CAMPAIGN_SUMMARIES:
        return str(_CAMPAIGN_SUMMARIES[action]) % {"name": _campaign_name(entry, changes)}
    if action == AuditAction.CAMPAIGN_STATUS:
        status = _field_for(action, "status")
        old, new = (audit_value_format(value, status, currency=currency) for value in changes["status"])
        return gettext("Campaign “%(name)s”: %(old)s → %(new)s") % {
            "name": _campaign_name(entry, changes),
            "old": old,
            "new": new,
        }
    if action == AuditAction.MESSAGE_TEMPLATE_SAVE:
        template = audit_value_format(changes["template"], _field_for(action, "template"), currency=currency)
        return gettext("Template %(template)s saved") % {"template": template}
    if action == AuditAction.CUSTOMER_ENROL:
        return gettext("Enrolled %(name)s, card %(card)s") % {"name": changes["name"], "card": changes["card_number"]}
    if action == AuditAction.CUSTOMER_UPDATE:
        return gettext("Changed %(fields)s of %(name)s") % {
            "fields": _labels(action, changes),
            "name": customer_name or changes["name"][1],
        }
    if action == AuditAction.CUSTOMER_CONSENT:
        return gettext("Marketing consent of %(name)s changed: %(fields)s") % {
            "name": customer_name,
            "fields": _labels(action, {k: v for k, v in changes.items() if k != "source"}),
        }
    if action == AuditAction.CUSTOMER_EXPORT:
        return gettext("Exported the personal data of customer %(id)s") % {"id": int(entry.object_id)}
    if action == AuditAction.CUSTOMER_ERASE:
        return gettext("Erased the personal data of customer %(id)s") % {"id": int(entry.object_id)}
    if action == AuditAction.CUSTOMER_IMPORT:
        rows = int(changes["rows"])
        return ngettext("Imported %(n)s customer from %(file)s", "Imported %(n)s customers from %(file)s", rows) % {
            "n": points_format(rows),
            "file": changes["file"],
        }
    if action == AuditAction.POINTS_ADJUST:
        return f"{_points_phrase(int(changes['points']))}: {changes['reason']}"
    if action == AuditAction.PURCHASE_RECORD:
        return gettext("Purchase %(receipt)s for %(amount)s") % {
            "receipt": changes["receipt"],
            "amount": _money(changes["amount"], currency),
        }
    if action == AuditAction.PURCHASE_REFUND:
        return gettext("Refund of %(amount)s on purchase %(receipt)s") % {
            "amount": _money(changes["amount"], currency),
            "receipt": changes["receipt"],
        }
    if action == AuditAction.SETTINGS_UPDATE:
        return gettext("Program settings changed: %(fields)s") % {"fields": _labels(action, changes)}
    if action == AuditAction.ANALYTICS_SETTINGS_UPDATE:
        return gettext("Analytics settings changed: %(fields)s") % {"fields": _labels(action, changes)}
    if action == AuditAction.TIERS_UPDATE:
        return gettext("Tiers changed: %(names)s") % {"names": ", ".join(_tier_names(changes))}
    if action == AuditAction.API_CLIENT_CREATE:
        return gettext("Created API client %(name)s (key %(prefix)s…)") % {
            "name": changes["name"],
            "prefix": changes["key_prefix"],
        }
    if action == AuditAction.API_CLIENT_REVOKE:
        return gettext("Revoked API client %(name)s (key %(prefix)s…)") % {
            "name": changes["name"],
            "prefix": changes["key_prefix"],
        }
    if action == AuditAction.API_CLIENT_ROTATE:
        old, new = changes["key_prefix"]
        return gettext("New key for API client %(name)s (%(old)s… → %(new)s…)") % {
            "name": changes["name"],
            "old": old,
            "new": new,
        }
    if action in (AuditAction.SEGMENT_CREATE, AuditAction.SEGMENT_UPDATE, AuditAction.SEGMENT_DELETE):
        name = changes["name"][1] if isinstance(changes["name"], list) else changes["name"]
        text = {
            AuditAction.SEGMENT_CREATE: gettext("Created saved segment “%(name)s”"),
            AuditAction.SEGMENT_UPDATE: gettext("Changed saved segment “%(name)s”"),
            AuditAction.SEGMENT_DELETE: gettext("Deleted saved segment “%(name)s”"),
        }[action]
        return text % {"name": name}
    raise KeyError(action)


def audit_entry_describe(entry: Any, *, currency: str, customer_names: dict[int, str]) -> AuditLine:
    """`entry` (core.models.AuditEntry) in words, in the active language: the action's label, a summary
    written now from the action and the stored changes (the stored summary for a row that holds too
    little, or whose personal values were erased), and one row per change with its label and values
    formatted by kind. `currency` (ISO 4217) is the program's, for money; `customer_names` maps customer
    ids to their current names, for the link to the customer."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    customer_id = audit_customer_id(entry)
    customer_name = customer_names.get(customer_id, "") if customer_id is not None else ""
    erased = ERASED in changes.values()
    summary = entry.summary
    if erased:
        summary = gettext("(personal data erased)")
    else:
        try:
            summary = _summary(entry, changes, currency=currency, customer_name=customer_name)
        except (KeyError, ValueError, TypeError, IndexError, ArithmeticError):
            pass  # a row written before its call site stored enough: the summary it was written with
    if entry.action == AuditAction.TIERS_UPDATE:
        rows = _tier_rows(changes, currency=currency)
    else:
        rows_filter = ROWS_FILTERS.get(entry.action)
        rows = _rows(entry.action, rows_filter(changes) if rows_filter else changes, currency=currency)
    return AuditLine(
        entry=entry,
        action=str(entry.get_action_display()),
        summary=summary,
        origin=audit_origin_label(entry.origin),
        rows=rows,
        customer_id=customer_id,
        customer_name=customer_name,
    )
