"""The outbox (every message is a row, with its status history) and the consent history.

A `Message` is written when something asks to speak to a customer, whether or not it may be sent: a
message that may not go out is a row too, `skipped` with its reason, so the outbox answers "why did
this customer hear nothing?". The states:

    queued ──claim──▶ sending ──provider accepted──▶ sent ──webhook──▶ delivered / failed
      ▲  │               │
      │  └─quiet hours: stays queued, next_attempt_at = the morning
      └──── provider error, attempts left (backoff) ───┘      provider error, none left ──▶ failed
    (at queueing or at sending) no consent / no address / unsubscribed / frequency cap ──▶ skipped

`sending` is the claim: the worker moves the row from `queued` to `sending` in one conditional UPDATE
before it calls the provider, so a second worker (a django-q2 retry after a timeout) finds nothing to
claim. Every change of status is a `MessageStatusChange` (when and why).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.events import ConsentSource


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    MESSENGER = "messenger", _("Messenger")


# The kind of the test a member of staff sends themselves from the console's channel settings: the only
# message without a customer.
STAFF_TEST_KIND = "test"


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class SkipReason(models.TextChoices):
        NO_CONSENT = "no_consent", _("No marketing consent")
        NO_ADDRESS = "no_address", _("No address for the channel")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")

    class HeldReason(models.TextChoices):
        # stored values are the English words of the first version, kept so that old rows read the same
        QUIET_HOURS = "quiet hours", _("quiet hours")
        RETRY = "retry", _("a retry after an error")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        SERVICE = "service", _("Service notice")

    # None only for a test a member of staff sends themselves (kind "test", the console's channel settings):
    # it goes to `address` (their email or a phone they typed), which is blanked once its attempt ends.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        db_index=False,  # indexed by messaging_message_cap (customer first): no index of its own per message
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # What the message is about: "points_earned", "points_burning", "tier_upgrade", "test", a campaign's code…
    kind = models.CharField(_("kind"), max_length=60)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    template = models.CharField(_("template"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)  # email only
    text = models.TextField(_("text"))
    # The email address or E.164 phone (or messenger id) the message went to. Personal data: never logged.
    address = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    skip_reason = models.CharField(_("skip reason"), max_length=20, choices=SkipReason.choices, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the worker may (next) try: None = at once; a later time for a retry or quiet hours.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Why it waits until next_attempt_at ("quiet hours", a retry): shown in the outbox.
    held_reason = models.CharField(_("held because"), max_length=100, choices=HeldReason.choices, blank=True)
    # When the dispatcher last handed it to a send task (cleared when a task claims it): the next minute's
    # dispatcher leaves it alone until MESSAGING_CLAIM_SECONDS have passed.
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True, editable=False)
    # The message's own key: sent to the provider with every attempt, so a repeated send is recognised.
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    # A caller's key against queueing the same message twice ("points_burning:42:2026-12-12"); optional.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    provider = models.CharField(_("provider"), max_length=50, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=200, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # a partial index below: bulk notices and campaigns' messages have none
    )
    created_at = models.DateTimeField(_("queued at"), db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    # Tracking (messaging.services.tracking): the first open (the email's pixel loaded, or a tracked link
    # followed: images may be blocked) and how many times the pixel was loaded; the first click on a
    # tracked link and how many clicks there were.
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True, editable=False)
    open_count = models.PositiveIntegerField(_("opens"), default=0, editable=False)
    clicked_at = models.DateTimeField(_("first clicked"), null=True, blank=True, editable=False)
    click_count = models.PositiveIntegerField(_("clicks"), default=0, editable=False)
    # The http(s) links of the text, in order, as they were when the message was claimed for sending: a
    # tracked link /m/c/<token>/ names one by its position, and redirects only to these (never elsewhere).
    links = models.JSONField(_("links"), default=list, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # What a notice queued in bulk needs to be rendered when it is sent ({"points": 120, "expires_on":
    # "2026-12-07"}; messaging.services.notices): its text is empty until the worker renders it.
    values = models.JSONField(_("values"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The frequency cap: a customer's recent marketing messages.
            models.Index(fields=["customer", "purpose", "created_at"], name="messaging_message_cap"),
            # The dispatcher: queued messages that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="messaging_message_due",
                condition=models.Q(status__in=["queued", "sending"]),
            ),
            models.Index(
                fields=["created_by"], name="messaging_message_created_by", condition=models.Q(created_by__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="skipped") | models.Q(skip_reason=""),
                name="messaging_message_skip_reason_only_when_skipped",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="skipped") | ~models.Q(skip_reason=""),
                name="messaging_message_skipped_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | models.Q(kind=STAFF_TEST_KIND),
                name="messaging_message_customer_unless_staff_test",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.kind} ({self.status})"


class MessageStatusChange(models.Model):
    """One change of a message's status, with when and why (the outbox shows a message's history); also
    what the customer did with it: the first open ("opened") and the first click ("clicked <host>")."""

    class Event(models.TextChoices):
        """The history's entries beyond the message's statuses (the message's `status` stays as it was)."""

        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=20, choices=Message.Status.choices + Event.choices)
    # Why: a skip reason, a provider's error, "held until 09:00 (quiet hours)", "webhook: delivered"…
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("message status change")
        verbose_name_plural = _("message status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status} {self.at:%Y-%m-%d %H:%M}"


class ConsentChange(models.Model):
    """The history of a customer's marketing consent per channel: given or withdrawn, when and how.

    For email and SMS the current consent is `Customer.consent_email` / `consent_sms` (customers' data,
    changed only by customers' services); every change of them publishes `ConsentChanged` inside its
    transaction and this table records it (messaging.subscribers), so the boolean and the latest row of
    its history always agree. The messenger channel has no column on Customer yet: its current consent
    is the latest row here (none: no consent)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="consent_changes"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    granted = models.BooleanField(_("given"))
    source = models.CharField(_("how"), max_length=20, choices=ConsentSource.choices)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The message a withdrawal came through: its unsubscribe link, or the latest message sent on the
    # channel before a STOP reply (the per-kind results count it as that message's unsubscribe).
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_changes",
    )

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "at"], name="messaging_consent_latest")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {'+' if self.granted else '-'} {self.source}"


class MessageTemplate(models.Model):
    """The text of a kind of message on a channel in a language, with placeholders ({name}, {points}…,
    messaging.rules.PLACEHOLDERS), saved only through messaging.services.template_save (which refuses
    unknown placeholders)."""

    kind = models.CharField(_("kind"), max_length=60)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, blank=True)  # email only
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], name="messaging_messagetemplate_one_per_kind_channel_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} / {self.channel} / {self.language}"


class NoticeKind(models.TextChoices):
    """The built-in notices (issue #14): the `kind` of their messages and templates. A campaign's messages
    use the campaign's own code as their kind; "test" is the console's "send a test to me"."""

    POINTS_EARNED = "points_earned", pgettext_lazy("notice kind", "Points earned")
    POINTS_BURNING = "points_burning", pgettext_lazy("notice kind", "Points about to burn")
    TIER_UPGRADE = "tier_upgrade", pgettext_lazy("notice kind", "Tier upgrade")
    TIER_AT_RISK = "tier_at_risk", pgettext_lazy("notice kind", "Tier at risk")
    BALANCE_REMINDER = "balance_reminder", pgettext_lazy("notice kind", "Balance reminder")


class NoticeSetting(models.Model):
    """How one built-in notice goes out: on or off, the channels to try in order, and its numbers. One row
    per kind (messaging.selectors.notice_settings creates a missing row with the defaults); changed only
    through messaging.services.notice_setting_update (audited). The rules are in docs/messaging.md."""

    kind = models.CharField(_("notice"), max_length=60, choices=NoticeKind.choices, unique=True)
    enabled = models.BooleanField(_("on"), default=True)
    # Channel codes in the order tried: the notice goes by the first one that can reach the customer.
    channels = models.JSONField(_("channels"), default=list)
    # points_burning: days before the burning date; tier_at_risk: days before the review that moves them down.
    days_before = models.PositiveIntegerField(_("days before"), default=7)
    # balance_reminder: days without a purchase, and the smallest balance (points) worth a reminder.
    idle_days = models.PositiveIntegerField(_("days without a purchase"), default=60)
    min_balance = models.PositiveIntegerField(_("minimum balance, points"), default=100)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("notice setting")
        verbose_name_plural = _("notice settings")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_kind_display()
