"""What campaigns do on the events of the apps below them (they never import campaigns).

- `loyalty.events.DailyRunFinished` (after loyalty's daily run of a date: its schedule `loyalty.run_daily`,
  or a replay with `manage.py run_daily --date`): queue the date-driven campaigns of that date (one task
  name per date), so that points have expired and tiers moved first.
- `customers.events.CustomerEnrolled` (after the enrolment commits, in the same request): grant the
  running welcome campaigns at once, so that the till shows the bonus on the card it opens next. If that
  fails (the database hiccups), the grant is queued as a django-q2 task (`campaigns.tasks.welcome_grant`),
  which grants the same once: the grant row is unique per campaign, customer and occasion "enrol".
- loyalty's boost hook (loyalty.boosts): campaigns.boosts is the provider.
"""

import logging

from django_q.tasks import async_task

from customers.events import CustomerEnrolled, customer_enrolled_subscribe
from loyalty.events import DailyRunFinished, daily_run_finished_subscribe

from . import boosts
from .services.events import welcome_grant

logger = logging.getLogger(__name__)


def campaigns_daily_request(event: DailyRunFinished) -> None:
    """After loyalty's daily run of a date (its schedule `loyalty.run_daily`, or a replay with
    `manage.py run_daily --date`): queue the date-driven campaigns of that date (one task name per date),
    on PostgreSQL and on SQLite (the demo) alike."""
    day = event.as_of.isoformat()
    async_task("campaigns.tasks.campaigns_daily_task", day, task_name=f"campaigns-daily-{day}")


def welcome_on_enrolment(event: CustomerEnrolled) -> None:
    """Grant the welcome campaigns to the new customer now; on an error, queue the same as a task."""
    try:
        welcome_grant(customer_id=event.customer_id)
    except Exception:
        logger.exception("welcome grant failed for customer %s; queued for the worker", event.customer_id)
        async_task("campaigns.tasks.welcome_grant", customer_id=event.customer_id)


def subscribe() -> None:
    """Register the subscribers and the boost provider (CampaignsConfig.ready; twice is harmless)."""
    daily_run_finished_subscribe(campaigns_daily_request)
    customer_enrolled_subscribe(welcome_on_enrolment)
    boosts.register()
