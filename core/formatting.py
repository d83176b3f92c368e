"""Formatting for people, one way per language: money with its currency sign, points with grouping; and
reading numbers back as people type them (`number_parse`, `integer_parse`).

Pure functions over the active Django language (`django.utils.formats`, `USE_THOUSAND_SEPARATOR` style
grouping forced on): "1,234.50 ₽" in English, "1 234,50 ₽" in Russian. The template filters in
`loyalty/templatetags/money.py` call these with the program's currency.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import get_format, number_format

# The sign shown after an amount; a currency not listed shows its ISO code.
CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "UAH": "₴", "GBP": "£"}


def money_format(amount: Decimal | int | str, currency: str) -> str:
    """`amount` (money) with two decimals, the language's grouping and decimal mark, a no-break space and
    the currency's sign (ISO 4217 code `currency`): money_format(Decimal("1234.5"), "RUB") → "1,234.50 ₽"."""
    text = number_format(Decimal(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


def points_format(points: int | None) -> str:
    """Points (an integer) with the language's grouping: 12345 → "12,345" / "12 345"; None → "0"; a negative
    number with the minus sign, as every figure (decimal_format): -68 → "−68"."""
    points = points if points is not None else 0
    text = intcomma(abs(points))
    return f"{MINUS_SIGN}{text}" if points < 0 else text


def ascii_digits(text: str) -> bool:
    """True when `text` is one or more of the ASCII digits 0-9 and nothing else.

    Not `str.isdigit()`/`isdecimal()`: those are True for "²" or "٣" (Arabic-Indic three), which `int()`
    then refuses or reads as a number nobody typed at a Latin keypad. Every "is this a number?" check on
    user input goes through here: ascii_digits("0042") → True; "²", "٣", "", "-1", " 1" → False.
    """
    return bool(text) and text.isascii() and text.isdigit()


def foreign_digits(text: str) -> bool:
    """True when `text` holds a digit other than the ASCII 0-9 ("٢٠٣٠", "２０３０"): Python's int() and date
    parsing read them as numbers nobody typed at a Latin keypad, so dates and numbers typed with them are
    refused (the forms: core.forms.latin_digits_only; the API's date fields)."""
    return any(char.isdigit() and not char.isascii() for char in text)


# --- reading numbers as people type them ------------------------------------------------------------

_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009]+")  # space, no-break, narrow no-break, thin space
_NUMBER_TEXT = re.compile(r"[0-9., ]+")
_MINUS = ("-", "\u2212")  # hyphen-minus and the minus sign
NUMBER_TEXT_MAX = 40  # characters: a longer "number" is refused before it is read


def _number_read(text: str) -> tuple[Decimal, bool]:
    """(value, whether a decimal separator was written); ValueError when `text` is not a number."""
    raw = str(text).strip()
    if not raw or len(raw) > NUMBER_TEXT_MAX:
        raise ValueError(text)
    sign = ""
    if raw[0] in _MINUS or raw[0] == "+":
        sign, raw = ("-" if raw[0] in _MINUS else ""), raw[1:].lstrip()
    raw = _GROUP_SPACES.sub(" ", raw)
    if not _NUMBER_TEXT.fullmatch(raw) or not any(ascii_digits(c) for c in raw):
        raise ValueError(text)
    marks = {c for c in raw if c in ".,"}
    decimal_mark = ""
    if len(marks) == 2:
        decimal_mark = max(marks, key=raw.rindex)  # "1,000.50" / "1.000,50": the last mark is the decimal one
    elif len(marks) == 1:
        (mark,) = marks
        after = raw.rsplit(mark, 1)[1]
        language_mark = get_format("DECIMAL_SEPARATOR")
        # One mark: decimal unless it groups thousands ("1,000" in English, "1.000" in Russian).
        if raw.count(mark) == 1 and not (len(after) == 3 and ascii_digits(after) and mark != language_mark):
            decimal_mark = mark
    whole, _sep, fraction = raw.partition(decimal_mark) if decimal_mark else (raw, "", "")
    if fraction and not ascii_digits(fraction):
        raise ValueError(text)
    groups = re.split(r"[ .,]", whole)
    if (
        len(groups) > 1
        and not (
            1 <= len(groups[0]) <= 3
            and not groups[0].startswith("0")  # "0,001" or "01 000" groups nothing: a typo, not a thousand
            and all(len(g) == 3 for g in groups[1:])
            and all(ascii_digits(g) for g in groups)
        )
    ):
        raise ValueError(text)
    digits = "".join(groups)
    if not ascii_digits(digits) and not (digits == "" and fraction):
        raise ValueError(text)
    return Decimal(f"{sign}{digits or '0'}.{fraction or '0'}"), bool(decimal_mark)


def number_parse(text: str) -> Decimal:
    """A number as a person types it in the active language, exactly, as a Decimal.

    Spaces (normal, no-break, narrow, thin) group thousands in any language: "1 000", "1 000,50". The
    language's decimal mark is read ("999,90" in Russian, "999.90" in English), and so is the other mark
    when it can only be decimal ("999.90" at a Russian till whose keypad has a dot). A mark followed by
    exactly three digits that is not the language's decimal mark groups thousands ("1,000" in English).
    Groups after the first must have three digits. Raises ValueError for anything else ("1e5", "12 34",
    "abc", NaN). Every form field of money, percentages and points reads through this (`core.forms`); the
    API keeps its strict machine format ("1000.50").
    """
    return _number_read(text)[0]


def integer_parse(text: str) -> int:
    """A whole number as a person types it ("1 000", "1,000" in English); ValueError for a fraction or
    anything `number_parse` refuses."""
    value, had_decimal_mark = _number_read(text)
    if had_decimal_mark or value != value.to_integral_value():
        raise ValueError(text)
    return int(value)


# --- decimal figures and percentages for people -----------------------------------------------------

MINUS_SIGN = "\u2212"  # the typographic minus: "−1.5", never the hyphen-minus


def _decimal_read(value: Decimal | int | float | str) -> Decimal:
    """`value` as a Decimal; a float through its shortest repr (0.125 stays 0.125, not 0.12499…)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _half_up(number: Decimal, places: int) -> Decimal:
    """`number` rounded half up (ROUND_HALF_UP) to `places` decimals."""
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal_format(value: Decimal | int | str, places: int, *, signed: bool = False) -> str:
    """`value` rounded half up (ROUND_HALF_UP) to `places` decimals, with the language's decimal mark and
    grouping: 0.125 → "0.13"; -1.5 → "−1.5" in English, "−1,5" in Russian; 12345.6 → "12,345.6" /
    "12 345,6". Negatives carry the minus sign U+2212; a value that rounds to zero never shows a sign
    (-0.004 → "0.00"). `signed` puts "+" before a positive result (uplifts: "+2.5"). A float is read
    through its shortest repr (0.125 stays 0.125). Raises ValueError (decimal.InvalidOperation) for a
    value that is not a number."""
    number = _decimal_read(value)
    rounded = _half_up(number, places)
    text = number_format(rounded.copy_abs(), decimal_pos=places, use_l10n=True, force_grouping=True)
    if rounded < 0:
        return MINUS_SIGN + text
    return f"+{text}" if signed and rounded > 0 else text


def points_expected_format(value: Decimal | int | str) -> str:
    """An expected number of points (a mean or an expectation, which may have a fraction) for people:
    rounded half up to 0.01, with only the decimals it needs, as `decimal_format` writes numbers: 4.5 →
    "4.5" ("4,5" in Russian); 3.29625 → "3.3"; 450 → "450"; 1234.567 → "1,234.57"."""
    number = _decimal_read(value)
    rounded = _half_up(number, 2)
    places = next(p for p in (0, 1, 2) if rounded == _half_up(rounded, p))
    return decimal_format(rounded, places)


def percent_format(value: Decimal | int | str, places: int, *, signed: bool = False) -> str:
    """A fraction `value` as a percentage rounded half up to `places` decimals, with a no-break space
    before the sign, as `decimal_format` writes numbers: 0.125 at 1 place → "12.5 %"; 0.00125 at 1 →
    "0.1 %"; -0.015 at 1 → "−1.5 %" ("−1,5 %" in Russian)."""
    number = _decimal_read(value)
    return f"{decimal_format(number * 100, places, signed=signed)}\u00a0%"


def decimal_machine(value: Decimal | int | str, places: int) -> str:
    """`value` rounded half up to `places` decimals for a file a program reads (CSV exports): a point as
    the decimal mark, no grouping, the plain hyphen-minus, never an exponent; a value that rounds to zero
    has no sign. decimal_machine(Decimal("-81.76000000000000000000000004"), 2) → "-81.76"; 0.125 at 2 →
    "0.13"; -0.004 at 2 → "0.00". Raises decimal.InvalidOperation for a value that is not a number."""
    number = _decimal_read(value)
    rounded = _half_up(number, places)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:f}"
