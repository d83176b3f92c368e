from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import AuditAction


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # E.164, normalised by customers.rules.phone_normalize before it is stored.
    phone = models.CharField(_("phone"), max_length=16, unique=True)
    card_number = models.CharField(_("card number"), max_length=13, unique=True)
    # Stored lower-cased; NULL (not "") when absent so that uniqueness applies only to real addresses.
    email = models.EmailField(_("email"), null=True, blank=True, unique=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    consent_email = models.BooleanField(_("email marketing consent"), default=False)
    consent_sms = models.BooleanField(_("SMS marketing consent"), default=False)
    referral_code = models.CharField(_("referral code"), max_length=12, unique=True)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("joined"), db_index=True)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True, db_index=True)
    # A caller-supplied key that makes enrolment from a till or the API safe to retry.
    enrol_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    # Hash of the enrolment request behind enrol_key: the same key with another request is a conflict.
    enrol_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves `name__icontains` on SQLite too; PostgreSQL also gets a trigram index
            # (migration 0002) so that a search for part of a name stays fast on a big base.
            models.Index(Upper("name"), name="customers_customer_name_upper"),
        ]
        permissions = [
            ("adjust_points", _("Can make manual points adjustments")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"


class AuditEntry(models.Model):
    """Who changed what, and when. Written by services inside the transaction of the change."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    # Where the change came from when no person made it: "api:<client>", "job:run_daily", "seed_demo".
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="customers_audit_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.summary}"

    @property
    def change_rows(self) -> list[tuple[str, object, object, bool]]:
        """(field, old, new, is_pair) for display: a two-item list is old → new, anything else a value."""
        rows = []
        for field, value in (self.changes or {}).items():
            if isinstance(value, list | tuple) and len(value) == 2:
                rows.append((field, value[0], value[1], True))
            else:
                rows.append((field, value, None, False))
        return rows
