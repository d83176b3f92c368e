"""What campaigns do when the apps below them announce something (subscribed in campaigns.apps).
`loyalty` never imports campaigns: it publishes events, and these queue campaigns' tasks."""

from django_q.tasks import async_task

from loyalty.events import DailyRunFinished, daily_run_finished_subscribe


def campaigns_daily_request(event: DailyRunFinished) -> None:
    """After loyalty's daily run of a date (its schedule `loyalty.run_daily`, or a replay with
    `manage.py run_daily --date`): queue the date-driven campaigns of that date (one task name per date),
    on PostgreSQL and on SQLite (the demo) alike."""
    day = event.as_of.isoformat()
    async_task("campaigns.tasks.campaigns_daily_task", day, task_name=f"campaigns-daily-{day}")


def subscribe() -> None:
    """Register campaigns' subscribers (idempotent)."""
    daily_run_finished_subscribe(campaigns_daily_request)
