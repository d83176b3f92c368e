"""The customer CSV import (issue #6), reading the file (customers.imports.reading): problems with the file
as a whole."""

import pytest

from customers import imports
from customers.imports import Problem, customers_import
from customers.models import Customer
from customers.tests.imports.helpers import HEADER

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", Problem(1, "", "The file is empty: the first row must name the columns.")),
        ("name,email\nAnn,a@example.com\n", Problem(1, "phone", "The file has no “phone” column.")),
        (HEADER, Problem(2, "", "The file has no customers: only the header row.")),
        (
            "name,phone,e-mail\n",
            Problem(1, "e-mail", "Unknown column “e-mail”. The columns are: " + ", ".join(imports.COLUMNS) + "."),
        ),
    ],
)
def test_file_problems(program, text, problem):
    result = customers_import(content=text.encode(), file_name="t.csv", dry_run=False)
    assert result.problems == [problem]
    assert not Customer.objects.exists()
