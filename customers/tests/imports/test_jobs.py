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
