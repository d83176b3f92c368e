"""The customer CSV import (issue #6), one row at a time (customers.imports.rows): its problems, and values
that repeat an earlier row of the file."""

import pytest

from customers import imports
from customers.imports import Problem, customers_import
from customers.models import Customer
from customers.tests.imports.helpers import HEADER

pytestmark = pytest.mark.django_db


def check(text: str | bytes) -> imports.ImportResult:
    return customers_import(content=text if isinstance(text, bytes) else text.encode(), file_name="t.csv")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "Ann,+79000000001,,,maybe,,,,",
            Problem(2, "consent_email", "“maybe” is not a yes/no value: use 1/0, yes/no or да/нет."),
        ),
        (",+79000000001,,,,,,,", Problem(2, "name", "Enter the customer's name.")),
        ("Ann,,,,,,,,", Problem(2, "phone", "Enter a phone number.")),
        ("Ann,+79000000001,not-an-email,,,,,,", Problem(2, "email", "“not-an-email” is not a valid email address.")),
        ("Ann,+79000000001,,2999-01-01,,,,,", Problem(2, "birthday", "Birthday 1 Jan 2999 is in the future.")),
        (
            "Ann,+79000000001,,12/31/1990,,,,,",
            Problem(2, "birthday", "“12/31/1990” is not a date: use YYYY-MM-DD or DD.MM.YYYY."),
        ),
        ("Ann,+79000000001,,,,,,1.5,", Problem(2, "balance", "“1.5” is not a whole number of points.")),
        (
            "Ann,+79000000001,,,,,,,,extra",
            Problem(
                2,
                "",
                "This row has more values than there are named columns (a separator inside a value that is not in quotes?).",
            ),
        ),
    ],
)
def test_row_problems(program, row, problem):
    result = check(HEADER + row + "\n")
    assert result.problems == [problem]
    assert (result.total_rows, result.valid_rows, result.invalid_rows) == (1, 0, 1)


def test_duplicate_email_and_card_number_within_the_file(program):
    result = check(
        HEADER
        + "A,+79000000001,a@example.com,,,,2712345678906,,\n"
        + "B,+79000000002,A@Example.com,,,,2712345678906,,\n"
    )
    assert result.problems == [
        Problem(3, "email", "Same email as row 2: a@example.com."),
        Problem(3, "card_number", "Same card number as row 2: 2712345678906."),
    ]


def test_opening_balances_with_thousands_grouped_as_a_spreadsheet_writes_them(program):
    """A Russian-locale spreadsheet saves 1 500 points as "1 500" (a no-break space): read as 1 500."""
    result = customers_import(
        content=(HEADER + "Ann,+79000000001,,,,,,1\u00a0500,\nBob,+79000000002,,,,,,2 000,\n").encode(),
        file_name="t.csv",
        dry_run=False,
    )
    assert result.problems == [] and result.points == 3_500


def test_a_file_without_a_language_column_imports_everyone_in_the_shops_language(program, settings):
    settings.LANGUAGE_CODE = "ru"
    result = customers_import(content=(HEADER + "Ann,+79000000001,,,,,,,\n").encode(), file_name="t.csv", dry_run=False)
    assert result.problems == [] and result.imported == 1
    assert Customer.objects.get().language == "ru"
