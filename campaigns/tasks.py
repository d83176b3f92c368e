"""django-q2 entry points of campaigns: thin wrappers around services."""

import datetime as dt

from .services.daily import campaigns_daily_run


def campaigns_daily_task(as_of: str) -> dict:
    """After loyalty's daily run of `as_of` (ISO date; queued by campaigns.subscribers when loyalty
    announces the run finished, so points have expired and tiers moved first): the date-driven campaigns
    of that date, set-based. Idempotent for the date. Returns campaigns_daily_run's summary."""
    return campaigns_daily_run(as_of=dt.date.fromisoformat(as_of))
