"""Reads for messaging: a customer's consent and address per channel, recent marketing messages."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from customers.events import ConsentSource
from customers.models import Customer

from .models import Channel, ConsentChange, Message, NoticeKind, NoticeSetting

# Consent withdrawn by the customers themselves: the skip reason is "unsubscribed", not "no consent".
UNSUBSCRIBE_SOURCES = (ConsentSource.LINK, ConsentSource.STOP)
# Statuses that count towards the frequency cap: everything that went out or will go out.
CAP_STATUSES = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT, Message.Status.DELIVERED)


# A notice's settings until someone changes them: the account notices on, the marketing ones off (a shop
# chooses to nudge its customers); SMS first, then email.
NOTICE_DEFAULTS = {
    NoticeKind.POINTS_EARNED: {"enabled": True},
    NoticeKind.POINTS_BURNING: {"enabled": True, "days_before": 7},
    NoticeKind.TIER_UPGRADE: {"enabled": True},
    NoticeKind.TIER_AT_RISK: {"enabled": False, "days_before": 7},
    NoticeKind.BALANCE_REMINDER: {"enabled": False, "idle_days": 60, "min_balance": 100},
}
NOTICE_DEFAULT_CHANNELS = ["sms", "email"]


def notice_settings() -> dict[str, NoticeSetting]:
    """Every built-in notice's settings by kind, in NoticeKind's order; a kind without its row gets one
    with NOTICE_DEFAULTS (inserted, ignoring a concurrent insert of the same kind)."""
    rows = {row.kind: row for row in NoticeSetting.objects.all()}
    missing = [kind for kind in NoticeKind.values if kind not in rows]
    if missing:
        NoticeSetting.objects.bulk_create(
            [
                NoticeSetting(kind=kind, channels=list(NOTICE_DEFAULT_CHANNELS), **NOTICE_DEFAULTS[kind])
                for kind in missing
            ],
            ignore_conflicts=True,
        )
        rows = {row.kind: row for row in NoticeSetting.objects.all()}
    return {kind: rows[kind] for kind in NoticeKind.values}


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


# The customer page shows this many of a customer's latest messages (the rest: the outbox, filtered).
CUSTOMER_PAGE_MESSAGES = 20


def outbox_list() -> QuerySet[Message]:
    """Every message, newest first (queued at, then id), with its customer, for the console's outbox;
    the console's MessageFilter narrows it."""
    return Message.objects.select_related("customer").order_by("-created_at", "-id")


def message_for_console(message_id: int) -> Message | None:
    """A message with its customer and its status changes (oldest first, prefetched), or None."""
    return Message.objects.select_related("customer").prefetch_related("status_changes").filter(pk=message_id).first()


def customer_messages_latest(customer_id: int, limit: int = CUSTOMER_PAGE_MESSAGES) -> list[Message]:
    """The customer's latest `limit` messages, newest first."""
    return list(Message.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class ChannelConsent:
    """A channel's current marketing consent for a customer and its history (newest first)."""

    channel: str
    label: str
    granted: bool
    history: list[ConsentChange]


def customer_consents(customer: Customer) -> list[ChannelConsent]:
    """Per channel (email, SMS, messenger, in that order): whether `customer` has given marketing consent
    now (consent_granted's rule) and every change of it, newest first, with who made it."""
    changes = list(ConsentChange.objects.filter(customer_id=customer.pk).select_related("actor").order_by("-at", "-id"))
    return [
        ChannelConsent(
            channel=channel,
            label=label,
            granted=consent_granted(customer=customer, channel=channel),
            history=[change for change in changes if change.channel == channel],
        )
        for channel, label in Channel.choices
    ]
