"""django-q2 tasks of `customers`: thin wrappers around services (the task path is what the queue stores)."""

from typing import Any

from .imports import jobs


def import_job_run(*, job_id: int) -> dict[str, Any]:
    """Run a queued customer import job once (`customers.imports.jobs.import_job_run`)."""
    return jobs.import_job_run(job_id=job_id)
