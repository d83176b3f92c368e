"""Import jobs: the page's uploads, run in the request (small files) or by the django-q2 worker."""

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.logging import personal_data_mask

from ..exceptions import ImportFileGone
from ..models import ImportJob
from .results import INLINE_ROWS, MAX_STORED_PROBLEMS
from .service import customers_import

logger = logging.getLogger(__name__)


def _rows_estimate(content: bytes) -> int:
    """Data rows, for choosing inline or background work: lines end in LF, CRLF or (old Mac files) CR alone."""
    return max(0, max(content.count(b"\n"), content.count(b"\r")) - 1)


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
    """The real run of the file a dry run checked ("Import N customers"), once per dry run.

    Raises ImportFileGone when the dry run's file is no longer kept (see `import_files_purge`)."""
    if not job.content and not ImportJob.objects.filter(dry_run_job=job).exists():
        raise ImportFileGone(
            _("The file of this check is no longer kept (files are removed once imported, after %(days)s days, "
              "or when a customer's data is erased). Upload it again.") % {"days": FILE_KEEP_DAYS}
        )  # fmt: skip
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

    async_task("customers.tasks.import_job_run", job_id=job_id, task_name=f"customer-import-{job_id}")


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
            _fail(job_id, exc)
            return {"job": job_id, "status": ImportJob.Status.FAILED}
    refused = not job.dry_run and not result.ok
    status = ImportJob.Status.FAILED if refused else ImportJob.Status.DONE
    if not job.dry_run:  # the file has done its work: personal data is not kept longer than needed
        ImportJob.objects.filter(pk__in=[job_id, job.dry_run_job_id]).update(content=b"")
    try:
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
    except Exception as exc:  # the outcome could not be stored: the job must still end, with its reason
        logger.exception("customer import job %s: could not store its outcome", job_id)
        _fail(job_id, exc)
        return {"job": job_id, "status": ImportJob.Status.FAILED}
    return {"job": job_id, "status": status, "imported": result.imported, "problems": len(result.problems)}


def _fail(job_id: int, exc: Exception) -> None:
    """End a job as failed with the error's message (phones and emails masked), never a traceback."""
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED,
        message=(
            _("The import stopped with an error; nothing was imported: %(error)s")
            % {"error": personal_data_mask(str(exc))}
        )[:500],
        finished_at=timezone.now(),
    )


FILE_KEEP_DAYS = 7  # an uploaded file nobody imported is removed after this many days


def import_files_purge(*, now: dt.datetime | None = None, everything: bool = False) -> int:
    """Remove the stored files (personal data) of finished import jobs: those finished more than
    FILE_KEEP_DAYS ago, or, with `everything` (a customer's data erased), all finished ones; a job still
    queued or running keeps its file. The jobs themselves (counts, problems) stay. Returns how many."""
    finished = ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED]).exclude(
        content=b""
    )
    if not everything:
        finished = finished.filter(finished_at__lt=(now or timezone.now()) - dt.timedelta(days=FILE_KEEP_DAYS))
    return finished.update(content=b"")
