"""Consent and unsubscribing: give or withdraw a channel's marketing consent, the signed unsubscribe link,
and STOP replies.

One truth: for email and SMS the consent IS `Customer.consent_email` / `consent_sms`; messaging changes
them only through `customers.services.customer_consent_set`, which publishes ConsentChanged inside its
transaction, and messaging.subscribers records the history row in that same transaction. The messenger
channel has no column on Customer yet, so its consent lives only in the history (written here).
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from customers.events import ConsentSource
from customers.exceptions import InvalidPhone
from customers.models import Customer
from customers.rules import phone_normalize
from customers.services import CONSENT_FIELDS, customer_consent_set

from .. import rules
from ..exceptions import InvalidUnsubscribeLink, UnknownChannel
from ..models import Channel, ConsentChange
from ..selectors import consent_latest

UNSUBSCRIBE_SALT = "messaging.unsubscribe"


def consent_set(
    *,
    customer_id: int,
    channel: str,
    granted: bool,
    source: str,
    actor: Any = None,
    origin: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Give (`granted`) or withdraw the customer's marketing consent for `channel`; `source` a
    customers.events.ConsentSource value (how). Audited (`customer.consent`) and recorded in the consent
    history in one transaction. Returns True when it changed, False when it already was so. Raises
    UnknownChannel, Customer.DoesNotExist."""
    if channel not in Channel.values:
        raise UnknownChannel(_("Unknown channel “%(channel)s”.") % {"channel": channel})
    if channel in CONSENT_FIELDS:
        return customer_consent_set(
            customer_id=customer_id, channel=channel, granted=granted, source=source,
            actor=actor, origin=origin, note=note, now=now,
        )  # fmt: skip
    now = now or timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        latest = consent_latest(customer_id=customer_id, channel=channel)
        old = bool(latest and latest.granted)
        if old == bool(granted):
            return False
        ConsentChange.objects.create(
            customer=customer, channel=channel, granted=bool(granted), source=source, at=now,
            actor=actor if getattr(actor, "is_authenticated", False) else None, origin=origin[:100], note=note[:200],
        )  # fmt: skip
        audit_record(
            action=AuditAction.CUSTOMER_CONSENT,
            obj=customer,
            summary=_("Marketing consent of %(name)s changed: %(fields)s") % {"name": customer.name, "fields": channel},
            actor=actor,
            origin=origin,
            changes={f"consent_{channel}": [old, bool(granted)], "source": str(source)},
            at=now,
        )
    return True


def unsubscribe_token(*, customer_id: int, channel: str) -> str:
    """A signed token naming the customer and the channel (django.core.signing with SECRET_KEY; it does
    not expire: an unsubscribe link in an old email must still work)."""
    return signing.dumps([customer_id, channel], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, customer_id: int, channel: str) -> str:
    """The absolute one-click unsubscribe link (MESSAGING_SITE_URL + /messaging/unsubscribe/<token>/)."""
    path = reverse("messaging:unsubscribe", args=[unsubscribe_token(customer_id=customer_id, channel=channel)])
    return settings.MESSAGING_SITE_URL.rstrip("/") + path


def unsubscribe_token_read(token: str) -> tuple[Customer, str]:
    """The customer and channel a token names. Raises InvalidUnsubscribeLink for a token not signed by
    this site (or altered), or naming a customer or channel that does not exist."""
    try:
        customer_id, channel = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidUnsubscribeLink() from error
    if channel not in Channel.values or not isinstance(customer_id, int):
        raise InvalidUnsubscribeLink()
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise InvalidUnsubscribeLink()
    return customer, channel


def unsubscribe_by_link(*, token: str, now: dt.datetime | None = None) -> tuple[Customer, str]:
    """The customer followed an unsubscribe link (and confirmed, or their mail client sent the RFC 8058
    one-click POST): withdraw their consent for the link's channel (source "link", origin "link"; no
    user). Idempotent. Returns (customer, channel). Raises InvalidUnsubscribeLink."""
    customer, channel = unsubscribe_token_read(token)
    consent_set(
        customer_id=customer.pk, channel=channel, granted=False, source=ConsentSource.LINK, origin="link", now=now
    )
    return customer, channel


def inbound_reply(*, channels: list[str], sender: str, text: str, provider: str, now: dt.datetime | None = None) -> int:
    """A reply came in from `sender` (a phone in any format) through `provider`: a STOP word (rules.is_stop)
    withdraws the sender's consent for each of `channels` (source "stop", origin "provider:<name>", the
    reply kept as the note). A STOP is recorded even where there was no marketing consent to withdraw,
    because it stops service notices on the channel too (outbox._skip_reason); a repeated STOP writes
    nothing. Other replies are ignored. Returns how many channels were stopped; an unknown or unreadable
    number stops nothing."""
    if not rules.is_stop(text):
        return 0
    try:
        phone = phone_normalize(sender)
    except InvalidPhone:
        return 0
    customer = Customer.objects.filter(phone=phone).first()
    if customer is None:
        return 0
    now = now or timezone.now()
    origin, note = f"provider:{provider}", text.strip()[:200]
    stopped = 0
    for channel in channels:
        with transaction.atomic():
            if consent_set(
                customer_id=customer.pk, channel=channel, granted=False, source=ConsentSource.STOP,
                origin=origin, note=note, now=now,
            ):  # fmt: skip
                stopped += 1
                continue
            Customer.objects.select_for_update().get(pk=customer.pk)
            latest = consent_latest(customer_id=customer.pk, channel=channel)
            if latest is not None and not latest.granted and latest.source == ConsentSource.STOP:
                continue  # stopped already
            # No consent to withdraw, but the STOP must be on record: it stops service notices too.
            ConsentChange.objects.create(
                customer=customer, channel=channel, granted=False, source=ConsentSource.STOP, at=now,
                origin=origin, note=note,
            )  # fmt: skip
            audit_record(
                action=AuditAction.CUSTOMER_CONSENT,
                obj=customer,
                summary=_("Marketing consent of %(name)s changed: %(fields)s")
                % {"name": customer.name, "fields": channel},
                origin=origin,
                changes={f"consent_{channel}": [False, False], "source": str(ConsentSource.STOP)},
                at=now,
            )
            stopped += 1
    return stopped
