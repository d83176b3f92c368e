"""Amounts formatted with the program's currency and the active locale: {{ amount|money }}."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "UAH": "₴", "GBP": "£"}


@register.filter
def money(value, currency: str | None = None) -> str:
    if value in (None, ""):
        return ""
    if currency is None:
        from loyalty.selectors import program_settings_get

        currency = program_settings_get().currency
    amount = number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{amount}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


@register.filter
def points(value) -> str:
    return intcomma(value if value is not None else 0)


@register.filter
def points_value(value) -> str:
    """Points shown as their money value under the program's point value and currency."""
    from loyalty.rules import points_to_money
    from loyalty.selectors import program_settings_get

    program = program_settings_get()
    return money(points_to_money(int(value or 0), program.point_value), program.currency)
