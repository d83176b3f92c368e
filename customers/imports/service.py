"""The import service: check every row, then write all of them or none."""

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import tablib
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_record

from .. import rules as customer_rules
from ..events import ConsentChanged, ConsentSource, OpeningBalances, consent_changed_publish, opening_balances_publish
from ..models import Customer, ImportJob
from .checks import SeenValues, _database_conflicts, _unique_new
from .reading import CsvRows, csv_read
from .results import (
    CHECK_CHUNK,
    COLUMNS,
    MAX_STORED_PROBLEMS,
    WRITE_BATCH,
    ImportResult,
    ImportRow,
    Problem,
    Progress,
)
from .rows import CustomerImportResource

logger = logging.getLogger(__name__)


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _problem_order(problem: Problem) -> tuple[int, int]:
    return problem.row, COLUMNS.index(problem.column) if problem.column in COLUMNS else -1


def _first(kept: list[Problem], more: list[Problem]) -> list[Problem]:
    """The first MAX_STORED_PROBLEMS of `kept` and `more` by row and column (both in row order)."""
    return sorted(kept + more, key=_problem_order)[:MAX_STORED_PROBLEMS]


def _check(content: bytes, *, result: ImportResult, progress: Progress | None) -> CsvRows | None:
    """Check every row, a chunk at a time, and fill `result`: exact counts, the first MAX_STORED_PROBLEMS
    problems and warnings. Valid rows are counted, not kept, and the values seen so far (for "same phone
    as row N") live in a temporary table: memory does not grow with the file. The write reads the file
    again (`_valid_chunks`). Returns the file's rows for that second reading, or None when the file
    itself is unreadable."""
    dataset, file_problems = csv_read(content)
    if dataset is None:
        result.problems = file_problems
        return None
    total = len(dataset) + dataset.shape_problem_rows
    result.total_rows = total
    report = (lambda n: progress(ImportJob.Status.VALIDATING, n, total)) if progress else None
    if report:
        report(0)
    resource = CustomerImportResource(row_numbers=dataset.row_numbers, progress=report)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    valid, invalid = 0, dataset.shape_problem_rows
    with SeenValues() as seen:
        for number, rows in enumerate(dataset.chunks(CHECK_CHUNK)):
            resource.offset = number * CHECK_CHUNK
            chunk_result = resource.import_data(
                tablib.Dataset(*rows, headers=dataset.headers),
                dry_run=False,
                use_transactions=False,
                raise_errors=False,
            )
            chunk_problems = (
                resource.problems(chunk_result) + seen.repeated(resource.keys) + _database_conflicts(resource.valid)
            )
            bad = {p.row for p in chunk_problems}
            valid += sum(1 for r in resource.valid if r.row not in bad)
            invalid += len(bad)
            problems = _first(problems, chunk_problems)
            warnings = _first(warnings, [w for w in resource.warnings if w.row not in bad])
            resource.valid.clear()
            resource.keys.clear()
            resource.warnings.clear()
            del chunk_result
    result.problems = _first(problems, file_problems)
    result.warnings = warnings
    result.valid_rows = valid
    result.invalid_rows = invalid
    if report:
        report(total)
    return dataset


def _valid_chunks(dataset: CsvRows) -> Iterator[list[ImportRow]]:
    """The file's rows read again for the write, a chunk at a time, as checked ImportRows. Called only
    after a check that found no problem, so every row is valid and no row repeats another."""
    for number, rows in enumerate(dataset.chunks(CHECK_CHUNK)):
        resource = CustomerImportResource(row_numbers=dataset.row_numbers)
        resource.offset = number * CHECK_CHUNK
        resource.import_data(
            tablib.Dataset(*rows, headers=dataset.headers), dry_run=False, use_transactions=False, raise_errors=False
        )
        yield resource.valid


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
    dataset = _check(content, result=result, progress=progress)
    if result.problems:
        if not dry_run and result.invalid_rows:
            n = result.invalid_rows
            result.message = ngettext(
                "Nothing was imported: %(n)s row has problems. Fix it in the file and upload it again.",
                "Nothing was imported: %(n)s rows have problems. Fix them in the file and upload it again.",
                n,
            ) % {"n": n}
        elif not dry_run:  # the file itself (its size, encoding or header): no row was read
            result.message = _("Nothing was imported: the file cannot be read as it is. Fix it and upload it again.")
        return result
    if dry_run:
        return result
    if progress:
        progress(ImportJob.Status.WRITING, result.total_rows, result.total_rows)
    try:
        imported, points = _write(
            _valid_chunks(dataset), actor=actor, origin=origin, file_name=file_name, job=job, now=now or timezone.now()
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
    chunks: Iterable[list[ImportRow]],
    *,
    actor: Any,
    origin: str,
    file_name: str,
    job: ImportJob | None,
    now: dt.datetime,
) -> tuple[int, int]:
    """Write every chunk of checked rows in ONE transaction: all or nothing. Per chunk: the database is
    checked again (a customer may have been enrolled since the check: _Refused), new cards and referral
    codes are drawn unique, the customers are inserted, and the ledger credits their opening balances
    (the OpeningBalances event). Returns (customers imported, opening points)."""
    source = f"import:{job.pk}" if job is not None else "import"
    imported = points = with_balance = 0
    with transaction.atomic():
        for rows in chunks:
            conflicts = _database_conflicts(rows)
            if conflicts:
                raise _Refused(conflicts)
            need_card = [r for r in rows if not r.card_number]
            cards = _unique_new(
                customer_rules.card_number_generate,
                "card_number",
                len(need_card),
                {r.card_number for r in rows if r.card_number},
            )
            codes = _unique_new(customer_rules.referral_code_generate, "referral_code", len(rows), set())
            for r, card in zip(need_card, cards, strict=True):
                r.card_number = card
            created = Customer.objects.bulk_create(
                [r.customer(referral_code=code, created_at=now) for r, code in zip(rows, codes, strict=True)],
                batch_size=WRITE_BATCH,
            )
            credited = {customer.pk: r.balance for r, customer in zip(rows, created, strict=True) if r.balance > 0}
            # The ledger (a layer above) credits the opening balances inside this transaction: all or nothing.
            opening_balances_publish(OpeningBalances(balances=credited, source=source, actor=actor, at=now))
            # The consent history (messaging) records the consents the file gave, in this transaction too.
            for channel in ("email", "sms"):
                given = tuple(c.pk for r, c in zip(rows, created, strict=True) if getattr(r, f"consent_{channel}"))
                consent_changed_publish(
                    ConsentChanged(
                        customer_ids=given, channel=channel, granted=True, source=ConsentSource.IMPORT,
                        actor=actor, origin=origin, at=now, note=source,
                    )
                )  # fmt: skip
            imported += len(rows)
            points += sum(credited.values())
            with_balance += len(credited)
        audit_record(
            action=AuditAction.CUSTOMER_IMPORT,
            obj=job,
            summary=_("Imported %(n)s customers from %(file)s with %(points)s opening points")
            % {"n": imported, "file": file_name, "points": points},
            actor=actor,
            origin=origin,
            changes={
                "file": file_name,
                "rows": imported,
                "points": points,
                "customers_with_balance": with_balance,
                "job": job.pk if job is not None else None,
            },
        )
    return imported, points
