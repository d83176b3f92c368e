"""django-q2 entry points: thin wrappers around services."""

from django.utils import timezone

from .services import daily_run


def run_daily_task() -> dict:
    """Scheduled every day (migration 0003): the daily jobs as of today's local date."""
    return daily_run(as_of=timezone.localdate())
