"""Hostile files change nothing and cost little (issue #11): bounded bytes, columns, rows and opening
balances, NUL bytes and CR-only line endings; any failure ends the job as failed with its reason."""

import pytest
from django.test import override_settings

from customers.imports import customers_import, import_job_submit
from customers.imports import jobs as import_jobs
from customers.models import Customer, ImportJob
from customers.tests.imports.helpers import HEADER
from loyalty.models import LedgerEntry

pytestmark = pytest.mark.django_db

ROW = "Anna Petrova,+7 912 345-67-89,,,,,,{balance},\n"


def real_run(text: str | bytes):
    content = text.encode() if isinstance(text, str) else text
    return customers_import(content=content, file_name="h.csv", dry_run=False)


def assert_nothing_written():
    assert not Customer.objects.exists() and not LedgerEntry.objects.exists()


def test_a_header_of_100_000_columns_is_one_problem(program):
    result = real_run(",".join(f"c{i}" for i in range(100_000)) + "\n" + "x," * 99_999 + "x\n")
    assert [p.message for p in result.problems] == ["The first row has 100000 columns; a customer file has at most 50."]
    assert_nothing_written()


@override_settings(IMPORT_MAX_BYTES=1000)
def test_a_file_above_the_byte_limit_is_refused_before_it_is_read(program):
    result = real_run(HEADER + ROW.format(balance=0) * 50)
    assert [p.message for p in result.problems] == ["The file is larger than 1000\xa0bytes."]
    assert_nothing_written()


@override_settings(IMPORT_MAX_ROWS=2)
def test_more_rows_than_the_limit_are_refused(program):
    rows = "".join(f"C{i},+7 900 000-00-{i:02d},,,,,,,\n" for i in range(1, 4))
    result = real_run(HEADER + rows)
    assert [p.message for p in result.problems] == ["The file has more than 2 customers; split it into several files."]
    assert_nothing_written()


def test_an_opening_balance_above_the_configured_maximum_is_refused(program):
    result = real_run(HEADER + ROW.format(balance=2_000_000_000))
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "balance", "The opening balance 2000000000 is above the largest allowed, 1,000,000 points.")
    ]
    assert_nothing_written()
    with override_settings(IMPORT_MAX_OPENING_BALANCE=5_000_000_000):
        assert real_run(HEADER + ROW.format(balance=2_000_000_000)).points == 2_000_000_000


def test_a_nul_byte_is_a_problem_of_the_file_not_a_server_error(program, marketing_user):
    job = import_job_submit(
        content=(HEADER + ROW.format(balance=5)).encode().replace(b"Anna", b"An\x00na"),
        file_name="nul.csv", dry_run=True, actor=marketing_user,
    )  # fmt: skip
    assert job.status == ImportJob.Status.DONE
    assert job.errors == [
        {"row": 1, "column": "", "message": "The file contains NUL bytes: it is not a text CSV (a spreadsheet file?)."}
    ]
    assert_nothing_written()


def test_cr_only_line_endings_count_their_rows_and_go_to_the_background(program, marketing_user, monkeypatch):
    monkeypatch.setattr(import_jobs, "INLINE_ROWS", 2)
    content = (HEADER + "".join(f"C{i},+7 900 000-00-{i:02d},,,,,,,\n" for i in range(1, 6))).replace("\n", "\r")
    job = import_job_submit(content=content.encode(), file_name="mac.csv", dry_run=True, actor=marketing_user)
    assert (job.status, job.total_rows) == (ImportJob.Status.QUEUED, 5)


def test_a_job_whose_outcome_cannot_be_stored_ends_failed_with_its_reason(program, marketing_user, monkeypatch):
    def broken(**kwargs):
        raise ValueError("customer +7 912 345-67-89 broke it")

    monkeypatch.setattr(import_jobs, "customers_import", broken)
    job = import_job_submit(content=(HEADER + ROW.format(balance=0)).encode(), file_name="x.csv", dry_run=True,
                            actor=marketing_user)  # fmt: skip
    assert job.status == ImportJob.Status.FAILED
    assert job.message == "The import stopped with an error; nothing was imported: customer +7***89 broke it"


def test_a_file_of_repeated_rows_keeps_the_first_1000_problems_and_counts_every_bad_row(program):
    """Memory does not grow with the problems either: the job stores the first 1 000; the count is exact."""
    result = real_run(HEADER + ROW.format(balance=0) * 1_500)
    assert (result.total_rows, result.valid_rows, result.invalid_rows) == (1_500, 1, 1_499)
    assert len(result.problems) == 1_000
    assert (result.problems[0].row, result.problems[-1].row) == (3, 1_002)
    assert result.problems[-1].message == "Same phone as row 2: +79123456789."
    assert result.message == (
        "Nothing was imported: 1499 rows have problems. Fix them in the file and upload it again."
    )
    assert_nothing_written()


def test_a_header_with_unknown_columns_is_a_problem_of_the_file_not_of_rows(program):
    result = real_run("name,phone,colour,size,weight\n" + "Anna,+7 912 345-67-89,red,m,5\n")
    assert [(p.row, p.column) for p in result.problems] == [(1, "colour"), (1, "size"), (1, "weight")]
    assert result.invalid_rows == 0
    assert result.message == "Nothing was imported: the file cannot be read as it is. Fix it and upload it again."
    assert_nothing_written()
