"""The customer import (issue #6): a CSV of existing customers, optionally with opening balances.

The dry run and the real run share one code path, in two stages:

1. **Check.** A django-import-export `Resource` parses and validates every row (phone normalised by
   `customers.rules.phone_normalize`, dates, yes/no flags, e-mail, card number, balance) and flags a row
   that repeats the phone, e-mail or card number of an earlier row of the file. Then set-based queries
   (`phone__in` per 5 000 rows, and the same for e-mails and card numbers) find values the database
   already holds. No transaction is open and nothing is written, so the progress counter the page polls
   (updated every 5 000 rows) is committed, and visible, as it goes.
2. **Write** (the real run, and only when no row has a problem). ONE transaction: the database checks
   again (a customer may have been enrolled since stage 1), then `bulk_create` of the customers, of one
   ledger entry of kind "import" and one lot per opening balance, and of the points accounts, then the
   audit entry. Any failure rolls all of it back: all or nothing. A counter written inside this
   transaction would stay invisible to the polling page until the commit, so the job reports the stage
   ("Writing") instead of a count; it takes a few seconds for 100 000 rows (see bench/import_customers.py).

Customers are created here with `bulk_create` rather than through `customers.services.customer_enrol`
(several queries per row: ~10 minutes for 100 000 rows). The import lives in `loyalty` because opening
balances are ledger entries and `customers` must not depend on `loyalty`.
"""

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import resources, widgets
from import_export.fields import Field

from core.audit import AuditAction, audit_record
from customers import rules as customer_rules
from customers.exceptions import InvalidPhone
from customers.models import Customer

from .. import rules
from ..models import ImportJob, LedgerEntry, PointsAccount, PointsLot
from ..selectors import program_settings_get

logger = logging.getLogger(__name__)

EMAIL_MAX = Customer._meta.get_field("email").max_length
COLUMNS = ("name", "phone", "email", "birthday", "consent_email", "consent_sms", "card_number", "balance", "notes")
REQUIRED_COLUMNS = ("name", "phone")
PROGRESS_EVERY = 5000  # rows between two progress updates of a job
QUERY_CHUNK = 5000  # values per `__in` query
WRITE_BATCH = 5000  # rows per INSERT
INLINE_ROWS = 2000  # files up to this many rows are processed in the request, bigger ones by the worker
MAX_STORED_PROBLEMS = 1000  # problems kept on a job (the count of rows with problems is always exact)
IMPORT_REASON = "import"
TRUE_VALUES = {"1", "yes", "y", "true", "да", "д"}
FALSE_VALUES = {"", "0", "no", "n", "false", "нет", "н"}
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
OLDEST_BIRTHDAY = dt.date(1900, 1, 1)

# The sample offered for download on the import page (and imported cleanly by the tests).
SAMPLE_CSV = (
    "name,phone,email,birthday,consent_email,consent_sms,card_number,balance,notes\n"
    "Anna Petrova,+7 912 345-67-89,anna@example.com,1990-04-12,1,0,2712345678906,350,\n"
    "Boris Sidorov,8 (900) 111-22-33,,03.11.1985,да,нет,,0,Prefers SMS\n"
    'Vera Ivanova,+79001112244,vera@example.com,,yes,yes,,1200,"Moved from the old card system, level Gold"\n'
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one row (row 1 is the header, as in a spreadsheet)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportRow:
    row: int
    customer: Customer  # not saved yet; card_number "" means "issue a new card"
    balance: int


@dataclass
class ImportResult:
    dry_run: bool
    total_rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0  # rows with at least one problem (file-level problems count as none)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    imported: int = 0
    points: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


Progress = Callable[[str, int, int], None]  # (ImportJob.Status value, rows processed, rows in the file)


# --- reading the file ------------------------------------------------------------------------------


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1251"):  # cp1251: "CSV" saved by Excel on a Russian-locale Windows
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _delimiter(first_line: str) -> str:
    """Comma, or the semicolon (Excel in locales with a decimal comma) or tab, whichever the header uses."""
    return max((",", ";", "\t"), key=first_line.count)


def csv_read(content: bytes) -> tuple[tablib.Dataset | None, list[int], list[Problem]]:
    """The file as a Dataset of the known columns, the spreadsheet row number of each data row, and
    file-level problems (no Dataset when there are any). Blank lines are skipped."""
    text = _decode(content)
    if text is None:
        return None, [], [Problem(1, "", _("The file is not text in UTF-8 (or Windows-1251) encoding."))]
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return None, [], [Problem(1, "", _("The file is empty: the first row must name the columns."))]
        names = [cell.strip().lower() for cell in header]
        problems = []
        for name in names:
            if name and name not in COLUMNS:
                problems.append(
                    Problem(
                        1,
                        name,
                        _("Unknown column “%(column)s”. The columns are: %(columns)s.")
                        % {"column": name, "columns": ", ".join(COLUMNS)},
                    )
                )
        for name in sorted({n for n in names if n and names.count(n) > 1}):
            problems.append(Problem(1, name, _("The column “%(column)s” appears twice.") % {"column": name}))
        for name in REQUIRED_COLUMNS:
            if name not in names:
                problems.append(Problem(1, name, _("The file has no “%(column)s” column.") % {"column": name}))
        if problems:
            return None, [], problems
        known = [(index, name) for index, name in enumerate(names) if name]
        data, row_numbers = [], []
        for row_number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            extra = [cell for index, cell in enumerate(record) if (index >= len(names) or not names[index])]
            if any(cell.strip() for cell in extra):
                problems.append(
                    Problem(
                        row_number,
                        "",
                        _(
                            "This row has more values than there are named columns "
                            "(a separator inside a value that is not in quotes?)."
                        ),
                    )
                )
                continue
            data.append(tuple(record[index] if index < len(record) else "" for index, _name in known))
            row_numbers.append(row_number)
    except csv.Error as exc:
        return None, [], [Problem(reader.line_num, "", _("The file is not a readable CSV: %(error)s") % {"error": exc})]
    if not data and not problems:
        problems.append(Problem(2, "", _("The file has no customers: only the header row.")))
    dataset = tablib.Dataset(*data, headers=[name for _index, name in known])
    return dataset, row_numbers, problems


# --- the import-export Resource: one row → one unsaved Customer, or its problems -------------------


class TextWidget(widgets.Widget):
    def __init__(self, *, max_length: int, required_message: Any = None) -> None:
        super().__init__()
        self.max_length = max_length
        self.required_message = required_message

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text and self.required_message:
            raise ValueError(str(self.required_message))  # lazy: translated in the uploader's language
        if len(text) > self.max_length:
            raise ValueError(_("Longer than %(n)s characters.") % {"n": self.max_length})
        return text


class PhoneWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return customer_rules.phone_normalize(value or "")
        except InvalidPhone as exc:
            raise ValueError(exc.message) from None


class EmailWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        email = (value or "").strip().lower()
        if not email:
            return None
        if len(email) > EMAIL_MAX:
            raise ValueError(_("Longer than %(n)s characters.") % {"n": EMAIL_MAX})
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(_("“%(email)s” is not a valid email address.") % {"email": email}) from None
        return email


class BirthdayWidget(widgets.Widget):
    """YYYY-MM-DD or DD.MM.YYYY (regular expressions: strptime costs seconds over 100 000 rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.today = timezone.localdate()

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text:
            return None
        day = None
        if match := ISO_DATE.fullmatch(text):
            year, month, day_of_month = match.groups()
        elif match := DOTTED_DATE.fullmatch(text):
            day_of_month, month, year = match.groups()
        if match:
            try:
                day = dt.date(int(year), int(month), int(day_of_month))
            except ValueError:
                pass
        if day is None:
            raise ValueError(_("“%(date)s” is not a date: use YYYY-MM-DD or DD.MM.YYYY.") % {"date": text})
        if day > self.today:
            raise ValueError(_("Birthday %(date)s is in the future.") % {"date": text})
        if day < OLDEST_BIRTHDAY:
            raise ValueError(_("Birthday %(date)s is before 1900.") % {"date": text})
        return day


class ConsentWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValueError(_("“%(value)s” is not a yes/no value: use 1/0, yes/no or да/нет.") % {"value": value})


class CardNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return "".join((value or "").split()).replace("-", "")


class BalanceWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text:
            return 0
        try:
            points = int(text)
        except ValueError:
            raise ValueError(_("“%(value)s” is not a whole number of points.") % {"value": text}) from None
        if points < 0:
            raise ValueError(_("The opening balance cannot be negative (%(value)s).") % {"value": text})
        if points > rules.MAX_POINTS:
            raise ValueError(_("The opening balance %(value)s is too large.") % {"value": text})
        return points


class CustomerImportResource(resources.ModelResource):
    """Parses and validates rows; never saves. `save_instance` collects each valid row as an unsaved
    Customer (with `opening_balance`) into `self.valid`; the service writes them set-based."""

    name = Field(
        attribute="name",
        column_name="name",
        widget=TextWidget(max_length=200, required_message=gettext_lazy("Enter the customer's name.")),
    )
    phone = Field(attribute="phone", column_name="phone", widget=PhoneWidget())
    email = Field(attribute="email", column_name="email", widget=EmailWidget())
    birthday = Field(attribute="birthday", column_name="birthday", widget=BirthdayWidget())
    consent_email = Field(attribute="consent_email", column_name="consent_email", widget=ConsentWidget())
    consent_sms = Field(attribute="consent_sms", column_name="consent_sms", widget=ConsentWidget())
    card_number = Field(attribute="card_number", column_name="card_number", widget=CardNumberWidget())
    balance = Field(attribute="opening_balance", column_name="balance", widget=BalanceWidget())
    notes = Field(attribute="notes", column_name="notes", widget=TextWidget(max_length=5000))

    class Meta:
        model = Customer
        fields = COLUMNS  # the declared fields below (import-export 4 ignores declared fields not listed)
        force_init_instance = True  # every row is a new customer: no per-row lookup query
        skip_diff = True
        use_transactions = False  # nothing is written here; the job's progress updates commit as they go
        clean_model_instances = False  # the widgets validate; uniqueness is checked set-based afterwards

    def __init__(self, *, row_numbers: list[int], progress: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.row_numbers = row_numbers
        self.progress = progress
        self.valid: list[ImportRow] = []
        self.warnings: list[Problem] = []
        self.column_of = {f.attribute: f.column_name for f in self.fields.values()}
        self._first_row: dict[tuple[str, str], int] = {}  # (column, value) → the row that had it first
        self._import_fields = None

    def init_instance(self, row=None):
        customer = Customer()
        customer.opening_balance = 0  # not a model field: the row's opening points, 0 when none
        return customer

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        if self.progress and kwargs["row_number"] % PROGRESS_EVERY == 0:
            self.progress(kwargs["row_number"])
        return row_result

    def import_instance(self, instance, row, **kwargs):
        """The widgets' checks, then the checks across rows: a phone, e-mail or card number seen earlier."""
        row_number = self.row_numbers[kwargs["row_number"] - 1]
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        card = instance.card_number
        if card and "card_number" not in errors and not customer_rules.card_number_is_valid(card):
            self.warnings.append(
                Problem(
                    row_number,
                    "card_number",
                    _("“%(card)s” is not a valid 13-digit card number: a new card will be issued.") % {"card": card},
                )
            )
            instance.card_number = ""
        for attribute in ("phone", "email", "card_number"):
            value = getattr(instance, attribute, None)
            if not value or attribute in errors:
                continue
            first = self._first_row.setdefault((attribute, value), row_number)
            if first != row_number:
                errors[attribute] = [self._repeated_message(attribute, first, value)]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _repeated_message(attribute: str, first: int, value: str) -> str:
        messages = {
            "phone": _("Same phone as row %(row)s: %(value)s."),
            "email": _("Same email as row %(row)s: %(value)s."),
            "card_number": _("Same card number as row %(row)s: %(value)s."),
        }
        return messages[attribute] % {"row": first, "value": value}

    def get_import_fields(self):
        # import-export computes this list twice per row; it never changes for this resource.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        row_number = self.row_numbers[kwargs["row_number"] - 1]
        self.valid.append(ImportRow(row=row_number, customer=instance, balance=instance.opening_balance))

    def after_import(self, dataset, result, **kwargs):
        pass  # ModelResource would reset the id sequence after saving; this resource saves nothing

    def problems(self, result) -> list[Problem]:
        """The row problems import-export collected, as Problems with spreadsheet row numbers."""
        problems = []
        for invalid in result.invalid_rows:
            row_number = self.row_numbers[invalid.number - 1]
            for attribute, messages in invalid.error_dict.items():
                column = "" if attribute == NON_FIELD_ERRORS else self.column_of.get(attribute, attribute)
                problems.extend(Problem(row_number, column, message) for message in messages)
        for number, errors in result.row_errors():
            problems.extend(Problem(self.row_numbers[number - 1], "", str(error.error)) for error in errors)
        problems.extend(Problem(1, "", str(error.error)) for error in result.base_errors)
        return problems


# --- checks against the database -------------------------------------------------------------------


def _chunks(values: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(field_name: str, values: Iterable[str]) -> set[str]:
    """Which of `values` the database holds in Customer.<field_name>."""
    values = [v for v in set(values) if v]
    if not values:
        return set()
    if connection.vendor == "postgresql":
        # One array parameter: `__in` would bind one parameter per value, which psycopg converts slowly.
        quote = connection.ops.quote_name
        table, column = quote(Customer._meta.db_table), quote(Customer._meta.get_field(field_name).column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", [values])  # noqa: S608
            return {value for (value,) in cursor.fetchall()}
    found: set[str] = set()
    for chunk in _chunks(values):
        found.update(Customer.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True))
    return found


def _database_conflicts(rows: list[ImportRow]) -> list[Problem]:
    """Rows whose phone, e-mail or card number already belongs to a customer in the database."""
    problems = []
    checks = (
        ("phone", _("A customer with phone %(value)s already exists.")),
        ("email", _("A customer with email %(value)s already exists.")),
        ("card_number", _("Card number %(value)s already belongs to a customer.")),
    )
    for attribute, message in checks:
        taken = _existing(attribute, (getattr(r.customer, attribute) for r in rows))
        if not taken:
            continue
        for r in rows:
            value = getattr(r.customer, attribute)
            if value and value in taken:
                problems.append(Problem(r.row, attribute, message % {"value": value}))
    return problems


def _unique_new(generate: Callable[[], str], field_name: str, count: int, taken: set[str]) -> list[str]:
    """`count` new values unique among themselves, in `taken` (values of this batch) and in the database."""
    fresh: list[str] = []
    while len(fresh) < count:
        candidates = {generate() for _ in range(count - len(fresh))} - taken
        candidates -= _existing(field_name, candidates)
        fresh.extend(candidates)
        taken |= candidates
    return fresh


# --- the service -----------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _check(content: bytes, *, result: ImportResult, progress: Progress | None) -> list[ImportRow]:
    dataset, row_numbers, file_problems = csv_read(content)
    if dataset is None:
        result.problems = file_problems
        return []
    total = len(dataset) + sum(1 for p in file_problems if p.row > 1)
    result.total_rows = total
    report = (lambda n: progress(ImportJob.Status.VALIDATING, n, total)) if progress else None
    if report:
        report(0)
    resource = CustomerImportResource(row_numbers=row_numbers, progress=report)
    import_result = resource.import_data(dataset, dry_run=False, use_transactions=False, raise_errors=False)
    problems = file_problems + resource.problems(import_result)
    conflicts = _database_conflicts(resource.valid)
    problems += conflicts
    bad_rows = {p.row for p in problems if p.row > 1}
    valid = [r for r in resource.valid if r.row not in bad_rows]
    result.problems = sorted(problems, key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
    result.warnings = [w for w in resource.warnings if w.row not in bad_rows]
    result.valid_rows = len(valid)
    result.invalid_rows = len(bad_rows)
    if report:
        report(total)
    return valid


def customers_import(
    *,
    content: bytes,
    file_name: str,
    actor: Any = None,
    dry_run: bool = True,
    job: ImportJob | None = None,
    origin: str = "console",
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Check a customer CSV and, unless `dry_run`, import it: every row or none.

    A real run of a file with any problem writes nothing and returns the problems. Opening balances
    become ledger entries of kind "import" (reason "import") with the program's points lifetime.
    """
    result = ImportResult(dry_run=dry_run)
    rows = _check(content, result=result, progress=progress)
    if result.problems:
        if not dry_run:
            n = result.invalid_rows or len(result.problems)
            result.message = ngettext(
                "Nothing was imported: %(n)s row has problems. Fix it in the file and upload it again.",
                "Nothing was imported: %(n)s rows have problems. Fix them in the file and upload it again.",
                n,
            ) % {"n": n}
        return result
    if dry_run:
        return result
    if progress:
        progress(ImportJob.Status.WRITING, result.total_rows, result.total_rows)
    try:
        imported, points = _write(
            rows, actor=actor, origin=origin, file_name=file_name, job=job, now=now or timezone.now()
        )
    except _Refused as exc:
        result.problems = exc.problems
        result.invalid_rows = len({p.row for p in exc.problems})
        result.valid_rows -= result.invalid_rows
        result.message = _(
            "Nothing was imported: since the check, customers with some of these phones, emails or card "
            "numbers were added. Fix the rows below and upload the file again."
        )
        return result
    except IntegrityError:
        logger.warning("customer import %s: a uniqueness conflict appeared while writing", file_name, exc_info=True)
        result.message = _(
            "Nothing was imported: a customer with one of these phones, emails or card numbers was added "
            "while the import ran. Run the import again."
        )
        result.problems = [Problem(1, "", result.message)]
        return result
    result.imported, result.points = imported, points
    return result


def _write(
    rows: list[ImportRow], *, actor: Any, origin: str, file_name: str, job: ImportJob | None, now: dt.datetime
) -> tuple[int, int]:
    user = actor if getattr(actor, "is_authenticated", False) else None
    source = f"import:{job.pk}" if job is not None else "import"
    with transaction.atomic():
        conflicts = _database_conflicts(rows)
        if conflicts:
            raise _Refused(conflicts)
        customers = [r.customer for r in rows]
        need_card = [c for c in customers if not c.card_number]
        cards = _unique_new(
            customer_rules.card_number_generate,
            "card_number",
            len(need_card),
            {c.card_number for c in customers if c.card_number},
        )
        codes = _unique_new(customer_rules.referral_code_generate, "referral_code", len(customers), set())
        for customer, card in zip(need_card, cards, strict=True):
            customer.card_number = card
        for customer, code in zip(customers, codes, strict=True):
            customer.referral_code = code
            customer.created_at = now
        Customer.objects.bulk_create(customers, batch_size=WRITE_BATCH)

        credited = [r for r in rows if r.balance > 0]
        program = program_settings_get()
        expires_at = rules.points_expiry(credited_at=now, lifetime_days=program.points_lifetime_days)
        entries = LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    customer_id=r.customer.pk,
                    kind=LedgerEntry.Kind.IMPORT,
                    points=r.balance,
                    reason=IMPORT_REASON,
                    source=source,
                    actor=user,
                    created_at=now,
                    expires_at=expires_at,
                )
                for r in credited
            ],
            batch_size=WRITE_BATCH,
        )
        PointsLot.objects.bulk_create(
            [
                PointsLot(
                    customer_id=entry.customer_id,
                    entry=entry,
                    points=entry.points,
                    remaining=entry.points,
                    created_at=now,
                    available_at=now,
                    expires_at=expires_at,
                )
                for entry in entries
            ],
            batch_size=WRITE_BATCH,
        )
        PointsAccount.objects.bulk_create(
            [PointsAccount(customer_id=r.customer.pk, balance=r.balance) for r in credited], batch_size=WRITE_BATCH
        )
        points = sum(r.balance for r in credited)
        audit_record(
            action=AuditAction.CUSTOMER_IMPORT,
            obj=job,
            summary=_("Imported %(n)s customers from %(file)s with %(points)s opening points")
            % {"n": len(customers), "file": file_name, "points": points},
            actor=actor,
            origin=origin,
            changes={
                "file": file_name,
                "rows": len(customers),
                "points": points,
                "customers_with_balance": len(credited),
                "job": job.pk if job is not None else None,
            },
        )
    return len(customers), points


# --- jobs: the page's uploads, run in the request (small files) or by the django-q2 worker ----------


def _rows_estimate(content: bytes) -> int:
    return max(0, content.count(b"\n") - 1)


def import_job_submit(
    *,
    content: bytes,
    file_name: str,
    dry_run: bool,
    actor: Any,
    language: str | None = None,
    dry_run_job: ImportJob | None = None,
) -> ImportJob:
    """Store an upload as a job and run it: now for a small file, in the background for a big one.

    With `dry_run_job` (the real run of a checked file) a second submission returns the first job: one
    real run per dry run, whatever the number of clicks or concurrent requests.
    """
    if dry_run_job is not None and (earlier := ImportJob.objects.filter(dry_run_job=dry_run_job).first()):
        return earlier
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                dry_run=dry_run,
                dry_run_job=dry_run_job,
                file_name=file_name[:255],
                content=content,
                total_rows=_rows_estimate(content),
                language=language or translation.get_language() or "",
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        if dry_run_job is None:
            raise
        return ImportJob.objects.get(dry_run_job=dry_run_job)  # submitted concurrently: that one runs
    if job.total_rows <= INLINE_ROWS:
        import_job_run(job_id=job.pk)
    else:
        transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return job


def import_job_rerun(*, job: ImportJob, actor: Any, language: str | None = None) -> ImportJob:
    """The real run of the file a dry run checked ("Import N customers"), once per dry run."""
    return import_job_submit(
        content=bytes(job.content),
        file_name=job.file_name,
        dry_run=False,
        actor=actor,
        language=language,
        dry_run_job=job,
    )


def _enqueue(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task("loyalty.services.imports.import_job_run", job_id=job_id, task_name=f"customer-import-{job_id}")


def import_job_run(*, job_id: int) -> dict[str, Any]:
    """Run a queued job (the django-q2 task). Claiming it with a conditional UPDATE makes a second
    delivery of the same task a no-op, so the job runs once."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.VALIDATING
    ):
        return {"job": job_id, "skipped": "not queued"}
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)

    def progress(status: str, processed: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(status=status, processed_rows=processed, total_rows=total)

    with translation.override(job.language or None):
        try:
            result = customers_import(
                content=bytes(job.content),
                file_name=job.file_name,
                actor=job.created_by,
                dry_run=job.dry_run,
                job=job,
                progress=progress,
            )
        except Exception as exc:
            logger.exception("customer import job %s failed", job_id)
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportJob.Status.FAILED,
                message=(_("The import stopped with an error; nothing was imported: %(error)s") % {"error": exc})[:500],
                finished_at=timezone.now(),
            )
            return {"job": job_id, "status": ImportJob.Status.FAILED}
    refused = not job.dry_run and not result.ok
    status = ImportJob.Status.FAILED if refused else ImportJob.Status.DONE
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        total_rows=result.total_rows,
        processed_rows=result.total_rows,
        valid_rows=result.valid_rows,
        invalid_rows=result.invalid_rows,
        imported_rows=result.imported,
        imported_points=result.points,
        errors=[p.as_dict() for p in result.problems[:MAX_STORED_PROBLEMS]],
        warnings=[w.as_dict() for w in result.warnings[:MAX_STORED_PROBLEMS]],
        message=result.message[:500],
        finished_at=timezone.now(),
    )
    return {"job": job_id, "status": status, "imported": result.imported, "problems": len(result.problems)}
