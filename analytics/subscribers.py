"""What `analytics` does when a lower app publishes an event (loyalty never imports analytics).

- `loyalty.events.DailyRunFinished` (after the daily jobs for a date): queue the RFM snapshot and the
  dashboard snapshot of that date as django-q2 tasks, so that the snapshots follow the daily run's date,
  replays included, and their cost or failure never holds up the daily run.
"""

from django_q.tasks import async_task

from loyalty.events import DailyRunFinished, daily_run_finished_subscribe


def rfm_snapshot_queue(event: DailyRunFinished) -> None:
    """Queue `analytics.tasks.rfm_snapshot_task` for the run's date (one task name per date)."""
    day = event.as_of.isoformat()
    async_task("analytics.tasks.rfm_snapshot_task", as_of=day, task_name=f"analytics-rfm-{day}")


def dashboard_snapshot_queue(event: DailyRunFinished) -> None:
    """Queue `analytics.tasks.dashboard_snapshot_task` for the run's date (one task name per date)."""
    day = event.as_of.isoformat()
    async_task("analytics.tasks.dashboard_snapshot_task", as_of=day, task_name=f"analytics-dashboard-{day}")


def subscribe() -> None:
    """Register the subscribers above (AnalyticsConfig.ready; registering twice is harmless)."""
    daily_run_finished_subscribe(rfm_snapshot_queue)
    daily_run_finished_subscribe(dashboard_snapshot_queue)
