"""What campaigns do on the events of the apps below them (they never import campaigns).

- `customers.events.CustomerEnrolled` (after the enrolment commits, in the same request): grant the
  running welcome campaigns at once, so that the till shows the bonus on the card it opens next. If that
  fails (the database hiccups), the grant is queued as a django-q2 task (`campaigns.tasks.welcome_grant`),
  which grants the same once: the grant row is unique per campaign, customer and occasion "enrol".
- loyalty's boost hook (loyalty.boosts): campaigns.boosts is the provider.
"""

import logging

from django_q.tasks import async_task

from customers.events import CustomerEnrolled, customer_enrolled_subscribe

from . import boosts
from .services.events import welcome_grant

logger = logging.getLogger(__name__)


def welcome_on_enrolment(event: CustomerEnrolled) -> None:
    """Grant the welcome campaigns to the new customer now; on an error, queue the same as a task."""
    try:
        welcome_grant(customer_id=event.customer_id)
    except Exception:
        logger.exception("welcome grant failed for customer %s; queued for the worker", event.customer_id)
        async_task("campaigns.tasks.welcome_grant", customer_id=event.customer_id)


def subscribe() -> None:
    """Register the subscribers and the boost provider (CampaignsConfig.ready; twice is harmless)."""
    customer_enrolled_subscribe(welcome_on_enrolment)
    boosts.register()
