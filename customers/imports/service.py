"""The import service: check every row, then write all of them or none."""

import datetime as dt
import logging
from typing import Any

import tablib
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_record

from .. import rules as customer_rules
from ..events import OpeningBalances, opening_balances_publish
from ..models import Customer, ImportJob
from .checks import _database_conflicts, _unique_new
from .reading import csv_read
from .results import CHECK_CHUNK, COLUMNS, WRITE_BATCH, ImportResult, ImportRow, Problem, Progress
from .rows import CustomerImportResource

logger = logging.getLogger(__name__)


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
    problems = list(file_problems)
    # In chunks: import-export keeps a result object per row until its import_data returns, so one call
    # for the whole file held them all (memory grew with the file); a chunk's results are dropped after it.
    for number, rows in enumerate(dataset.chunks(CHECK_CHUNK)):
        resource.offset = number * CHECK_CHUNK
        chunk = tablib.Dataset(*rows, headers=dataset.headers)
        chunk_result = resource.import_data(chunk, dry_run=False, use_transactions=False, raise_errors=False)
        problems += resource.problems(chunk_result)
        del chunk, chunk_result
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
    source = f"import:{job.pk}" if job is not None else "import"
    with transaction.atomic():
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
        for start in range(0, len(rows), WRITE_BATCH):  # model instances for one batch at a time
            batch = rows[start : start + WRITE_BATCH]
            created = Customer.objects.bulk_create(
                [r.customer(referral_code=code, created_at=now) for r, code in zip(batch, codes[start:], strict=False)]
            )
            for r, customer in zip(batch, created, strict=True):
                r.customer_id = customer.pk

        credited = [r for r in rows if r.balance > 0]
        # The ledger (a layer above) credits the opening balances inside this transaction: all or nothing.
        opening_balances_publish(
            OpeningBalances(balances={r.customer_id: r.balance for r in credited}, source=source, actor=actor, at=now)
        )
        points = sum(r.balance for r in credited)
        audit_record(
            action=AuditAction.CUSTOMER_IMPORT,
            obj=job,
            summary=_("Imported %(n)s customers from %(file)s with %(points)s opening points")
            % {"n": len(rows), "file": file_name, "points": points},
            actor=actor,
            origin=origin,
            changes={
                "file": file_name,
                "rows": len(rows),
                "points": points,
                "customers_with_balance": len(credited),
                "job": job.pk if job is not None else None,
            },
        )
    return len(rows), points
