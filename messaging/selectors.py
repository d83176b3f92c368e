"""Reads for messaging: a customer's consent and address per channel, recent marketing messages, the
templates of every kind, the channels' configuration as the app sees it, the outbox for the console, and
the per-kind results of messages."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formatting import ascii_digits
from customers.events import ConsentSource
from customers.models import Customer
from loyalty.models import Purchase

from . import rules
from .models import STAFF_TEST_KIND, Channel, ConsentChange, Message, MessageTemplate, NoticeKind, NoticeSetting

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
    return (
        Message.objects.select_related("customer", "created_by")
        .prefetch_related("status_changes")
        .filter(pk=message_id)
        .first()
    )


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


# --- templates ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSlot:
    """One kind × channel × language: its template, or None when there is none yet."""

    kind: str
    channel: str
    language: str
    template: MessageTemplate | None


@dataclass(frozen=True)
class TemplateKindRow:
    """A kind on a channel, with one slot per language of settings.LANGUAGES (in their order)."""

    kind: str
    kind_label: str
    channel: str
    channel_label: str
    slots: list[TemplateSlot] = field(default_factory=list)


def kind_label(kind: str) -> str:
    """A message's kind as a reader sees it, in the active language: a built-in notice's label
    (NoticeKind, e.g. "Points earned" for points_earned), "Staff test" for the console's test
    (STAFF_TEST_KIND), a campaign's messages ("campaign:5") as "Campaign #5", any other kind as it is. No
    database access (messaging may not read campaigns: the number is the campaign's id)."""
    if kind == STAFF_TEST_KIND:
        return _("Staff test")
    labels = dict(NoticeKind.choices)
    if kind in labels:
        return str(labels[kind])
    prefix, _sep, number = kind.partition(":")
    if prefix == "campaign" and ascii_digits(number):  # campaigns.Campaign.message_kind: "campaign:<id>"
        return _("Campaign #%(id)s") % {"id": number}
    return kind


def template_kinds() -> list[tuple[str, str]]:
    """(code, label) of every kind a template may be written for: the built-in notices (NoticeKind, in
    their order), then any other kind that has a template (a campaign's code), alphabetically."""
    built_in = list(NoticeKind.choices)
    known = {code for code, _label in built_in}
    others = MessageTemplate.objects.exclude(kind__in=known).values_list("kind", flat=True).distinct().order_by("kind")
    return built_in + [(kind, kind_label(kind)) for kind in others]


def templates_overview() -> list[TemplateKindRow]:
    """Every kind (template_kinds) × channel (Channel's order), each with a slot per language telling
    whether a template exists and who changed it last, when. Two queries."""
    templates = {
        (t.kind, t.channel, t.language): t for t in MessageTemplate.objects.select_related("updated_by").order_by()
    }
    rows = []
    for kind, kind_label in template_kinds():
        for channel, channel_label in Channel.choices:
            slots = [
                TemplateSlot(kind, channel, language, templates.get((kind, channel, language)))
                for language, _name in settings.LANGUAGES
            ]
            rows.append(TemplateKindRow(kind, str(kind_label), channel, str(channel_label), slots))
    return rows


def template_get(*, kind: str, channel: str, language: str) -> MessageTemplate | None:
    """The template of `kind` on `channel` in `language`, with who changed it last, or None."""
    return (
        MessageTemplate.objects.select_related("updated_by")
        .filter(kind=kind, channel=channel, language=language)
        .first()
    )


# --- channels as configured ---------------------------------------------------------------------------

# Option names whose values are secrets: shown only as "set" / "not set".
SECRET_OPTION_WORDS = ("SECRET", "TOKEN", "PASSWORD", "KEY", "AUTH")
# Email backends that deliver nothing (they print, keep in memory or drop the message).
EMAIL_BACKENDS_NOT_DELIVERING = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@dataclass(frozen=True)
class ChannelConfiguration:
    """A channel as the app will send it: `provider` (its configured name), `enabled` (a provider is
    configured and has what it needs to send), `delivers` (it reaches people: not a console or in-memory
    backend), `problem` (why not enabled, ""), and `rows` of (label, value) with secrets masked."""

    channel: str
    label: str
    provider: str
    enabled: bool
    delivers: bool
    problem: str
    rows: list[tuple[str, str]]


def _secret(value: object) -> str:
    return _("set (hidden)") if value else _("not set")


def _email_configuration() -> ChannelConfiguration:
    backend = settings.EMAIL_BACKEND
    rows = [(_("Email backend"), backend), (_("From address"), settings.DEFAULT_FROM_EMAIL)]
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        security = "SSL" if settings.EMAIL_USE_SSL else "STARTTLS" if settings.EMAIL_USE_TLS else _("none")
        rows += [
            (_("Mail server"), f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"),
            (_("User"), _secret(settings.EMAIL_HOST_USER)),
            (_("Password"), _secret(settings.EMAIL_HOST_PASSWORD)),
            (_("Encryption"), security),
        ]
    rows.append((_("Timeout"), _("%(n)s s") % {"n": settings.EMAIL_TIMEOUT}))
    return ChannelConfiguration(
        channel=Channel.EMAIL,
        label=str(Channel.EMAIL.label),
        provider="email",
        enabled=True,
        delivers=backend not in EMAIL_BACKENDS_NOT_DELIVERING,
        problem="",
        rows=rows,
    )


def _provider_configuration(channel: str, label: str) -> ChannelConfiguration:
    name = settings.MESSAGING_CHANNEL_PROVIDERS.get(channel, "")
    options = settings.MESSAGING_PROVIDERS.get(name) if name else None
    rows = [(_("Provider"), name or _("none"))]
    problem = ""
    if options is None:
        problem = (
            _("No provider is configured for this channel.")
            if not name
            else _("The provider “%(name)s” is not in MESSAGING_PROVIDERS.") % {"name": name}
        )
        return ChannelConfiguration(channel, label, name, False, False, problem, rows)
    backend = options.get("BACKEND", "")
    rows.append((_("Backend"), backend))
    for key, value in options.items():
        if key == "BACKEND":
            continue
        if any(word in key.upper() for word in SECRET_OPTION_WORDS):
            shown = _secret(value)
        elif key.upper() == "URL":
            shown = rules.url_mask(str(value or "")) or _("not set")
        else:
            shown = str(value)
        rows.append((key, shown))
    try:
        import_string(backend)
    except ImportError:
        problem = _("The provider's class “%(backend)s” cannot be loaded.") % {"backend": backend}
    if not problem and backend == "messaging.channels.http.HttpProvider":
        if not options.get("URL") or not options.get("SECRET"):
            problem = _("The HTTPS provider needs its URL and its secret (MESSAGING_HTTP_URL, MESSAGING_HTTP_SECRET).")
    delivers = backend != "messaging.channels.console.ConsoleProvider"
    return ChannelConfiguration(channel, label, name, not problem, delivers and not problem, problem, rows)


def channels_configuration() -> list[ChannelConfiguration]:
    """Each channel (email, SMS, messenger) as configured in settings (EMAIL_URL, DEFAULT_FROM_EMAIL,
    MESSAGING_CHANNEL_PROVIDERS, MESSAGING_PROVIDERS), secrets masked: passwords, secrets and tokens only
    as "set" / "not set", URLs through rules.url_mask. No query, no network."""
    configurations = [_email_configuration()]
    for channel in (Channel.SMS, Channel.MESSENGER):
        configurations.append(_provider_configuration(channel, str(channel.label)))
    return configurations


def sending_rules() -> list[tuple[str, str]]:
    """The rules in force for every channel, as (label, value) for the channel settings page: quiet hours,
    frequency cap, whether service notices need consent, attempts and retry delay."""
    start, end = settings.MESSAGING_QUIET_HOURS_START, settings.MESSAGING_QUIET_HOURS_END
    quiet = (
        _("none")
        if start == end
        else _("%(start)02d:00–%(end)02d:00 shop time (SMS and messenger wait until %(end)02d:00; email is not held)")
        % {"start": start, "end": end}
    )
    limit, days = settings.MESSAGING_FREQUENCY_CAP_MESSAGES, settings.MESSAGING_FREQUENCY_CAP_DAYS
    if limit:
        per_days = ngettext("%(days)s day", "%(days)s days", days) % {"days": days}
        cap = ngettext(
            "%(n)s marketing message per customer in %(per)s",
            "%(n)s marketing messages per customer in %(per)s",
            limit,
        ) % {"n": limit, "per": per_days}
    else:
        cap = _("no cap")
    return [
        (_("Quiet hours"), quiet),
        (_("Frequency cap (all channels)"), cap),
        (
            _("Service notices need marketing consent"),
            _("yes") if settings.MESSAGING_SERVICE_NEEDS_CONSENT else _("no"),
        ),
        (
            _("Attempts before a message fails"),
            str(settings.MESSAGING_MAX_ATTEMPTS),
        ),
        (
            _("First retry after"),
            _("%(n)s s, doubling each time") % {"n": settings.MESSAGING_RETRY_SECONDS},
        ),
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
    emails_sent: int = 0

    def rate(self, figure: str) -> Decimal | None:
        """`figure` (a count field's name) ÷ `sent`, to 4 places (0.5000 = 50 %); for `opened` ÷ the emails
        sent (`emails_sent`: only an email can be opened, so an SMS must not lower the rate); None when
        nothing (no email, for `opened`) was sent or the figure does not apply."""
        value = getattr(self, figure)
        sent = self.emails_sent if figure == "opened" else self.sent
        if not sent or value is None:
            return None
        return (Decimal(value) / sent).quantize(Decimal("0.0001"))


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


COUNTS = (
    "queued", "sent", "delivered", "failed", "skipped", "emails", "emails_sent", "opened", "clicked", "unsubscribed",
)  # fmt: skip


def _added(total: dict | None, row: dict) -> dict:
    """The message counts of `total` plus those of `row` (every message is in one kind and channel)."""
    return {name: (total or {}).get(name, 0) + row[name] for name in COUNTS}


def _results(row: dict, bought: tuple[int, int, Decimal] | None, kind: str, channel: str) -> KindResults:
    buyers, purchases, revenue = bought or (0, 0, Decimal("0.00"))
    return KindResults(
        kind=kind, channel=channel, queued=row["queued"], sent=row["sent"], delivered=row["delivered"],
        failed=row["failed"], skipped=row["skipped"], opened=row["opened"] if row["emails"] else None,
        clicked=row["clicked"], unsubscribed=row["unsubscribed"], buyers=buyers, purchases=purchases,
        revenue=revenue, emails_sent=row["emails_sent"],
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
        "emails_sent": Count("pk", filter=Q(channel=Channel.EMAIL, sent_at__isnull=False)),
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
