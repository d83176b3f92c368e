"""The customer import pages (console.views.imports, issue #6): permissions, the dry run and the
all-or-nothing real run from the upload form, background jobs and their progress."""

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from customers import imports
from customers import rules as customer_rules
from customers.imports import SAMPLE_CSV
from customers.imports import jobs as import_jobs
from customers.models import Customer, ImportJob
from customers.tests.imports.helpers import HEADER
from loyalty import rules
from loyalty.models import LedgerEntry, PointsAccount, PointsLot
from loyalty.selectors import ledger_problems
from loyalty.services import purchase_record

pytestmark = pytest.mark.django_db


# Row numbers as in a spreadsheet: the header is row 1.
BAD_FILE = HEADER + (
    "Good One,+79001000001,good@example.com,1990-01-02,1,0,,100,\n"  # 2
    "Bad Phone,12345,,,,,,,\n"  # 3
    "Same Phone,8 900 100-00-01,,,,,,,\n"  # 4: the phone of row 2
    "Already Here,+7 912 345-67-89,,,,,,,\n"  # 5: the `customer` fixture's phone
    "Bad Date,+79001000005,,31.02.1990,,,,,\n"  # 6
    "Negative,+79001000006,,,,,,-5,\n"  # 7
    "Not Number,+79001000007,,,,,,lots,\n"  # 8
    "Also Good,+79001000008,,,yes,да,,,\n"  # 9
)


BAD_FILE_PROBLEMS = [
    (3, "phone", "“12345” is not a valid phone number."),
    (4, "phone", "Same phone as row 2: +79001000001."),
    (5, "phone", "A customer with phone +79123456789 already exists."),
    (6, "birthday", "“31.02.1990” is not a date: use YYYY-MM-DD or DD.MM.YYYY."),
    (7, "balance", "The opening balance cannot be negative (-5)."),
    (8, "balance", "“lots” is not a whole number of points."),
]


def upload(client, text: str, *, dry_run: bool = True, name: str = "customers.csv", follow: bool = True):
    data = {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post("/customers/import/", data, follow=follow)


def problems_on(page: str) -> list[tuple[int, str, str]]:
    table = re.search(r'<table class="table table-sm" id="import-problems">(.*?)</table>', page, re.S)
    if table is None:
        return []
    rows = re.findall(
        r'<tr><td class="text-end">(\d+)</td><td>(?:<code>([^<]*)</code>)?</td><td>([^<]*)</td></tr>', table.group(1)
    )
    return [(int(row), column, html.unescape(message)) for row, column, message in rows]


def nothing_written(customers_before: int) -> None:
    assert Customer.objects.count() == customers_before
    assert not LedgerEntry.objects.exists()
    assert not PointsLot.objects.exists()
    assert not AuditEntry.objects.filter(action="customer.import").exists()


# --- permissions -----------------------------------------------------------------------------------


@pytest.fixture
def job(db, marketing_user):
    return ImportJob.objects.create(file_name="customers.csv", content=b"", created_by=marketing_user)


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("cashier_user", 403), ("marketing_user", 200)])
@pytest.mark.parametrize("path", ["/customers/import/", "/customers/import/sample.csv", "/customers/import/{job}/"])
def test_permission_matrix(client, request, job, who, status, path):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(path.format(job=job.pk))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("cashier_user", 403)])
def test_only_marketing_can_upload_or_run(client, request, job, who, status):
    if who:
        client.force_login(request.getfixturevalue(who))
    assert upload(client, SAMPLE_CSV, follow=False).status_code == status
    assert client.post(f"/customers/import/{job.pk}/run/").status_code == status
    assert ImportJob.objects.count() == 1
    assert not Customer.objects.exists()


def test_the_customer_list_links_to_the_import(console):
    assert 'href="/customers/import/"' in console.get("/customers/").content.decode()


def test_the_import_page_says_imported_customers_get_no_welcome_bonus(console):
    page = console.get("/customers/import/").content.decode()
    note = re.search(r'<p [^>]*id="import-no-welcome">(.*?)</p>', page, re.S).group(1)
    assert " ".join(note.split()) == (
        "Imported customers are your existing customers: they get no welcome bonus (that is for customers "
        "enrolled at the till or through the API). To give them points, launch a broadcast campaign."
    )


# --- the dry run and the all-or-nothing real run ---------------------------------------------------


def test_dry_run_lists_every_problem_by_row_and_writes_nothing(console, customer):
    page = upload(console, BAD_FILE).content.decode()
    assert problems_on(page) == BAD_FILE_PROBLEMS
    assert "6 rows have problems; 2 of 8 rows are valid." in page
    assert "Nothing was written." in page
    assert 'id="import-run"' not in page  # no "Import N customers" for a file with problems
    nothing_written(1)
    job = ImportJob.objects.get()
    assert (job.dry_run, job.status, job.total_rows, job.valid_rows, job.invalid_rows) == (True, "done", 8, 2, 6)


def test_real_run_of_a_file_with_problems_writes_nothing_and_says_why(console, customer):
    upload(console, BAD_FILE)
    dry = ImportJob.objects.get()
    page = console.post(f"/customers/import/{dry.pk}/run/", follow=True).content.decode()
    assert "Nothing was imported: 6 rows have problems. Fix them in the file and upload it again." in page
    assert problems_on(page) == BAD_FILE_PROBLEMS
    nothing_written(1)
    real = ImportJob.objects.exclude(pk=dry.pk).get()
    assert (real.dry_run, real.status, real.imported_rows) == (False, "failed", 0)
    # Unticking "dry run" on the upload form goes the same way.
    page = upload(console, BAD_FILE, dry_run=False).content.decode()
    assert "Nothing was imported: 6 rows have problems." in page
    nothing_written(1)


def test_clean_file_imports_every_row_with_opening_balances_in_the_ledger(console, marketing_user, program):
    sample = console.get("/customers/import/sample.csv")
    assert sample["Content-Type"] == "text/csv; charset=utf-8"
    page = upload(console, sample.content.decode()).content.decode()
    assert "All 3 rows are valid." in page and "Nothing has been written yet." in page
    assert not Customer.objects.exists()
    dry = ImportJob.objects.get()
    assert ">Import 3 customers</button>" in page

    page = console.post(f"/customers/import/{dry.pk}/run/", follow=True).content.decode()
    assert "Imported 3 customers with 1,550 opening points." in page
    anna, boris, vera = Customer.objects.order_by("name")
    assert (anna.phone, anna.email, anna.birthday, anna.consent_email, anna.consent_sms) == (
        "+79123456789",
        "anna@example.com",
        dt.date(1990, 4, 12),
        True,
        False,
    )
    assert anna.card_number == "2712345678906"  # the shop's own valid card number is kept
    assert (boris.phone, boris.email, boris.birthday, boris.consent_email, boris.notes) == (
        "+79001112233",
        None,
        dt.date(1985, 11, 3),
        True,
        "Prefers SMS",
    )
    assert vera.notes == "Moved from the old card system, level Gold"
    assert (anna.language, boris.language, vera.language) == ("en", "ru", "en")  # Vera's empty: the shop's
    for c in (boris, vera):
        assert customer_rules.card_number_is_valid(c.card_number) and c.card_number.startswith("27")
    assert len({c.referral_code for c in (anna, boris, vera)}) == 3

    entries = list(LedgerEntry.objects.order_by("points"))
    assert [(e.customer_id, e.kind, e.reason, e.points) for e in entries] == [
        (anna.pk, "import", "import", 350),
        (vera.pk, "import", "import", 1200),
    ]
    real = ImportJob.objects.get(dry_run=False)
    for entry in entries:
        assert entry.actor == marketing_user and entry.source == f"import:{real.pk}"
        assert entry.expires_at == rules.points_expiry(credited_at=entry.created_at, lifetime_days=365)
        assert (entry.lot.points, entry.lot.remaining, entry.lot.expires_at) == (
            entry.points,
            entry.points,
            entry.expires_at,
        )
    assert dict(PointsAccount.objects.values_list("customer_id", "balance")) == {anna.pk: 350, vera.pk: 1200}
    assert ledger_problems() == []

    audit = AuditEntry.objects.get(action="customer.import")
    assert audit.actor == marketing_user
    assert (audit.object_type, audit.object_id) == ("customers.importjob", str(real.pk))
    assert audit.summary == "Imported 3 customers from customers.csv with 1550 opening points"
    assert audit.changes == {
        "file": "customers.csv",
        "rows": 3,
        "points": 1550,
        "customers_with_balance": 2,
        "job": real.pk,
    }

    # The imported points are ordinary points: spendable at the till, ledger still consistent.
    purchase_record(customer_id=vera.pk, amount="1000.00", redeem_points=300)
    assert PointsAccount.objects.get(pk=vera.pk).balance == 1200 - 300 + 35  # 5 % cashback on the 700 paid
    assert ledger_problems() == []


def test_the_same_file_cannot_be_imported_twice(console, program):
    upload(console, SAMPLE_CSV, dry_run=False)
    assert Customer.objects.count() == 3
    page = upload(console, SAMPLE_CSV, dry_run=False).content.decode()
    assert "Nothing was imported: 3 rows have problems." in page
    assert (2, "phone", "A customer with phone +79123456789 already exists.") in problems_on(page)
    assert (2, "email", "A customer with email anna@example.com already exists.") in problems_on(page)
    assert (2, "card_number", "Card number 2712345678906 already belongs to a customer.") in problems_on(page)
    assert Customer.objects.count() == 3 and LedgerEntry.objects.count() == 2


def test_an_invalid_card_number_gets_a_new_card_with_a_note(console, program):
    page = upload(console, HEADER + "A,+79000000001,,,,,1234567890123,,\n", dry_run=False).content.decode()
    assert "Imported 1 customer with 0 opening points." in page
    assert "“1234567890123” is not a valid 13-digit card number: a new card will be issued." in html.unescape(page)
    assert customer_rules.card_number_is_valid(Customer.objects.get().card_number)


# --- jobs and progress -----------------------------------------------------------------------------


def test_a_big_file_runs_as_a_background_job(console, program, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(import_jobs, "INLINE_ROWS", 2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(console, SAMPLE_CSV, dry_run=False, follow=False)
    assert len(callbacks) == 1  # async_task, run at once here because the test settings make django-q2 sync
    job = ImportJob.objects.get()
    assert response["Location"] == f"/customers/import/{job.pk}/"
    assert (job.status, job.imported_rows, job.processed_rows, job.total_rows) == ("done", 3, 3, 3)
    assert Customer.objects.count() == 3
    from django_q.models import Task

    assert Task.objects.get().func == "customers.tasks.import_job_run"
    # A second delivery of the same task does nothing.
    assert imports.import_job_run(job_id=job.pk) == {"job": job.pk, "skipped": "not queued"}
    assert Customer.objects.count() == 3


def test_the_progress_fragment_polls_until_the_job_finishes(console, job):
    ImportJob.objects.filter(pk=job.pk).update(status="validating", processed_rows=5000, total_rows=20000)
    fragment = console.get(f"/customers/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert f'hx-get="/customers/import/{job.pk}/" hx-trigger="every 1s"' in fragment
    assert "5,000 of 20,000 rows checked" in fragment and 'data-width="25"' in fragment

    ImportJob.objects.filter(pk=job.pk).update(status="writing", processed_rows=20000)
    fragment = console.get(f"/customers/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "all rows are valid; writing 20,000 customers in one transaction…" in fragment
    assert "hx-trigger" in fragment

    ImportJob.objects.filter(pk=job.pk).update(
        status="done", dry_run=False, imported_rows=20000, imported_points=123456
    )
    fragment = console.get(f"/customers/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Imported 20,000 customers with 123,456 opening points." in fragment
    assert "hx-trigger" not in fragment  # finished: the page stops polling

    page = console.get(f"/customers/import/{job.pk}/").content.decode()
    assert "<html" in page and 'id="import-status"' in page


def test_the_upload_page_documents_every_column(console):
    page = console.get("/customers/import/").content.decode()
    for column in imports.COLUMNS:
        assert f"<code>{column}</code>" in page
    assert 'name="dry_run" class="form-check-input" id="id_dry_run" checked' in page
    assert 'href="/customers/import/sample.csv"' in page


def test_import_clicked_twice_imports_once_and_shows_the_same_job(console, program):
    upload(console, console.get("/customers/import/sample.csv").content.decode())
    dry = ImportJob.objects.get()
    first = console.post(f"/customers/import/{dry.pk}/run/")
    second = console.post(f"/customers/import/{dry.pk}/run/")
    real = ImportJob.objects.get(dry_run=False)
    assert first["Location"] == second["Location"] == f"/customers/import/{real.pk}/"
    assert (real.status, real.imported_rows, Customer.objects.count()) == ("done", 3, 3)
    page = console.get(f"/customers/import/{real.pk}/").content.decode()
    assert "Imported 3 customers with 1,550 opening points." in page


def test_a_language_column_sets_each_customers_and_a_bad_one_is_its_rows_problem(console, program, settings):
    settings.LANGUAGE_CODE = "en"
    text = (
        "name,phone,language\n"
        "Anna,+79001000001,ru\n"  # 2
        "Boris,+79001000002,EN\n"  # 3
        "Vera,+79001000003,\n"  # 4: empty, the shop's
        "Gleb,+79001000004,de\n"  # 5
        "Dina,+79001000005,русский\n"  # 6
    )
    page = upload(console, text).content.decode()
    assert problems_on(page) == [
        (5, "language", "“de” is not one of the languages: en (English), ru (Russian)."),
        (6, "language", "“русский” is not one of the languages: en (English), ru (Russian)."),
    ]
    assert "2 rows have problems; 3 of 5 rows are valid." in page
    nothing_written(0)
    lines = text.splitlines(keepends=True)
    page = upload(console, "".join(lines[:4]), dry_run=False).content.decode()
    assert "Imported 3 customers" in page
    assert dict(Customer.objects.values_list("name", "language")) == {"Anna": "ru", "Boris": "en", "Vera": "en"}
