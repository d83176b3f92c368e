"""Numbers read as people type them, per language (core.formatting.number_parse / integer_parse), and the
form fields that use them (core.forms.LocalDecimalField / LocalIntegerField)."""

from decimal import Decimal

import pytest
from django.utils import translation

from core.formatting import integer_parse, money_format, number_parse
from core.forms import LocalDecimalField, LocalIntegerField

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("language", "text", "value"),
    [
        ("ru", "999,90", "999.90"),
        ("ru", "1 000", "1000"),
        ("ru", f"1{NBSP}000,50", "1000.50"),
        ("ru", f"1{NNBSP}000{NNBSP}000", "1000000"),
        ("ru", "999.90", "999.90"),  # a keypad's dot at a Russian till
        ("ru", "1.000", "1000"),  # a dot before three digits groups thousands in Russian
        ("ru", "1,000", "1.000"),  # ...and the comma is the Russian decimal mark
        ("ru", "1.000.000,5", "1000000.5"),
        ("ru", " 15 000,00 ", "15000.00"),
        ("ru", "−50", "-50"),
        ("en", "1,000.50", "1000.50"),
        ("en", "1,000", "1000"),
        ("en", "999,90", "999.90"),  # a comma before two digits can only be decimal
        ("en", "1 000.5", "1000.5"),
        ("en", ",5", "0.5"),
        ("en", "-7", "-7"),
    ],
)
def test_numbers_are_read_the_way_the_language_writes_them(language, text, value):
    with translation.override(language):
        assert number_parse(text) == Decimal(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1e5",
        "NaN",
        "12 34",
        "1 0000",
        "1,00,000",
        "1.2.3,4,5",
        "--5",
        "5-",
        "1" * 41,
        "٣",
        "0 001",
        "01 000",
    ],
)
def test_what_is_not_a_number_is_refused(text):
    for language in ("en", "ru"):
        with translation.override(language), pytest.raises(ValueError):
            number_parse(text)


def test_a_formatted_amount_reads_back_as_itself():
    for language in ("en", "ru"):
        with translation.override(language):
            text = money_format(Decimal("1234567.89"), "RUB").removesuffix(f"{NBSP}₽")
            assert number_parse(text) == Decimal("1234567.89")


def test_whole_numbers_refuse_fractions():
    with translation.override("ru"):
        assert integer_parse("1 000") == 1000
        for text in ("1,5", "10,0", "1,000"):
            with pytest.raises(ValueError):
                integer_parse(text)
    with translation.override("en"):
        assert integer_parse("1,000") == 1000


def test_fields_give_django_errors_and_show_values_in_the_language():
    field = LocalDecimalField(max_digits=12, decimal_places=2)
    with translation.override("ru"):
        assert field.clean("1 000,50") == Decimal("1000.50")
        with pytest.raises(Exception, match="Введите число"):
            field.clean("abc")
        assert field.widget.format_value(Decimal("15000.00")) == "15000,00"
    assert LocalIntegerField().clean("2 500") == 2500
    assert LocalIntegerField(required=False).clean("") is None
