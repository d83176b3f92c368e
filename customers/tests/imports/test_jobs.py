"""The customer CSV import (issue #6), its jobs (customers.imports.jobs): a job that fails is marked failed
and writes nothing."""

import pytest

from customers import imports
from customers.imports import SAMPLE_CSV
from customers.imports import service as import_service
from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_a_failing_job_is_marked_failed_and_writes_nothing(program, marketing_user, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_service, "_write", boom)
    job = imports.import_job_submit(content=SAMPLE_CSV.encode(), file_name="c.csv", dry_run=False, actor=marketing_user)
    assert job.status == "failed" and job.finished_at is not None
    assert job.message == "The import stopped with an error; nothing was imported: disk full"
    assert not Customer.objects.exists()


def test_a_job_queued_before_the_upgrade_by_the_old_task_path_still_runs(program, marketing_user):
    """Workers find tasks by their dotted path; tasks queued by the code before issue #10 name
    loyalty.services.imports.import_job_run."""
    from django.utils.module_loading import import_string

    from customers.imports import SAMPLE_CSV
    from customers.models import ImportJob

    job = ImportJob.objects.create(dry_run=True, file_name="old.csv", content=SAMPLE_CSV.encode(), total_rows=3)
    result = import_string("loyalty.services.imports.import_job_run")(job_id=job.pk)
    job.refresh_from_db()
    assert (result["status"], job.status, job.valid_rows) == ("done", "done", 3)


def test_files_are_removed_once_imported_after_a_week_or_when_a_customer_is_erased(program, marketing_user):
    """Uploaded files list people: they are kept only while needed (issue #11)."""
    import datetime as dt

    from customers.imports import SAMPLE_CSV, import_files_purge, import_job_rerun, import_job_submit
    from customers.models import Customer, ImportJob
    from customers.services import customer_erase

    check = import_job_submit(content=SAMPLE_CSV.encode(), file_name="a.csv", dry_run=True, actor=marketing_user)
    real = import_job_rerun(job=check, actor=marketing_user)
    check.refresh_from_db()
    assert real.status == "done" and bytes(real.content) == b"" and bytes(check.content) == b""

    unused = import_job_submit(content=b"name,phone\nZoe,+7 900 555-44-33\n", file_name="b.csv", dry_run=True,
                               actor=marketing_user)  # fmt: skip
    assert import_files_purge(now=unused.finished_at + dt.timedelta(days=6)) == 0
    assert import_files_purge(now=unused.finished_at + dt.timedelta(days=8)) == 1

    pending = import_job_submit(content=b"name,phone\nYan,+7 900 555-44-34\n", file_name="c.csv", dry_run=True,
                                actor=marketing_user)  # fmt: skip
    customer_erase(customer=Customer.objects.get(name="Anna Petrova"), actor=marketing_user)
    pending.refresh_from_db()
    assert bytes(pending.content) == b""
    with pytest.raises(Exception, match="The file of this check is no longer kept"):
        import_job_rerun(job=ImportJob.objects.get(pk=pending.pk), actor=marketing_user)
