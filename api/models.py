"""API clients: the systems (tills, web shops) that call the REST API, each with its own key."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    """A system that calls the REST API (a till, a web shop) with its own key.

    Only a SHA-256 digest of the key is stored: the key is 256 random bits, so a fast hash is enough
    (no brute force can reach it) and costs microseconds per request, unlike a password hasher.
    """

    name = models.CharField(_("name"), max_length=60)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        # The table keeps the name it had when clients lived in `loyalty` (moved in api 0001): no data moves.
        db_table = "loyalty_apiclient"
        ordering = ["name", "-created_at"]
        constraints = [
            # A revoked client's name can be reused (a system that came back); two active clients cannot share one.
            models.UniqueConstraint(
                fields=["name"], condition=Q(revoked_at__isnull=True), name="loyalty_apiclient_active_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
