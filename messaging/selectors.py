"""Reads for messaging: a customer's consent and address per channel, recent marketing messages."""

import datetime as dt

from customers.events import ConsentSource
from customers.models import Customer

from .models import ConsentChange, Message

# Consent withdrawn by the customers themselves: the skip reason is "unsubscribed", not "no consent".
UNSUBSCRIBE_SOURCES = (ConsentSource.LINK, ConsentSource.STOP)
# Statuses that count towards the frequency cap: everything that went out or will go out.
CAP_STATUSES = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT, Message.Status.DELIVERED)


def consent_latest(*, customer_id: int, channel: str) -> ConsentChange | None:
    """The latest row of the customer's consent history for `channel`, or None."""
    return ConsentChange.objects.filter(customer_id=customer_id, channel=channel).order_by("-at", "-id").first()


def consent_granted(*, customer: Customer, channel: str) -> bool:
    """Whether `customer` gave marketing consent for `channel`: `Customer.consent_email` / `consent_sms`
    (customers' data is the one truth for those), the latest history row for the messenger (no row: no)."""
    if channel == "email":
        return customer.consent_email
    if channel == "sms":
        return customer.consent_sms
    latest = consent_latest(customer_id=customer.pk, channel=channel)
    return bool(latest and latest.granted)


def address_for(*, customer: Customer, channel: str) -> str:
    """Where a message on `channel` goes: the email, or the E.164 phone for SMS and messengers (a messenger
    account is found by phone). "" when there is none: no email, or an erased customer ("+0…" phone)."""
    if customer.erased_at is not None:
        return ""
    if channel == "email":
        return customer.email or ""
    return customer.phone if customer.phone and not customer.phone.startswith("+0") else ""


def marketing_count_since(*, customer_id: int, since: dt.datetime) -> int:
    """The customer's marketing messages queued at or after `since` that went or will go out (any channel)."""
    return Message.objects.filter(
        customer_id=customer_id, purpose=Message.Purpose.MARKETING, created_at__gte=since, status__in=CAP_STATUSES
    ).count()


def message_history(message_id: int):
    """A message's status changes, oldest first."""
    return Message.objects.get(pk=message_id).status_changes.order_by("at", "id")
