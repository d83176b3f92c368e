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
from ..models import Channel, ConsentChange, Message
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
    message_id: int | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Give (`granted`) or withdraw the customer's marketing consent for `channel`; `source` a
    customers.events.ConsentSource value (how); `message_id` the message it came through (its unsubscribe
    link; the message a STOP answered), kept on the history row for the per-kind results. Audited
    (`customer.consent`) and recorded in the consent history in one transaction. Returns True when it
    changed, False when it already was so. Raises UnknownChannel, Customer.DoesNotExist."""
    if channel not in Channel.values:
        raise UnknownChannel(_("Unknown channel “%(channel)s”.") % {"channel": channel})
    if channel in CONSENT_FIELDS:
        with transaction.atomic():
            changed = customer_consent_set(
                customer_id=customer_id, channel=channel, granted=granted, source=source,
                actor=actor, origin=origin, note=note, now=now,
            )  # fmt: skip
            if changed and message_id is not None:
                # The row customers' event just wrote: the newest of the channel (the customer's row is locked
                # by this transaction, so no other change can come between).
                written = ConsentChange.objects.filter(customer_id=customer_id, channel=channel).order_by("-id")
                ConsentChange.objects.filter(pk=written.values("pk")[:1]).update(message_id=message_id)
        return changed
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
            message_id=message_id,
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


def unsubscribe_token(*, customer_id: int, channel: str, message_id: int | None = None) -> str:
    """A signed token naming the customer, the channel and (when given) the message that carried the link
    (django.core.signing with SECRET_KEY; it does not expire: an unsubscribe link in an old email must
    still work)."""
    payload = [customer_id, channel] if message_id is None else [customer_id, channel, message_id]
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, customer_id: int, channel: str, message_id: int | None = None) -> str:
    """The absolute one-click unsubscribe link (MESSAGING_SITE_URL + /messaging/unsubscribe/<token>/)."""
    token = unsubscribe_token(customer_id=customer_id, channel=channel, message_id=message_id)
    return settings.MESSAGING_SITE_URL.rstrip("/") + reverse("messaging:unsubscribe", args=[token])


def _unsubscribe_payload(token: str) -> tuple[Customer, str, int | None]:
    """(customer, channel, message id or None) of a token; InvalidUnsubscribeLink as unsubscribe_token_read.
    Tokens made before the message was named in them hold only (customer id, channel)."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        customer_id, channel, *rest = payload
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidUnsubscribeLink() from error
    message_id = rest[0] if len(rest) == 1 and isinstance(rest[0], int) else None
    if channel not in Channel.values or not isinstance(customer_id, int) or len(rest) > 1:
        raise InvalidUnsubscribeLink()
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise InvalidUnsubscribeLink()
    return customer, channel, message_id


def unsubscribe_token_read(token: str) -> tuple[Customer, str]:
    """The customer and channel a token names. Raises InvalidUnsubscribeLink for a token not signed by
    this site (or altered), or naming a customer or channel that does not exist."""
    customer, channel, _message_id = _unsubscribe_payload(token)
    return customer, channel


def unsubscribe_by_link(*, token: str, now: dt.datetime | None = None) -> tuple[Customer, str]:
    """The customer followed an unsubscribe link (and confirmed, or their mail client sent the RFC 8058
    one-click POST): withdraw their consent for the link's channel (source "link", origin "link"; no
    user), the history row naming the message the link came in (when the token names one of the
    customer's messages). Idempotent. Returns (customer, channel). Raises InvalidUnsubscribeLink."""
    customer, channel, message_id = _unsubscribe_payload(token)
    if message_id is not None and not Message.objects.filter(pk=message_id, customer_id=customer.pk).exists():
        message_id = None
    consent_set(
        customer_id=customer.pk, channel=channel, granted=False, source=ConsentSource.LINK, origin="link",
        message_id=message_id, now=now,
    )  # fmt: skip
    return customer, channel


def _message_answered(*, customer_id: int, channel: str, at: dt.datetime) -> int | None:
    """The message a STOP reply at `at` answers: the customer's latest message on `channel` sent (accepted
    by the provider) at or before `at`, by sent_at then id; None when there is none."""
    return (
        Message.objects.filter(customer_id=customer_id, channel=channel, sent_at__isnull=False, sent_at__lte=at)
        .order_by("-sent_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def inbound_reply(*, channels: list[str], sender: str, text: str, provider: str, now: dt.datetime | None = None) -> int:
    """A reply came in from `sender` (a phone in any format) through `provider`: a STOP word (rules.is_stop)
    withdraws the sender's consent for each of `channels` (source "stop", origin "provider:<name>", the
    reply kept as the note, the history row naming the message it answers: _message_answered). A STOP is
    recorded even where there was no marketing consent to withdraw, because it stops service notices on the channel too (outbox._skip_reason); a repeated STOP writes
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
        answered = _message_answered(customer_id=customer.pk, channel=channel, at=now)
        with transaction.atomic():
            if consent_set(
                customer_id=customer.pk, channel=channel, granted=False, source=ConsentSource.STOP,
                origin=origin, note=note, message_id=answered, now=now,
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
                origin=origin, note=note, message_id=answered,
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
