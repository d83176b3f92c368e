"""Amounts formatted with the program's currency and the active locale: {{ amount|money }},
{{ points|points }}, {{ points|points_count }} ("300 points"), {{ points|points_value }} (core.formatting does the formatting)."""

from django import template
from django.utils.translation import ngettext

from core.formatting import money_format, points_expected_format, points_format

register = template.Library()


@register.filter
def money(value, currency: str | None = None) -> str:
    """Money in `currency` (default: the program's); "" for no value."""
    if value in (None, ""):
        return ""
    if currency is None:
        from loyalty.selectors import program_settings_get

        currency = program_settings_get().currency
    return money_format(value, currency)


@register.filter
def points(value) -> str:
    """Points with the language's grouping."""
    return points_format(value)


@register.filter
def points_expected(value) -> str:
    """An expected number of points, which may have a fraction: "4.5", "450" (core.formatting.
    points_expected_format); "" for no value."""
    if value in (None, ""):
        return ""
    return points_expected_format(value)


@register.filter
def ledger_reason(entry) -> str:
    """A ledger entry's reason in the reader's language (loyalty.reasons.entry_reason)."""
    from loyalty.reasons import entry_reason

    return entry_reason(entry)


@register.filter
def phone(value) -> str:
    """A stored E.164 phone for reading: "+7 921 526-73-71" (customers.rules.phone_display)."""
    from customers.rules import phone_display

    return phone_display(value) if value else ""


@register.filter
def points_count(value) -> str:
    """Points with their word in the language's plural form: "1 point", "300 points"; in Russian
    "1 балл", "2 балла", "300 баллов", "1 000 баллов" (ngettext)."""
    n = int(value or 0)
    return ngettext("%(n)s point", "%(n)s points", abs(n)) % {"n": points_format(n)}


@register.filter
def points_value(value) -> str:
    """Points shown as their money value under the program's point value and currency."""
    from loyalty.rules import points_to_money
    from loyalty.selectors import program_settings_get

    program = program_settings_get()
    return money(points_to_money(int(value or 0), program.point_value), program.currency)
