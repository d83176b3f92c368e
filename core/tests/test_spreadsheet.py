"""The CSV formula-injection guard: what is prefixed with an apostrophe and what is left as it is."""

from decimal import Decimal

import pytest

from core.spreadsheet import csv_response, csv_safe_cell


@pytest.mark.parametrize(
    "value",
    [
        "-0.0089",  # a change on the dashboard
        "-12",
        "12.50",
        "Анна",
        "",
        -5,
        Decimal("-0.50"),
        None,
    ],
)
def test_plain_numbers_and_ordinary_text_are_left_as_they_are(value):
    assert csv_safe_cell(value) == value


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("-2+3", "'-2+3"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1.2.3", "'-1.2.3"),  # two decimal points: not a plain number
        ("-1e5", "'-1e5"),
        ("+7 912 345", "'+7 912 345"),
        ("+79298368761", "'+79298368761"),  # a phone in E.164 stays text: it keeps its "+"
        ("+3.5", "'+3.5"),
        ("-", "'-"),
        ("+", "'+"),
        ("-.5", "'-.5"),
        ("-5.", "'-5."),
        ("-١٢", "'-١٢"),  # Arabic-Indic digits: not ASCII digits
        ("-12\n=1", "'-12\n=1"),  # a number followed by a formula on the next line
    ],
)
def test_formulas_are_written_as_text(value, written):
    assert csv_safe_cell(value) == written


def test_the_csv_file_keeps_numbers_and_guards_formulas():
    response = csv_response(
        [["phone", "change", "name"], ["+79298368761", "-0.0089", "=HYPERLINK(1)"]], filename="x.csv"
    )
    body = b"".join(response.streaming_content).decode()
    assert body == "phone,change,name\r\n'+79298368761,-0.0089,'=HYPERLINK(1)\r\n"
