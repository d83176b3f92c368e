"""One vocabulary for the audit log: every audited action, with a label for people (translated).

Services pass an AuditAction to `audit_record` (below) inside the transaction of the change; the stored
value is the dotted code (`points.adjust`), which filters and exports keep using; pages show the label.
"""

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CUSTOMER_ENROL = "customer.enrol", _("Customer enrolled")
    CUSTOMER_UPDATE = "customer.update", _("Customer profile changed")
    CUSTOMER_IMPORT = "customer.import", _("Customers imported")
    CUSTOMER_EXPORT = "customer.export", _("Customer's personal data exported")
    CUSTOMER_ERASE = "customer.erase", _("Customer's personal data erased")
    POINTS_ADJUST = "points.adjust", _("Manual adjustment")
    SETTINGS_UPDATE = "settings.update", _("Program settings changed")
    TIERS_UPDATE = "tiers.update", _("Tiers changed")
    API_CLIENT_CREATE = "api_client.create", _("API client created")
    API_CLIENT_REVOKE = "api_client.revoke", _("API client revoked")
    API_CLIENT_ROTATE = "api_client.rotate", _("API client given a new key")


def audit_record(
    *,
    action: AuditAction,
    obj: Any,
    summary: str,
    actor: Any = None,
    origin: str = "",
    changes: dict | None = None,
    at: dt.datetime | None = None,
):
    """Append an audit entry (`core.models.AuditEntry`) and return it; call it inside the transaction of
    the change it describes, so that the change and its audit row commit or roll back together.

    `obj` is the changed model instance (or None), `actor` the signed-in user (anything else, such as an
    API client or a job, leaves it empty and says who in `origin`: "api:<client>", "job:run_daily"),
    `changes` a JSON-able dict ({"field": [old, new]} or values), `at` the moment of the change when it is
    not now (operations recorded with a historic `now`). The summary is cut to 300 characters."""
    from .models import AuditEntry  # models import this module for AuditAction

    return AuditEntry.objects.create(
        created_at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        origin=origin,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        changes=changes or {},
    )
