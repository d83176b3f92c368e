"""Kept for one release: customer-import tasks queued before the import moved to `customers` (issue #10)
were stored by this path, and the worker must still find it after an upgrade. New tasks use
`customers.tasks.import_job_run`. Remove this module once no queue can hold the old path."""

from typing import Any

from customers.tasks import import_job_run as _import_job_run


def import_job_run(*, job_id: int) -> dict[str, Any]:
    """The old task path of a queued customer import job; runs it once (customers.imports.jobs)."""
    return _import_job_run(job_id=job_id)
