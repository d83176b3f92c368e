"""django-q2 entry points of campaigns: thin wrappers around services (the task path is what the queue
stores)."""

import datetime as dt
import logging

from .selectors import campaigns_out_of_bounds
from .services.daily import campaigns_daily_run
from .services.events import welcome_grant as _welcome_grant

logger = logging.getLogger(__name__)


def campaigns_daily_task(as_of: str) -> dict:
    """After loyalty's daily run of `as_of` (ISO date; queued by campaigns.subscribers when loyalty
    announces the run finished, so points have expired and tiers moved first): the date-driven campaigns
    of that date, set-based. Idempotent for the date. Returns campaigns_daily_run's summary. A launched
    campaign with a value outside its bounds is not run (campaigns_running): logged as a warning."""
    for campaign, problems in campaigns_out_of_bounds():
        logger.warning("campaign %s not run: %s", campaign.pk, " ".join(p.message for p in problems))
    return campaigns_daily_run(as_of=dt.date.fromisoformat(as_of))


def welcome_grant(*, customer_id: int) -> list[str]:
    """Grant the running welcome campaigns to a customer (the fallback of the grant at enrolment; a
    second run grants nothing twice). Returns the outcome per targeted campaign."""
    return [attempt.outcome for attempt in _welcome_grant(customer_id=customer_id)]
