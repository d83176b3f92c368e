"""django-q2 tasks of campaigns: thin wrappers around services (the task path is what the queue stores)."""

from .services.events import welcome_grant as _welcome_grant


def welcome_grant(*, customer_id: int) -> list[str]:
    """Grant the running welcome campaigns to a customer (the fallback of the grant at enrolment; a
    second run grants nothing twice). Returns the outcome per targeted campaign."""
    return [attempt.outcome for attempt in _welcome_grant(customer_id=customer_id)]
