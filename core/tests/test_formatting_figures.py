"""Decimal figures and percentages for people (core.formatting.decimal_format / percent_format): rounded
half up, never "−0", the minus sign U+2212, the language's decimal mark and grouping."""

from decimal import Decimal

import pytest
from django.utils import translation

from core.formatting import decimal_format, decimal_machine, percent_format

NBSP, MINUS = "\u00a0", "\u2212"


@pytest.mark.parametrize(
    ("language", "value", "places", "signed", "text"),
    [
        ("en", Decimal("0.125"), 2, False, "0.13"),  # half up, not to even (0.12)
        ("en", 0.125, 2, False, "0.13"),  # a float is read as written, not as 0.12499999…
        ("en", Decimal("0.135"), 2, False, "0.14"),
        ("en", Decimal("2.5"), 0, False, "3"),  # banker's rounding would give 2
        ("en", Decimal("-0.004"), 2, False, "0.00"),  # rounds to zero: no sign
        ("en", Decimal("-0.04"), 1, True, "0.0"),  # nor a "+"
        ("en", Decimal("-1.5"), 1, False, f"{MINUS}1.5"),
        ("ru", Decimal("-1.5"), 1, False, f"{MINUS}1,5"),
        ("en", Decimal("-1.25"), 1, False, f"{MINUS}1.3"),  # half up away from zero
        ("en", Decimal("12345.65"), 1, False, "12,345.7"),
        ("ru", Decimal("12345.65"), 1, False, f"12{NBSP}345,7"),
        ("en", Decimal("2.5"), 1, True, "+2.5"),
        ("en", 3, 2, False, "3.00"),
    ],
)
def test_decimal_format(language, value, places, signed, text):
    with translation.override(language):
        assert decimal_format(value, places, signed=signed) == text


@pytest.mark.parametrize(
    ("language", "value", "places", "signed", "text"),
    [
        ("en", Decimal("0.125"), 1, False, f"12.5{NBSP}%"),
        ("en", Decimal("0.00125"), 1, False, f"0.1{NBSP}%"),  # 0.125 % half up
        ("en", Decimal("0.00125"), 2, False, f"0.13{NBSP}%"),
        ("ru", Decimal("-0.015"), 1, False, f"{MINUS}1,5{NBSP}%"),
        ("en", Decimal("-0.0004"), 1, False, f"0.0{NBSP}%"),  # not "−0.0 %"
        ("en", Decimal("0.3"), 1, True, f"+30.0{NBSP}%"),
    ],
)
def test_percent_format(language, value, places, signed, text):
    with translation.override(language):
        assert percent_format(value, places, signed=signed) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("-81.76000000000000000000000004"), 2, "-81.76"),  # results.csv's incremental customers
        (Decimal("-0.09999999999999999999999999999"), 2, "-0.10"),
        (Decimal("0.125"), 2, "0.13"),  # half up
        (Decimal("-1.25"), 1, "-1.3"),  # away from zero, plain hyphen-minus
        (Decimal("-0.004"), 2, "0.00"),  # no "-0.00"
        (Decimal("12345.6"), 2, "12345.60"),  # no grouping
        (Decimal("1E+3"), 0, "1000"),  # no exponent
        (0.125, 2, "0.13"),
    ],
)
def test_decimal_machine_is_the_same_in_every_language(value, places, text):
    for language in ("en", "ru"):
        with translation.override(language):
            assert decimal_machine(value, places) == text


@pytest.mark.parametrize(
    ("language", "value", "text"),
    [("en", -68, f"{MINUS}68"), ("ru", -12345, f"{MINUS}12{NBSP}345"), ("en", 12345, "12,345"), ("en", None, "0")],
)
def test_points_have_the_minus_sign_like_every_figure(language, value, text):
    """The customer page's ledger showed "-68" beside the purchases' "−100" (tester 4)."""
    from core.formatting import points_format

    with translation.override(language):
        assert points_format(value) == text
