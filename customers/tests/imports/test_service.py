"""The customer CSV import (issue #6), customers_import (customers.imports.service): values in their usual
spellings, a conflict found at write time stops the whole import, progress reported by stage."""

import datetime as dt

import pytest
from django.db import connection

from customers.imports import Problem, customers_import
from customers.imports import rows as import_rows
from customers.imports import service as import_service
from customers.models import Customer
from customers.tests.imports.helpers import HEADER
from loyalty.models import LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db


def test_values_in_their_usual_spellings(program):
    text = (
        "phone;name;consent_sms;birthday\n"  # any column order, semicolons (Excel with a decimal comma)
        "+7 900 000-00-01;Да;да;01.02.2000\n"
        "8 (900) 000-00-02;Yes;YES;2000-02-01\n"
        "+79000000003;No;нет;\n"
        "+79000000004;Zero;0;\n"
    )
    result = customers_import(content=text.encode("cp1251"), file_name="t.csv", dry_run=False)
    assert result.ok and result.imported == 4
    rows = Customer.objects.order_by("phone").values_list("phone", "name", "consent_sms", "birthday", "consent_email")
    assert list(rows) == [
        ("+79000000001", "Да", True, dt.date(2000, 2, 1), False),
        ("+79000000002", "Yes", True, dt.date(2000, 2, 1), False),
        ("+79000000003", "No", False, None, False),
        ("+79000000004", "Zero", False, None, False),
    ]
    assert not LedgerEntry.objects.exists() and not PointsAccount.objects.exists()


def test_customer_enrolled_between_the_check_and_the_write_stops_the_whole_import(program, monkeypatch):
    """The write re-checks inside its transaction: a phone taken since the check refuses the import."""
    original = import_service._write

    def enrol_first(rows, **kwargs):
        Customer.objects.create(
            name="Quick",
            phone="+79000000002",
            card_number="2700000000003",
            referral_code="QUICK",
            created_at=kwargs["now"],
        )
        return original(rows, **kwargs)

    monkeypatch.setattr(import_service, "_write", enrol_first)
    result = customers_import(
        content=(HEADER + "A,+79000000001,,,,,,10,\nB,+79000000002,,,,,,20,\n").encode(),
        file_name="t.csv",
        dry_run=False,
    )
    assert result.imported == 0
    assert result.problems == [Problem(3, "phone", "A customer with phone +79000000002 already exists.")]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Quick"]
    assert not LedgerEntry.objects.exists()


def test_progress_is_reported_in_chunks_while_checking_then_the_write_stage(program, monkeypatch):
    monkeypatch.setattr(import_rows, "PROGRESS_EVERY", 2)
    calls = []
    text = HEADER + "".join(f"C{i},+7900000000{i},,,,,,,\n" for i in range(1, 6))
    customers_import(content=text.encode(), file_name="t.csv", dry_run=False, progress=lambda *args: calls.append(args))
    assert calls == [
        ("validating", 0, 5),
        ("validating", 2, 5),
        ("validating", 4, 5),
        ("validating", 5, 5),
        ("writing", 5, 5),
    ]


def test_checked_in_chunks_the_rows_and_duplicates_are_found_across_chunks(program, monkeypatch):
    """The check runs import-export in chunks (memory); row numbers and duplicates still span the file."""
    monkeypatch.setattr(import_service, "CHECK_CHUNK", 2)
    rows = (
        "Anna,+7 900 000-00-01,,,,,,,\n"
        "Boris,+7 900 000-00-02,,,,,,,\n"
        "Vera,+7 900 000-00-03,bad-email,,,,,,\n"
        "Gleb,+7 900 000-00-04,,,,,,,\n"
        "Dina,+7 900 000-00-01,,,,,,,\n"
    )
    result = customers_import(content=(HEADER + rows).encode(), file_name="c.csv", dry_run=True)
    assert [(p.row, p.column) for p in result.problems] == [(4, "email"), (6, "phone")]
    assert (result.total_rows, result.valid_rows, result.invalid_rows) == (5, 3, 2)


def test_repeats_within_a_chunk_and_across_chunks_name_the_first_row_of_each_value(program, monkeypatch):
    """Phones, e-mails and card numbers repeated in the file, the first row named in each message; a row
    with another problem as well reports both. The values seen are kept in a temporary table, dropped
    after the check."""
    monkeypatch.setattr(import_service, "CHECK_CHUNK", 3)
    card = "2000000000008"
    rows = (
        f"Anna,+7 900 000-00-01,a@example.com,,,,{card},,\n"  # row 2
        "Boris,+7 900 000-00-02,b@example.com,,,,,,\n"  # row 3
        "Vera,+7 900 000-00-02,,,,,,,\n"  # row 4: Boris's phone, same chunk
        f"Gleb,+7 900 000-00-04,A@example.com,,,,{card},,\n"  # row 5: Anna's e-mail and card, next chunk
        "Dina,+7 900 000-00-01,,not-a-date,,,,,\n"  # row 6: Anna's phone and a bad birthday
    )
    result = customers_import(content=(HEADER + rows).encode(), file_name="r.csv", dry_run=True)
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (4, "phone", "Same phone as row 3: +79000000002."),
        (5, "email", "Same email as row 2: a@example.com."),
        (5, "card_number", f"Same card number as row 2: {card}."),
        (6, "phone", "Same phone as row 2: +79000000001."),
        (6, "birthday", "“not-a-date” is not a date: use YYYY-MM-DD or DD.MM.YYYY."),
    ]
    assert (result.total_rows, result.valid_rows, result.invalid_rows) == (5, 2, 3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'import_seen_%%'")
        assert cursor.fetchone() == (0,)
