from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


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
