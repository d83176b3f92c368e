"""Reads for messaging: a customer's consent and address per channel, recent marketing messages, the
outbox for the console, and the per-kind results of messages."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value

from customers.events import ConsentSource
from customers.models import Customer
from loyalty.models import Purchase

from .models import Channel, ConsentChange, Message

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
                "opened_at": m.opened_at.isoformat() if m.opened_at else None,
                "opens": m.open_count,
                "clicked_at": m.clicked_at.isoformat() if m.clicked_at else None,
                "clicks": m.click_count,
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


# --- per-kind results (docs/messaging.md, "Results by kind") ----------------------------------------

# A purchase counts for a message when it was made within this long after the message was sent.
PURCHASE_WINDOW = dt.timedelta(days=7)
_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class KindResults:
    """The results of the messages of one kind on one channel (`channel` "" for all the kind's channels
    together; `kind` "" too for every message) queued in a period; every figure is defined in
    docs/messaging.md. `opened` is None for a row without email (SMS and messengers have no pixel)."""

    kind: str
    channel: str
    queued: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    opened: int | None
    clicked: int
    unsubscribed: int
    buyers: int
    purchases: int
    revenue: Decimal

    def rate(self, figure: str) -> Decimal | None:
        """`figure` (a count field's name) ÷ `sent`, to 4 places (0.5000 = 50 %); None when nothing was sent
        or the figure does not apply."""
        value = getattr(self, figure)
        if not self.sent or value is None:
            return None
        return (Decimal(value) / self.sent).quantize(Decimal("0.0001"))


def message_results(*, since: dt.datetime, until: dt.datetime) -> list[KindResults]:
    """The results of the messages queued in [since, until) (`created_at`; aware datetimes), per kind and
    channel, ordered by kind then channel; after a kind's rows, its all-channels row when it went on more
    than one channel; last, the row of every message (kind ""); [] when none was queued. Set-based, two
    statements whatever the number of messages: the messages' counts per kind and channel (they add up to
    the kinds' and the total's), and the purchases within PURCHASE_WINDOW after a message (which do not
    add up: a purchase following an email and an SMS of a kind counts once for the kind). Definitions:
    docs/messaging.md, "Results by kind"."""
    by_channel = {(row["kind"], row["channel"]): row for row in _message_counts(since, until)}
    by_kind: dict[str, dict] = {}
    for (kind, _channel), row in by_channel.items():
        by_kind[kind] = _added(by_kind.get(kind), row)
    total = None
    for row in by_kind.values():
        total = _added(total, row)
    buyers = _purchases_after(since, until)
    results = []
    for kind in sorted(by_kind):
        channels = sorted(channel for k, channel in by_channel if k == kind)
        for channel in channels:
            results.append(_results(by_channel[(kind, channel)], buyers.get((2, kind, channel)), kind, channel))
        if len(channels) > 1:
            results.append(_results(by_kind[kind], buyers.get((1, kind, "")), kind, ""))
    if total is not None:
        results.append(_results(total, buyers.get((0, "", "")), "", ""))
    return results


COUNTS = ("queued", "sent", "delivered", "failed", "skipped", "emails", "opened", "clicked", "unsubscribed")


def _added(total: dict | None, row: dict) -> dict:
    """The message counts of `total` plus those of `row` (every message is in one kind and channel)."""
    return {name: (total or {}).get(name, 0) + row[name] for name in COUNTS}


def _results(row: dict, bought: tuple[int, int, Decimal] | None, kind: str, channel: str) -> KindResults:
    buyers, purchases, revenue = bought or (0, 0, Decimal("0.00"))
    return KindResults(
        kind=kind, channel=channel, queued=row["queued"], sent=row["sent"], delivered=row["delivered"],
        failed=row["failed"], skipped=row["skipped"], opened=row["opened"] if row["emails"] else None,
        clicked=row["clicked"], unsubscribed=row["unsubscribed"], buyers=buyers, purchases=purchases,
        revenue=revenue,
    )  # fmt: skip


def _message_counts(since: dt.datetime, until: dt.datetime) -> list[dict]:
    """The counts (COUNTS) of the messages queued in [since, until) per kind and channel: one grouped query."""
    withdrawn = ConsentChange.objects.filter(message=OuterRef("pk"), granted=False)
    cohort = Message.objects.filter(created_at__gte=since, created_at__lt=until).annotate(unsubscribe=Exists(withdrawn))
    counts = {
        "queued": Count("pk"),
        "sent": Count("pk", filter=Q(sent_at__isnull=False)),
        "delivered": Count("pk", filter=Q(delivered_at__isnull=False)),
        "failed": Count("pk", filter=Q(status=Message.Status.FAILED)),
        "skipped": Count("pk", filter=Q(status=Message.Status.SKIPPED)),
        "emails": Count("pk", filter=Q(channel=Channel.EMAIL)),
        "opened": Count("pk", filter=Q(channel=Channel.EMAIL, opened_at__isnull=False)),
        "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
        "unsubscribed": Count("pk", filter=Q(unsubscribe=True)),
    }
    return list(cohort.order_by().values("kind", "channel").annotate(**counts))


def _purchases_after(since: dt.datetime, until: dt.datetime) -> dict[tuple[int, str, str], tuple[int, int, Decimal]]:
    """(buyers, purchases, revenue) keyed by (level, kind, channel): level 2 per kind and channel, 1 per
    kind (channel ""), 0 for all (kind and channel ""). The counted purchases (net of every refund recorded
    so far, above zero) made in [sent_at, sent_at + PURCHASE_WINDOW) of a sent message queued in [since,
    until), each purchase once per row however many of the row's messages it follows. One statement: the
    distinct (kind, channel, purchase) pairs of a join of purchases and their customers' messages (a CTE),
    grouped at each level after removing the duplicates the level merges."""
    pairs = (
        Purchase.objects.filter(
            customer__messages__created_at__gte=since,
            customer__messages__created_at__lt=until,
            customer__messages__sent_at__isnull=False,
            created_at__gte=F("customer__messages__sent_at"),
            created_at__lt=F("customer__messages__sent_at") + Value(PURCHASE_WINDOW),
            amount__gt=F("refunded_amount"),
        )
        .annotate(
            g_kind=F("customer__messages__kind"),
            g_channel=F("customer__messages__channel"),
            purchase_id=F("pk"),
            buyer_id=F("customer_id"),
            net=ExpressionWrapper(F("amount") - F("refunded_amount"), output_field=_MONEY),
        )
        .order_by()
        .values("g_kind", "g_channel", "purchase_id", "buyer_id", "net")
        .distinct()
    )
    sql, params = pairs.query.sql_with_params()
    figures = "COUNT(DISTINCT buyer_id), COUNT(*), SUM(net)"
    # Only this function's own column names go into the text; every value is a parameter of the CTE.
    statement = (
        f"WITH pairs AS ({sql}) "  # noqa: S608
        f"SELECT 2, g_kind, g_channel, {figures} FROM pairs GROUP BY g_kind, g_channel "
        f"UNION ALL SELECT 1, g_kind, '', {figures} FROM "
        "(SELECT DISTINCT g_kind, purchase_id, buyer_id, net FROM pairs) by_kind GROUP BY g_kind "
        f"UNION ALL SELECT 0, '', '', {figures} FROM (SELECT DISTINCT purchase_id, buyer_id, net FROM pairs) everything"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return {
        (level, kind, channel): (buyers, count, _money(revenue))
        for level, kind, channel, buyers, count, revenue in rows
        if count
    }


def _money(value) -> Decimal:
    """A sum of money as the database returns it: a Decimal (PostgreSQL), a float (SQLite, which has no
    decimal type), or None for no rows; to 2 places."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))
