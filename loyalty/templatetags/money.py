"""Amounts formatted with the program's currency and the active locale: {{ amount|money }},
{{ points|points }}, {{ points|points_value }} (core.formatting does the formatting)."""

from django import template

from core.formatting import money_format, points_format

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
def points_value(value) -> str:
    """Points shown as their money value under the program's point value and currency."""
    from loyalty.rules import points_to_money
    from loyalty.selectors import program_settings_get

    program = program_settings_get()
    return money(points_to_money(int(value or 0), program.point_value), program.currency)
