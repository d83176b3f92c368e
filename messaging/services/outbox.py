"""The outbox: queue a message (with every check that may hold or skip it), send it exactly once, and
take delivery reports. The states and their transitions are described in messaging.models."""

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from core.audit import AuditAction, audit_record
from customers.events import ConsentSource
from customers.models import Customer

from .. import rules
from ..channels import Outgoing, ProviderError, ProviderRejected, StatusReport, provider_for_channel
from ..exceptions import MessagingError, UnknownChannel
from ..models import STAFF_TEST_KIND, Channel, Message, MessageStatusChange
from ..selectors import UNSUBSCRIBE_SOURCES, address_for, consent_granted, consent_latest, marketing_count_since
from . import tracking
from .consent import unsubscribe_url

logger = logging.getLogger(__name__)

# Channels that keep quiet at night (issue #14: "no SMS at night"); email waits in the inbox anyway.
QUIET_CHANNELS = (Channel.SMS, Channel.MESSENGER)
SEND_TASK = "messaging.tasks.message_send_task"
BATCH_TASK = "messaging.tasks.message_send_batch_task"


def _status_change(message: Message, status: str, reason: str, at: dt.datetime) -> None:
    """Set `message.status` (the caller saves the message) and append its history row."""
    message.status = status
    MessageStatusChange.objects.create(message=message, status=status, reason=reason[:500], at=at)


def _skip_reason(*, customer: Customer, channel: str, purpose: str, address: str, now: dt.datetime, cap: bool) -> str:
    """Why a message may not go to `customer` on `channel` now ("" when it may), in this order:

    - the customer replied STOP on this channel (their latest consent row is a withdrawal by STOP):
      `unsubscribed`, for service notices too: STOP stops everything on the channel;
    - a marketing message (or a service notice when MESSAGING_SERVICE_NEEDS_CONSENT) without the
      channel's consent: `unsubscribed` when the customer withdrew it themselves (link or STOP), else
      `no_consent`;
    - no address for the channel: `no_address`;
    - with `cap`, a marketing message beyond MESSAGING_FREQUENCY_CAP_MESSAGES in the last
      MESSAGING_FREQUENCY_CAP_DAYS days (messages queued, being sent, sent or delivered count): `frequency_cap`.
    """
    latest = consent_latest(customer_id=customer.pk, channel=channel)
    withdrawn_by_customer = latest is not None and not latest.granted and latest.source in UNSUBSCRIBE_SOURCES
    if withdrawn_by_customer and latest.source == ConsentSource.STOP:
        return Message.SkipReason.UNSUBSCRIBED
    needs_consent = purpose == Message.Purpose.MARKETING or settings.MESSAGING_SERVICE_NEEDS_CONSENT
    if needs_consent and not consent_granted(customer=customer, channel=channel):
        return Message.SkipReason.UNSUBSCRIBED if withdrawn_by_customer else Message.SkipReason.NO_CONSENT
    if not address:
        return Message.SkipReason.NO_ADDRESS
    limit, days = settings.MESSAGING_FREQUENCY_CAP_MESSAGES, settings.MESSAGING_FREQUENCY_CAP_DAYS
    if cap and purpose == Message.Purpose.MARKETING and limit > 0:
        if marketing_count_since(customer_id=customer.pk, since=now - dt.timedelta(days=days)) >= limit:
            return Message.SkipReason.FREQUENCY_CAP
    return ""


def _quiet_release(channel: str, now: dt.datetime) -> dt.datetime | None:
    """When a message on `channel` due `now` may go if the shop's quiet hours hold it; else None."""
    if channel not in QUIET_CHANNELS:
        return None
    return rules.quiet_hours_release(
        now,
        start=settings.MESSAGING_QUIET_HOURS_START,
        end=settings.MESSAGING_QUIET_HOURS_END,
        zone=timezone.get_default_timezone(),
    )


def _hold(message: Message, release: dt.datetime, now: dt.datetime) -> None:
    message.next_attempt_at, message.dispatched_at = release, None
    message.held_reason = Message.HeldReason.QUIET_HOURS
    local = timezone.localtime(release)
    _status_change(message, Message.Status.QUEUED, f"held until {local:%Y-%m-%d %H:%M} (quiet hours)", now)


def message_queue(
    *,
    customer_id: int | None,
    channel: str,
    kind: str,
    purpose: str,
    text: str,
    subject: str = "",
    template: str = "",
    language: str = "",
    dedupe_key: str | None = None,
    defer: bool = False,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
    address: str = "",
) -> Message:
    """Put a rendered message for a customer in the outbox and, when it may go now, hand it to the worker.

    `channel` "email" | "sms" | "messenger"; `purpose` "marketing" | "service"; `kind` what it is about
    ("points_earned", "test"…); `text` (and `subject`, email) already rendered from `template` in
    `language` (default: the active language). The message is a row whatever happens:
    - `skipped` with its reason (no consent, unsubscribed, no address, frequency cap: see _skip_reason);
    - `queued` and held until the morning when an SMS or messenger message falls in the quiet hours
      (MESSAGING_QUIET_HOURS_START/END, the shop's TIME_ZONE), for the dispatcher to send then;
    - `queued`, and the send task (django-q2) is queued after the commit; with `defer` (for bulk: notices
      to thousands), no task of its own: it is due at once and the dispatcher sends it in a batch within
      a minute (one task per message costs the ORM broker more than the sending, bench/messaging_send.py).
    The customer row is locked for the transaction so that two messages queued at once count each other
    against the frequency cap. With `dedupe_key`, a second call with the same key returns the first
    message and queues nothing. Audited (`message.queue`) when a person (`actor`) queued it.

    A test a member of staff sends themselves (the console's "send a test to me") has no customer:
    `customer_id` None, kind STAFF_TEST_KIND, purpose service and the `address` (their email or E.164
    phone). The customer's checks (consent, cap, quiet hours: they protect customers) do not apply; no
    task is queued, the caller sends it at once with message_send, which tries it once and then blanks its
    address (staff's personal data is not kept; the audit row never holds it). Raises UnknownChannel,
    MessagingError (empty text, unknown purpose, a staff test without an address or of another kind),
    Customer.DoesNotExist."""
    if channel not in Channel.values:
        raise UnknownChannel(_("Unknown channel “%(channel)s”.") % {"channel": channel})
    if purpose not in Message.Purpose.values:
        raise MessagingError(_("Unknown purpose “%(purpose)s”.") % {"purpose": purpose}, field="purpose")
    if not text.strip():
        raise MessagingError(_("A message needs a text."), field="text")
    if customer_id is None and (kind != STAFF_TEST_KIND or purpose != Message.Purpose.SERVICE or not address):
        raise MessagingError(_("Only a service test with an address can go to no customer."), field="customer")
    now = now or timezone.now()
    try:
        return _queue(
            customer_id=customer_id, channel=channel, kind=kind, purpose=purpose, text=text, subject=subject,
            template=template, language=language, dedupe_key=dedupe_key, defer=defer, actor=actor, origin=origin,
            now=now, staff_address=address if customer_id is None else "",
        )  # fmt: skip
    except IntegrityError:
        # The same dedupe_key queued by a concurrent call that committed first: that call's message.
        earlier = Message.objects.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
        if earlier is None:
            raise
        return earlier


@transaction.atomic
def _queue(
    *,
    customer_id: int,
    channel: str,
    kind: str,
    purpose: str,
    text: str,
    subject: str,
    template: str,
    language: str,
    dedupe_key: str | None,
    defer: bool,
    actor: Any,
    origin: str,
    now: dt.datetime,
    staff_address: str = "",
) -> Message:
    """message_queue's transaction (see there)."""
    if dedupe_key:
        earlier = Message.objects.filter(dedupe_key=dedupe_key).first()
        if earlier is not None:
            return earlier
    customer = None if customer_id is None else Customer.objects.select_for_update().get(pk=customer_id)
    address = staff_address if customer is None else address_for(customer=customer, channel=channel)
    message = Message(
        customer=customer, channel=channel, kind=kind[:60], purpose=purpose, template=template[:100],
        language=(language or translation.get_language() or settings.LANGUAGE_CODE)[:10], subject=subject[:200],
        text=text, address=address, dedupe_key=dedupe_key or None, created_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    reason = (
        ""
        if customer is None
        else _skip_reason(customer=customer, channel=channel, purpose=purpose, address=address, now=now, cap=True)
    )
    message.status = Message.Status.SKIPPED if reason else Message.Status.QUEUED
    message.skip_reason = reason
    message.save()
    MessageStatusChange.objects.create(message=message, status=message.status, reason=reason or "queued", at=now)
    release = None if reason or customer is None else _quiet_release(channel, now)
    if release is not None:
        _hold(message, release, now)
        message.save(update_fields=["status", "next_attempt_at", "held_reason", "updated_at"])
    if getattr(actor, "is_authenticated", False):
        audit_record(
            action=AuditAction.MESSAGE_QUEUE,
            obj=message,
            summary=_("Message %(kind)s by %(channel)s to %(name)s: %(status)s")
            % {
                "kind": kind, "channel": channel, "status": message.status,
                "name": customer.name if customer else _("themselves (a test)"),
            },
            actor=actor,
            origin=origin,
            changes={
                "customer": customer.pk if customer else None, "message": message.pk, "channel": channel,
                "kind": kind, "status": reason or message.status,
            },
            at=now,
        )  # fmt: skip
    if message.status == Message.Status.QUEUED and release is None and customer is not None:
        if defer:
            message.next_attempt_at = now
            message.save(update_fields=["next_attempt_at", "updated_at"])
        else:
            transaction.on_commit(lambda: async_task(SEND_TASK, message.pk))
    return message


def _outgoing(message: Message) -> Outgoing:
    """The message as the provider sends it: each stored link (`message.links`) replaced by its tracked
    address (tracking.click_url); a marketing email gets its unsubscribe link (in the text, in the
    customer's language, and as the RFC 8058 List-Unsubscribe / List-Unsubscribe-Post headers), which is
    not tracked; an email gets an HTML part too (the text escaped, its links clickable, the open pixel)."""
    positions = {link: index for index, link in enumerate(message.links or [])}

    def tracked(link: str) -> str | None:
        return tracking.click_url(message.pk, positions[link]) if link in positions else None

    text, headers = rules.links_replace(message.text, tracked), {}
    footer = ""
    if message.channel == Channel.EMAIL and message.purpose == Message.Purpose.MARKETING:
        url = unsubscribe_url(customer_id=message.customer_id, channel=message.channel, message_id=message.pk)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        with translation.override(message.language):
            footer = "\n\n--\n" + _("Unsubscribe: %(url)s") % {"url": url}
    html = ""
    if message.channel == Channel.EMAIL:
        body = rules.text_to_html(message.text + footer, lambda link: tracked(link) or link)
        pixel = tracking.open_url(message.pk)
        html = (
            f'<!doctype html>\n<html lang="{message.language}"><head><meta charset="utf-8"></head>\n<body>\n'
            f"<div>{body}</div>\n"
            f'<img src="{pixel}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">\n'
            "</body></html>\n"
        )
    return Outgoing(
        key=str(message.key), channel=message.channel, address=message.address, text=text + footer,
        subject=message.subject, headers=headers, html=html,
    )  # fmt: skip


def _notice_render(message: Message, now: dt.datetime) -> bool:
    """Render a notice queued in bulk without its text (messaging.services.notices) into `message`."""
    from .notices import notice_render  # notices build on the outbox: imported here, not at the top

    return notice_render(message, now=now)


def _claim(message_id: int, now: dt.datetime) -> Message | None:
    """Move a due message from `queued` (or from a `sending` whose claim expired: its worker died or timed
    out) to `sending`, in one transaction under the row's lock, after checking again that it may go
    (consent may have been withdrawn since it was queued; it may be night now). A notice queued in bulk
    gets its text here, rendered from its template and values (failed when the template is gone). Returns the claimed
    message, or None when there is nothing to send: another worker holds it, it is not due, it was sent,
    or it was just skipped or held."""
    stale = now - dt.timedelta(seconds=settings.MESSAGING_CLAIM_SECONDS)
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer")
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return None
        due = message.next_attempt_at is None or message.next_attempt_at <= now
        if message.status == Message.Status.QUEUED and due:
            note = ""
        elif message.status == Message.Status.SENDING and message.claimed_at and message.claimed_at <= stale:
            note = " (the previous attempt did not finish)"
        else:
            return None
        staff = message.customer is None  # a staff test: its own address, none of a customer's checks
        if not staff:
            message.address = address_for(customer=message.customer, channel=message.channel)
        reason = "" if staff else _skip_reason(
            customer=message.customer, channel=message.channel, purpose=message.purpose,
            address=message.address, now=now, cap=False,
        )  # fmt: skip
        if reason:
            message.skip_reason, message.next_attempt_at, message.held_reason = reason, None, ""
            message.dispatched_at = None
            _status_change(message, Message.Status.SKIPPED, reason, now)
            message.save()
            return None
        release = None if staff else _quiet_release(message.channel, now)
        if release is not None:
            _hold(message, release, now)
            message.save()
            return None
        try:
            provider = provider_for_channel(message.channel)
        except KeyError:
            provider = None
        if provider is None or (note and message.attempts >= settings.MESSAGING_MAX_ATTEMPTS):
            # Misconfigured, or its last attempt never finished: retrying would never end.
            error = "no provider configured for the channel" if provider is None else "the last attempt did not finish"
            message.error, message.failed_at, message.next_attempt_at = error, now, None
            if staff:
                message.address = ""
            _status_change(message, Message.Status.FAILED, error, now)
            message.save()
            return None
        if not message.text and not _notice_render(message, now):
            error = "no template for the notice on its channel in its language"
            message.error, message.failed_at, message.next_attempt_at = error, now, None
            _status_change(message, Message.Status.FAILED, error, now)
            message.save()
            return None
        message.attempts += 1
        message.links = tracking.links_tracked(message.text)
        message.claimed_at, message.dispatched_at = now, None
        message.provider = provider.name
        _status_change(message, Message.Status.SENDING, f"attempt {message.attempts}{note}", now)
        message.save()
        return message


def message_send(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one message once (the django-q2 task's body). Returns the message's status after this call
    ("" when it does not exist).

    Exactly once: the message is claimed (`queued` → `sending`, _claim) before the provider is called, so
    a retried or duplicated task finds nothing to claim; a message `sent` is never sent again; and the
    provider gets the message's own key, so that if a worker dies after the provider accepted but before
    `sent` was stored, the next claim (after MESSAGING_CLAIM_SECONDS) sends the same key and the provider
    recognises it. The outcome is stored only if this worker's claim still stands:
    - accepted: `sent` with the provider's id;
    - ProviderRejected, or an error on the last of MESSAGING_MAX_ATTEMPTS: `failed` with the error;
    - another error: `queued` again, next attempt after MESSAGING_RETRY_SECONDS × 2^(attempts−1).
    `now` fixes the clock (tests); otherwise each step reads it."""
    message = _claim(message_id, now or timezone.now())
    if message is None:
        return Message.objects.filter(pk=message_id).values_list("status", flat=True).first() or ""
    claim = message.claimed_at
    provider = provider_for_channel(message.channel)
    provider_id, error, permanent = "", "", False
    try:
        provider_id = provider.send(_outgoing(message))
    except ProviderRejected as rejected:
        error, permanent = str(rejected), True
    except ProviderError as failure:
        error = str(failure)
    except Exception as failure:  # a bug in a provider must not leave the message claimed forever
        logger.exception("provider %s raised for message %s", provider.name, message_id)
        error = f"provider {provider.name} raised {type(failure).__name__}"
    at = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != Message.Status.SENDING or message.claimed_at != claim:
            # A webhook already reported it, or another worker took it over: keep what they wrote.
            if provider_id and not message.provider_message_id:
                message.provider_message_id = provider_id
                message.save(update_fields=["provider_message_id", "updated_at"])
            return message.status
        if provider_id:
            message.provider_message_id, message.sent_at = provider_id, at
            message.error, message.held_reason, message.next_attempt_at = "", "", None
            _status_change(message, Message.Status.SENT, f"accepted by {provider.name}", at)
        elif permanent or message.attempts >= settings.MESSAGING_MAX_ATTEMPTS or message.customer_id is None:
            message.error, message.failed_at, message.next_attempt_at, message.held_reason = error[:500], at, None, ""
            _status_change(message, Message.Status.FAILED, error, at)
        else:
            delay = rules.retry_delay_seconds(message.attempts, base=settings.MESSAGING_RETRY_SECONDS)
            message.error, message.held_reason = error[:500], Message.HeldReason.RETRY
            message.next_attempt_at = at + dt.timedelta(seconds=delay)
            _status_change(message, Message.Status.QUEUED, f"{error}; retry in {delay} s", at)
        if message.customer_id is None:
            message.address = ""  # a staff test is tried once: its address (personal data) is not kept
        message.save()
        return message.status


def outbox_dispatch(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Hand the messages that are due to send tasks, in batches (the every-minute job; also how messages
    queued with `defer` go out): retries and quiet-hours holds whose time has come, deferred messages,
    messages whose first task was lost (queued more than MESSAGING_CLAIM_SECONDS ago), and claims that
    expired. At most `limit` (MESSAGING_DISPATCH_LIMIT), the longest waiting first, in tasks of
    MESSAGING_DISPATCH_BATCH messages. The picked rows are marked `dispatched_at` in one UPDATE (under
    SKIP LOCKED, so two dispatchers never pick the same row), and a later run leaves them alone until a
    task claims them or MESSAGING_CLAIM_SECONDS pass; a task run twice is harmless anyway (only one
    claims a message). A `now` given (tests, a replay) is passed on to the tasks as their clock.
    Returns the ids handed out."""
    clock = {"now": now} if now is not None else {}
    now = now or timezone.now()
    limit = limit or settings.MESSAGING_DISPATCH_LIMIT
    stale = now - dt.timedelta(seconds=settings.MESSAGING_CLAIM_SECONDS)
    with transaction.atomic():
        due = (
            Message.objects.filter(
                Q(status=Message.Status.QUEUED, next_attempt_at__lte=now)
                | Q(status=Message.Status.QUEUED, next_attempt_at__isnull=True, created_at__lte=stale)
                | Q(status=Message.Status.SENDING, claimed_at__lte=stale)
            )
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=stale))
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        ids = list(due)
        Message.objects.filter(pk__in=ids).update(dispatched_at=now)
    size = settings.MESSAGING_DISPATCH_BATCH
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]
    for batch in batches:
        async_task(BATCH_TASK, batch, **clock)
    return ids


def message_status_report(*, provider: str, report: StatusReport, now: dt.datetime | None = None) -> Message | None:
    """Apply a provider's delivery report (from its verified webhook) to the message it names (by our key
    or the provider's id, among the messages of `provider`): `delivered` from sending/sent, `failed`
    (with the provider's error) from sending/sent. A report about a message in another state changes
    nothing (a late or repeated report). Returns the message, None when no message of `provider` matches."""
    now = now or timezone.now()
    lookup = Q(provider_message_id=report.provider_message_id) if report.provider_message_id else Q(pk__in=[])
    if report.key:
        try:
            lookup |= Q(key=uuid.UUID(report.key))
        except ValueError:  # not a UUID: names no message of ours
            pass
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(lookup, provider=provider).order_by("id").first()
        if message is None:
            return None
        if message.status not in (Message.Status.SENDING, Message.Status.SENT):
            return message
        if report.status == "delivered":
            message.delivered_at = now
            _status_change(message, Message.Status.DELIVERED, "delivery report", now)
        else:
            message.failed_at, message.error = now, (report.error or "delivery failed")[:500]
            _status_change(message, Message.Status.FAILED, f"delivery report: {message.error}", now)
        message.save()
        return message
