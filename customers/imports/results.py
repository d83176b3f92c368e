"""What the import reports: problems by row and column, the rows it will create, the outcome."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ..models import Customer

EMAIL_MAX = Customer._meta.get_field("email").max_length
COLUMNS = (
    "name", "phone", "email", "birthday", "consent_email", "consent_sms", "language", "card_number", "balance", "notes",
)  # fmt: skip
REQUIRED_COLUMNS = ("name", "phone")
PROGRESS_EVERY = 5000  # rows between two progress updates of a job
QUERY_CHUNK = 5000  # values per `__in` query
CHECK_CHUNK = 5000  # rows per import-export pass of the check
WRITE_BATCH = 5000  # rows per INSERT
INLINE_ROWS = 2000  # files up to this many rows are processed in the request, bigger ones by the worker
MAX_STORED_PROBLEMS = 1000  # problems kept on a job (the count of rows with problems is always exact)
# The ledger's bound on one entry (loyalty.rules.MAX_POINTS; loyalty/tests/services/test_bulk.py checks
# that they agree). The configured maximum (settings IMPORT_MAX_OPENING_BALANCE) is far below it.
OPENING_BALANCE_MAX = 10**15
MAX_COLUMNS = 50  # a header wider than this is refused at once (the file has ten known columns)


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold (settings, see .env.example): bytes of the file, customers (rows) and
    points of one opening balance. Checked before any row is parsed, so a hostile file costs little."""

    max_bytes: int
    max_rows: int
    max_opening_balance: int


def file_too_large(max_bytes: int) -> str:
    """The message for a file above `max_bytes`, with the limit in the language's units ("20.0 MB")."""
    return _("The file is larger than %(size)s.") % {"size": filesizeformat(max_bytes)}


def import_limits() -> ImportLimits:
    """The limits configured in settings (IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, IMPORT_MAX_OPENING_BALANCE)."""
    return ImportLimits(
        max_bytes=settings.IMPORT_MAX_BYTES,
        max_rows=settings.IMPORT_MAX_ROWS,
        max_opening_balance=min(settings.IMPORT_MAX_OPENING_BALANCE, OPENING_BALANCE_MAX),
    )


TRUE_VALUES = {"1", "yes", "y", "true", "да", "д"}
FALSE_VALUES = {"", "0", "no", "n", "false", "нет", "н"}
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)

# The sample offered for download on the import page (and imported cleanly by the tests).
SAMPLE_CSV = (
    "name,phone,email,birthday,consent_email,consent_sms,language,card_number,balance,notes\n"
    "Anna Petrova,+7 912 345-67-89,anna@example.com,1990-04-12,1,0,en,2712345678906,350,\n"
    "Boris Sidorov,8 (900) 111-22-33,,03.11.1985,да,нет,ru,,0,Prefers SMS\n"
    'Vera Ivanova,+79001112244,vera@example.com,,yes,yes,,,1200,"Moved from the old card system, level Gold"\n'
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one row (row 1 is the header, as in a spreadsheet)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(slots=True)
class ImportRow:
    """One valid row, kept compact (a tuple-sized object, not a model instance) until the write builds
    its Customer: the check holds every row of the file at once. card_number "" means "issue a new card";
    `language` is a code of settings.LANGUAGES (the shop's when the file gives none); `customer_id` is set
    once the row is written."""

    row: int
    name: str
    phone: str
    email: str | None
    birthday: dt.date | None
    consent_email: bool
    consent_sms: bool
    language: str
    card_number: str
    notes: str
    balance: int
    customer_id: int | None = None

    def customer(self, **fields: Any) -> Customer:
        """An unsaved Customer with this row's values and `fields` (referral_code, created_at)."""
        return Customer(
            name=self.name, phone=self.phone, email=self.email, birthday=self.birthday,
            consent_email=self.consent_email, consent_sms=self.consent_sms, language=self.language,
            card_number=self.card_number, notes=self.notes, **fields,
        )  # fmt: skip


@dataclass
class ImportResult:
    """The outcome of one import run. Counts are exact; `problems` and `warnings` hold the first
    MAX_STORED_PROBLEMS of each by row (a file of 200 000 bad rows does not become 200 000 objects);
    `invalid_rows` says how many rows had problems in all. `points` are the opening points credited."""

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
