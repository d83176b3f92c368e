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


def customer_messaging_data(customer_id: int) -> dict:
    """Everything messaging holds about a person, JSON-able, for the export of their personal data: the
    consent history and every message (with the address and text it went with), oldest first."""
    consents = ConsentChange.objects.filter(customer_id=customer_id).order_by("at", "id")
    messages = Message.objects.filter(customer_id=customer_id).order_by("created_at", "id")
    return {
        "consents": [
            {
                "channel": c.channel,
                "given": c.granted,
                "how": c.source,
                "at": c.at.isoformat(),
                "origin": c.origin,
                "note": c.note,
            }
            for c in consents
        ],
        "messages": [
            {
                "id": m.pk,
                "channel": m.channel,
                "kind": m.kind,
                "purpose": m.purpose,
                "status": m.status,
                "skip_reason": m.skip_reason,
                "address": m.address,
                "subject": m.subject,
                "text": m.text,
                "queued_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None,
            }
            for m in messages
        ],
    }
