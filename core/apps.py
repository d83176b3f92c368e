from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The bottom layer every app may import: the audit log, roles and permission decorators, the
    domain-error base, idempotency keys, job locks, formatting, logging filters, migration operations."""

    name = "core"
    verbose_name = _("Audit")
