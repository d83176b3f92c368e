"""Core models: the audit log every app writes to (`core.audit.audit_record`), and the base of the
models that only carry a role's permission."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import AuditAction


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
        # The table keeps the name it had when the log lived in `customers` (moved in core 0001): no data moves.
        db_table = "customers_auditentry"
        indexes = [models.Index(fields=["object_type", "object_id"], name="customers_audit_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.summary}"


class PermissionAnchor(models.Model):
    """Abstract base of a model with no table (`managed = False`) that only carries permissions of a
    screen app (`cashier.use_cashier`, `console.view_dashboard`): subclasses list them in
    `class Meta(PermissionAnchor.Meta): permissions = [...]`."""

    class Meta:
        abstract = True
        managed = False
        default_permissions = ()

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class CacheVersion(models.Model):
    """The version of one set of rarely changed rows that processes cache in memory (`core.versions`):
    `token` is a fresh random string after every change of them, written by a database trigger on their
    tables (installed by the owning app's migration), in the same transaction as the change. Not edited
    by code: the triggers keep it."""

    name = models.CharField(max_length=60, primary_key=True)
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("cache version")
        verbose_name_plural = _("cache versions")

    def __str__(self) -> str:
        return self.name


class FormSubmission(models.Model):
    """A console form submitted once (`core.forms.idempotency_key_field` + `core.idempotency.once_per_key`):
    the form's one-time key and what its first submission created, so that a double click or a resubmitted
    page creates nothing more and leads to the first result."""

    idempotency_key = models.CharField(max_length=100, unique=True)
    request_fingerprint = models.CharField(max_length=64)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}"
