"""The fields audit entries' changes name (per action), their labels and kinds, and how a stored value
reads in the active language."""

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import phonenumbers
from django.conf import settings
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..formatting import money_format, points_format
from .actions import ERASED, AuditAction


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
    DATETIME = "datetime"  # an ISO date and time, read in the site's time zone
    CHOICE = "choice"  # a code, read by the field's `choices` ({code: label})
    BOOL = "bool"  # True/False (or "True"/"False" in rows written before audit_value)
    PHONE = "phone"  # E.164
    LIST = "list"  # a list of texts
    KEY = "key"  # the visible start of an API key
    LANGUAGE = "language"  # a code of settings.LANGUAGES, read as the language's name
    HIDDEN = "hidden"  # used by the summary or the links, not listed


@dataclass(frozen=True)
class AuditField:
    label: Any  # a lazy translation
    kind: Kind = Kind.TEXT
    empty: Any = None  # what an empty value means (None: a dash)
    choices: Any = None  # Kind.CHOICE (and Kind.LIST of codes): {code: label}; unknown codes read as stored
    # An app's own reading of a stored value (a text in the active language), e.g. a template's code read
    # by its kind, channel and language; used before the kind's formatting.
    reader: Callable[[Any], str] | None = None


_CUSTOMER_FIELDS = {
    "name": AuditField(_("Name")),
    "phone": AuditField(_("Phone"), Kind.PHONE),
    "email": AuditField(_("Email")),
    "birthday": AuditField(_("Birthday"), Kind.DATE),
    "consent_email": AuditField(_("Email consent"), Kind.BOOL),
    "consent_sms": AuditField(_("SMS consent"), Kind.BOOL),
    "language": AuditField(_("Language"), Kind.LANGUAGE),
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
_SEGMENT_FIELDS = {
    "name": AuditField(_("Name")),
    "description": AuditField(_("Description")),
    "filter": AuditField(_("Filter")),  # in words, in the language of whoever saved it
}
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
    AuditAction.CUSTOMER_CONSENT: {
        "consent_email": _CUSTOMER_FIELDS["consent_email"],
        "consent_sms": _CUSTOMER_FIELDS["consent_sms"],
        "source": AuditField(_("How")),
    },
    AuditAction.MESSAGE_QUEUE: {
        "customer": _CUSTOMER_LINK,
        "message": AuditField(_("Message"), Kind.HIDDEN),
        "channel": AuditField(_("Channel")),
        "kind": AuditField(_("Kind")),
        "status": AuditField(_("Status")),
    },
    AuditAction.MESSAGE_TEMPLATE_SAVE: {
        "template": AuditField(_("Template")),
        "subject": AuditField(_("Subject")),
        "body": AuditField(_("Text")),
    },
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
        # loyalty.models.ProgramSettings' labels and choices (core knows them as strings only)
        "boost_combine": AuditField(
            capfirst(_("several earning boosts on one line")),
            Kind.CHOICE,
            choices={"best": _("Only the largest boost counts"), "sum": _("Boosts add up, to the cap")},
        ),
        "boost_cap_percent": AuditField(_("Cap of added-up boosts"), Kind.PERCENT),
    },
    AuditAction.ANALYTICS_SETTINGS_UPDATE: {
        "key_metric": AuditField(_("Key metric"), empty=_("none")),  # a figure's key (analytics.models.KeyMetric)
        "target_percent": AuditField(_("Target change"), Kind.PERCENT),
        "target_date": AuditField(_("Target date"), Kind.DATE),
        "key_metric_days": AuditField(_("Key metric measured over"), Kind.DAYS),
        "baseline_value": AuditField(_("Baseline")),  # the figure in its own unit (a rate as a fraction)
        "baseline_start": AuditField(_("Baseline from"), Kind.DATE),
        "baseline_end": AuditField(_("Baseline to"), Kind.DATE),
        "rfm_window_days": AuditField(_("RFM analysis window"), Kind.DAYS),
    },
    AuditAction.TIERS_UPDATE: _TIER_FIELDS,  # nested: {tier name: {field: [old, new]}}
    AuditAction.API_CLIENT_CREATE: _API_CLIENT_FIELDS,
    AuditAction.API_CLIENT_REVOKE: _API_CLIENT_FIELDS,
    AuditAction.API_CLIENT_ROTATE: _API_CLIENT_FIELDS,
    AuditAction.SEGMENT_CREATE: _SEGMENT_FIELDS,
    AuditAction.SEGMENT_UPDATE: _SEGMENT_FIELDS,
    AuditAction.SEGMENT_DELETE: _SEGMENT_FIELDS,
}


def decimal_value(value: Any) -> Decimal:
    """A stored amount as a Decimal; ValueError (or InvalidOperation) for anything not a finite number."""
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(value)
    return number


def _plain_number(value: Any) -> str:
    """A decimal without trailing zeros, in the language's format: "7.50" → "7.5" / "7,5"."""
    number = decimal_value(value).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return formats.number_format(number, use_l10n=True, force_grouping=True)


def signed_points_format(value: Any) -> str:
    """Points with their sign and grouping: 1500 → "+1,500", -1 → "−1" (a minus sign, not a hyphen)."""
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
    Kind.MONEY: lambda value, currency: money_format(decimal_value(value), currency),
    Kind.POINTS: lambda value, currency: points_format(int(value)),
    Kind.SIGNED_POINTS: lambda value, currency: signed_points_format(value),
    Kind.COUNT: lambda value, currency: points_format(int(value)),
    Kind.PERCENT: lambda value, currency: f"{_plain_number(value)}\u00a0%",
    Kind.DAYS: lambda value, currency: _days(value),
    Kind.DATE: lambda value, currency: formats.date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT"),
    Kind.DATETIME: lambda value, currency: formats.date_format(
        timezone.localtime(dt.datetime.fromisoformat(str(value))), "SHORT_DATETIME_FORMAT"
    ),
    Kind.BOOL: lambda value, currency: str(_("Yes") if value in (True, "True", "true") else _("No")),
    Kind.PHONE: lambda value, currency: _phone(value),
    Kind.LIST: lambda value, currency: _perks(value),
    Kind.KEY: lambda value, currency: f"{value}…",
    Kind.LANGUAGE: lambda value, currency: str(dict(settings.LANGUAGES).get(value, value)),
}


def audit_value_format(value: Any, audit_field: AuditField, *, currency: str) -> str:
    """A stored value as people read it in the active language: money with grouping and the currency
    sign ("15,000.00 ₽" / "15 000,00 ₽"), points and counts with grouping, percentages ("7.5 %"), days
    with their plural, dates in the language's format, Yes/No, phones spaced for reading, languages by
    name ("ru" → "Russian" / "Русский"); empty values
    as a dash (or the field's meaning of empty: "points never expire"), erased ones as "(erased)". A
    value that does not parse as its kind (an old row) is shown as stored."""
    if value is None or value in ("", "None"):
        return str(audit_field.empty) if audit_field.empty is not None else "—"
    if value == ERASED:
        return gettext("(erased)")
    if audit_field.reader is not None:
        try:
            return audit_field.reader(value)
        except (ValueError, TypeError, KeyError):
            return str(value)
    if audit_field.choices is not None and audit_field.kind in (Kind.CHOICE, Kind.LIST):
        labels = dict(audit_field.choices)
        if isinstance(value, list):
            return ", ".join(str(labels.get(item, item)) for item in value) if value else "—"
        return str(labels.get(value, value))
    formatter = _FORMATTERS.get(audit_field.kind)
    if formatter is None:
        return str(value)
    try:
        return formatter(value, currency)
    except (ValueError, TypeError, ArithmeticError, SyntaxError, phonenumbers.NumberParseException):
        return str(value)


def audit_fields_register(action: str, fields: dict[str, AuditField]) -> None:
    """Declare the fields an app's audited `action` names (labels, kinds, choices), from its AppConfig.ready:
    the app describes its own model's fields (core knows them as strings only); the log reads them in the
    reader's language."""
    FIELDS[action] = {**FIELDS.get(action, {}), **fields}


# Per action, the stored changes its rows list (an app's rule, e.g. a campaign lists only its kind's fields).
ROWS_FILTERS: dict[str, Callable[[dict], dict]] = {}


def audit_rows_filter_register(action: str, rows_filter: Callable[[dict], dict]) -> None:
    """Declare which of an audited `action`'s stored changes the log lists as rows: `rows_filter` takes the
    entry's changes ({field: value}) and returns those to list (the summary still reads them all)."""
    ROWS_FILTERS[action] = rows_filter
