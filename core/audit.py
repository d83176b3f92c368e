"""One vocabulary for the audit log: every audited action and every field its changes name, with labels
for people (translated), and how the log reads in words.

Services pass an AuditAction to `audit_record` (below) inside the transaction of the change; the stored
value is the dotted code (`points.adjust`), which filters and exports keep using; pages show the label.
`changes` holds JSON values (`audit_value`): {"field": [old, new]} for a change, {"field": value} for a
fact. The page does not show the summary stored at write time (it is in the language of whoever made
the change): `audit_entry_describe` writes it again, in the reader's language, from the action and the
stored changes, with each value formatted by its kind (money, points, dates, yes/no…). Rows written
before a call site stored enough to describe them fall back to their stored summary.

This module knows field names as strings only: core sits below the apps whose fields it names.
"""

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import phonenumbers
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .formatting import money_format, points_format


class AuditAction(models.TextChoices):
    CUSTOMER_ENROL = "customer.enrol", _("Customer enrolled")
    CUSTOMER_UPDATE = "customer.update", _("Customer profile changed")
    CUSTOMER_IMPORT = "customer.import", _("Customers imported")
    CUSTOMER_EXPORT = "customer.export", _("Customer's personal data exported")
    CUSTOMER_ERASE = "customer.erase", _("Customer's personal data erased")
    POINTS_ADJUST = "points.adjust", _("Manual adjustment")
    PURCHASE_RECORD = "purchase.record", _("Purchase recorded")
    PURCHASE_REFUND = "purchase.refund", _("Purchase refunded")
    SETTINGS_UPDATE = "settings.update", _("Program settings changed")
    TIERS_UPDATE = "tiers.update", _("Tiers changed")
    API_CLIENT_CREATE = "api_client.create", _("API client created")
    API_CLIENT_REVOKE = "api_client.revoke", _("API client revoked")
    API_CLIENT_ROTATE = "api_client.rotate", _("API client given a new key")


# What `customer_erase` leaves in place of every personal value of a customer's earlier entries.
ERASED = "(erased)"
# `object_type` of an entry about a customer (customers.Customer's label).
CUSTOMER_OBJECT = "customers.customer"


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
    from .models import AuditEntry  # models import this module for AuditAction

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


# --- fields and their kinds -------------------------------------------------------------------------


class Kind(StrEnum):
    """How a stored value reads."""

    TEXT = "text"
    MONEY = "money"  # a decimal string, in the program's currency
    POINTS = "points"  # an integer number of points
    SIGNED_POINTS = "signed_points"  # points added (+) or taken (−)
    COUNT = "count"  # an integer
    PERCENT = "percent"  # a decimal string
    DAYS = "days"  # an integer number of days
    DATE = "date"  # an ISO date
    BOOL = "bool"  # True/False (or "True"/"False" in rows written before audit_value)
    PHONE = "phone"  # E.164
    LIST = "list"  # a list of texts
    KEY = "key"  # the visible start of an API key
    HIDDEN = "hidden"  # used by the summary or the links, not listed


@dataclass(frozen=True)
class AuditField:
    label: Any  # a lazy translation
    kind: Kind = Kind.TEXT
    empty: Any = None  # what an empty value means (None: a dash)


_CUSTOMER_FIELDS = {
    "name": AuditField(_("Name")),
    "phone": AuditField(_("Phone"), Kind.PHONE),
    "email": AuditField(_("Email")),
    "birthday": AuditField(_("Birthday"), Kind.DATE),
    "consent_email": AuditField(_("Email consent"), Kind.BOOL),
    "consent_sms": AuditField(_("SMS consent"), Kind.BOOL),
    "notes": AuditField(_("Notes")),
    "card_number": AuditField(_("Card number")),
}
_TIER_FIELDS = {
    "name": AuditField(_("Name")),
    "code": AuditField(_("Code")),
    "order": AuditField(_("Order"), Kind.COUNT),
    "colour": AuditField(_("Colour")),
    "threshold": AuditField(_("Threshold"), Kind.MONEY),
    "min_purchases": AuditField(_("Min. purchases"), Kind.COUNT),
    "cashback_percent": AuditField(_("Cashback"), Kind.PERCENT),
    "redeem_cap_percent": AuditField(_("Redemption cap"), Kind.PERCENT),
    "perks": AuditField(_("Perks"), Kind.LIST),
}
_API_CLIENT_FIELDS = {"name": AuditField(_("Name")), "key_prefix": AuditField(_("Key"), Kind.KEY)}
_BALANCE = AuditField(_("Balance"), Kind.POINTS)
_CUSTOMER_LINK = AuditField(_("Customer"), Kind.HIDDEN)
_PURCHASE_LINK = AuditField(_("Purchase"), Kind.HIDDEN)
_RECEIPT = AuditField(_("Receipt"))

FIELDS: dict[str, dict[str, AuditField]] = {
    AuditAction.CUSTOMER_ENROL: {
        "name": AuditField(_("Name"), Kind.HIDDEN),
        "card_number": AuditField(_("Card number"), Kind.HIDDEN),
    },
    AuditAction.CUSTOMER_UPDATE: _CUSTOMER_FIELDS,
    AuditAction.CUSTOMER_IMPORT: {
        "file": AuditField(_("File")),
        "rows": AuditField(_("Customers"), Kind.COUNT),
        "points": AuditField(_("Opening points"), Kind.POINTS),
        "customers_with_balance": AuditField(_("Customers with opening points"), Kind.COUNT),
        "job": AuditField(_("Import job"), Kind.HIDDEN),
    },
    AuditAction.POINTS_ADJUST: {
        "customer": _CUSTOMER_LINK,
        "points": AuditField(_("Points"), Kind.SIGNED_POINTS),
        "reason": AuditField(_("Reason")),
        "balance": _BALANCE,
        "balance_after": AuditField(_("Balance after"), Kind.POINTS),
    },
    AuditAction.PURCHASE_RECORD: {
        "customer": _CUSTOMER_LINK,
        "purchase": _PURCHASE_LINK,
        "receipt": _RECEIPT,
        "amount": AuditField(_("Amount"), Kind.MONEY),
        "paid_amount": AuditField(_("Paid in money"), Kind.MONEY),
        "redeemed_points": AuditField(_("Paid with points"), Kind.POINTS),
        "earned_points": AuditField(_("Points earned"), Kind.POINTS),
        "balance": _BALANCE,
    },
    AuditAction.PURCHASE_REFUND: {
        "customer": _CUSTOMER_LINK,
        "purchase": _PURCHASE_LINK,
        "receipt": _RECEIPT,
        "amount": AuditField(_("Refunded amount"), Kind.MONEY),
        "points_returned": AuditField(_("Points returned"), Kind.POINTS),
        "points_reversed": AuditField(_("Cashback taken back"), Kind.POINTS),
        "points_expired": AuditField(_("Cashback not taken back (had expired)"), Kind.POINTS),
        "points_shortfall": AuditField(_("Points owed"), Kind.POINTS),
        "balance": _BALANCE,
    },
    AuditAction.SETTINGS_UPDATE: {
        "currency": AuditField(_("Currency")),
        "point_value": AuditField(_("Point value"), Kind.MONEY),
        "base_cashback_percent": AuditField(_("Base cashback"), Kind.PERCENT),
        "redeem_cap_percent": AuditField(_("Redemption cap"), Kind.PERCENT),
        "points_lifetime_days": AuditField(_("Point lifetime"), Kind.DAYS, empty=_("points never expire")),
        "activation_delay_days": AuditField(_("Activation delay"), Kind.DAYS),
        "tier_window_days": AuditField(_("Tier qualification window"), Kind.DAYS, empty=_("lifetime spend")),
        "tier_grace_days": AuditField(_("Tier downgrade grace period"), Kind.DAYS),
        "manual_adjustment_limit": AuditField(_("Maximum points per manual adjustment"), Kind.POINTS),
        "max_purchase_amount": AuditField(_("Largest purchase accepted"), Kind.MONEY),
    },
    AuditAction.TIERS_UPDATE: _TIER_FIELDS,  # nested: {tier name: {field: [old, new]}}
    AuditAction.API_CLIENT_CREATE: _API_CLIENT_FIELDS,
    AuditAction.API_CLIENT_REVOKE: _API_CLIENT_FIELDS,
    AuditAction.API_CLIENT_ROTATE: _API_CLIENT_FIELDS,
}


def _decimal(value: Any) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(value)
    return number


def _plain_number(value: Any) -> str:
    """A decimal without trailing zeros, in the language's format: "7.50" → "7.5" / "7,5"."""
    number = _decimal(value).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return formats.number_format(number, use_l10n=True, force_grouping=True)


def _signed_points(value: Any) -> str:
    points = int(value)
    return ("+" if points > 0 else "−" if points < 0 else "") + points_format(abs(points))


def _phone(value: Any) -> str:
    number = phonenumbers.parse(str(value), None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _perks(value: Any) -> str:
    if isinstance(value, str):  # rows written before audit_value stored str(list): "['Free coffee']"
        value = ast.literal_eval(value) if value.startswith("[") else [value]
    return ", ".join(str(item) for item in value) if value else "—"


def _days(value: Any) -> str:
    days = int(value)
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": points_format(days)}


_FORMATTERS: dict[Kind, Callable[[Any, str], str]] = {
    Kind.MONEY: lambda value, currency: money_format(_decimal(value), currency),
    Kind.POINTS: lambda value, currency: points_format(int(value)),
    Kind.SIGNED_POINTS: lambda value, currency: _signed_points(value),
    Kind.COUNT: lambda value, currency: points_format(int(value)),
    Kind.PERCENT: lambda value, currency: f"{_plain_number(value)}\u00a0%",
    Kind.DAYS: lambda value, currency: _days(value),
    Kind.DATE: lambda value, currency: formats.date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT"),
    Kind.BOOL: lambda value, currency: str(_("Yes") if value in (True, "True", "true") else _("No")),
    Kind.PHONE: lambda value, currency: _phone(value),
    Kind.LIST: lambda value, currency: _perks(value),
    Kind.KEY: lambda value, currency: f"{value}…",
}


def audit_value_format(value: Any, audit_field: AuditField, *, currency: str) -> str:
    """A stored value as people read it in the active language: money with grouping and the currency
    sign ("15,000.00 ₽" / "15 000,00 ₽"), points and counts with grouping, percentages ("7.5 %"), days
    with their plural, dates in the language's format, Yes/No, phones spaced for reading; empty values
    as a dash (or the field's meaning of empty: "points never expire"), erased ones as "(erased)". A
    value that does not parse as its kind (an old row) is shown as stored."""
    if value is None or value in ("", "None"):
        return str(audit_field.empty) if audit_field.empty is not None else "—"
    if value == ERASED:
        return gettext("(erased)")
    formatter = _FORMATTERS.get(audit_field.kind)
    if formatter is None:
        return str(value)
    try:
        return formatter(value, currency)
    except (ValueError, TypeError, ArithmeticError, SyntaxError, phonenumbers.NumberParseException):
        return str(value)


# --- an entry in words ------------------------------------------------------------------------------


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


def audit_origin_label(origin: str) -> str:
    """Where a change came from, in words: "cashier" → "Till", "api:Shop" → "API: Shop"; an origin not
    listed as stored."""
    if origin in _ORIGINS:
        return str(_ORIGINS[origin])
    if origin.startswith("api:"):
        return gettext("API: %(client)s") % {"client": origin.removeprefix("api:")}
    return origin


def audit_customer_id(entry: Any) -> int | None:
    """The id of the customer an entry is about: its object, or "customer" in its changes; else None."""
    if entry.object_type == CUSTOMER_OBJECT and entry.object_id.isdigit():
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
    return ngettext("%(points)s point", "%(points)s points", abs(points)) % {"points": _signed_points(points)}


def _money(value: Any, currency: str) -> str:
    return money_format(_decimal(value), currency)


def _summary(entry: Any, changes: dict, *, currency: str, customer_name: str) -> str:
    """The entry's summary in the active language, from its action and changes. KeyError, ValueError…
    when the row holds too little (written before its call site stored enough)."""
    action = entry.action
    if action == AuditAction.CUSTOMER_ENROL:
        return gettext("Enrolled %(name)s, card %(card)s") % {"name": changes["name"], "card": changes["card_number"]}
    if action == AuditAction.CUSTOMER_UPDATE:
        return gettext("Changed %(fields)s of %(name)s") % {
            "fields": _labels(action, changes),
            "name": customer_name or changes["name"][1],
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
        rows = _rows(entry.action, changes, currency=currency)
    return AuditLine(
        entry=entry,
        action=str(entry.get_action_display()),
        summary=summary,
        origin=audit_origin_label(entry.origin),
        rows=rows,
        customer_id=customer_id,
        customer_name=customer_name,
    )
