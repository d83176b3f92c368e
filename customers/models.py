from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


def language_default() -> str:
    """A new customer's language: the shop's, settings.LANGUAGE_CODE, read when the customer is created (a
    callable, so the migration freezes no language and a shop configured in Russian enrols in Russian)."""
    return settings.LANGUAGE_CODE


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
    # The language messages to the customer are written in (messaging.services.render.customer_language):
    # a code of settings.LANGUAGES, checked by customers.rules.language_validate.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default=language_default)
    created_at = models.DateTimeField(_("joined"), db_index=True)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True, db_index=True)
    # A caller-supplied key that makes enrolment from a till or the API safe to retry.
    enrol_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    # Hash of the enrolment request behind enrol_key: the same key with another request is a conflict.
    enrol_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Set when the person's data was erased on request (customer_erase): the row and the ledger stay.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

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
            ("erase_customer", _("Can export and erase a customer's personal data")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"


class ImportJob(models.Model):
    """One run of the customer CSV import (a dry run or the real one), with its progress and outcome.

    The uploaded file is kept in `content` so that the real run re-reads exactly what the dry run checked,
    and so that a worker on another machine can read it (no shared file system needed).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the background worker")
        VALIDATING = "validating", _("Checking rows")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    dry_run = models.BooleanField(_("dry run"), default=True)
    # For a real run: the dry run whose file it imports. One real run per dry run, so "Import N customers"
    # clicked twice (or resubmitted) imports once and shows the same job.
    dry_run_job = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="real_run", editable=False
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(editable=False)
    total_rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_rows = models.PositiveIntegerField(_("rows with problems"), default=0)
    imported_rows = models.PositiveIntegerField(_("customers imported"), default=0)
    imported_points = models.PositiveBigIntegerField(_("opening points imported"), default=0)
    # [{"row": 7, "column": "phone", "message": "…"}, …]: the first problems found (the page lists them).
    errors = models.JSONField(_("problems"), default=list, blank=True)
    # Rows that import but not exactly as written (e.g. an invalid card number replaced by a new card).
    warnings = models.JSONField(_("notes"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    # The uploader's language: the worker writes the problems in it.
    language = models.CharField(max_length=10, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        # The table keeps the name it had when the import lived in `loyalty` (moved in customers 0008).
        db_table = "loyalty_importjob"
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
