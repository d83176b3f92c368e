"""Formatting for people, one way per language: money with its currency sign, points with grouping.

Pure functions over the active Django language (`django.utils.formats`, `USE_THOUSAND_SEPARATOR` style
grouping forced on): "1,234.50 ₽" in English, "1 234,50 ₽" in Russian. The template filters in
`loyalty/templatetags/money.py` call these with the program's currency.
"""

from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format

# The sign shown after an amount; a currency not listed shows its ISO code.
CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "UAH": "₴", "GBP": "£"}


def money_format(amount: Decimal | int | str, currency: str) -> str:
    """`amount` (money) with two decimals, the language's grouping and decimal mark, a no-break space and
    the currency's sign (ISO 4217 code `currency`): money_format(Decimal("1234.5"), "RUB") → "1,234.50 ₽"."""
    text = number_format(Decimal(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


def points_format(points: int | None) -> str:
    """Points (an integer) with the language's grouping: 12345 → "12,345" / "12 345"; None → "0"."""
    return intcomma(points if points is not None else 0)
