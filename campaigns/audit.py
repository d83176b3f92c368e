"""How the audit log reads a campaign's changes: each field under its model label (translated, so a Russian
reader sees Russian labels whoever made the change), with its kind (dates, points, percentages, codes read
by their choices). Registered with core.audit from CampaignsConfig.ready."""

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.audit import AuditAction, AuditField, Kind, audit_fields_register, audit_rows_filter_register
from core.formatting import decimal_format
from loyalty.models import Tier
from messaging.models import Channel

from .models import Campaign
from .rules import KIND_OWN_FIELDS
from .services.changes.fields import FIELDS

_KINDS = {
    "points": Kind.POINTS,
    "budget_points": Kind.POINTS,
    "holdout_percent": Kind.PERCENT,
    "boost_extra_percent": Kind.PERCENT,
    "points_valid_days": Kind.DAYS,
    "response_days": Kind.DAYS,
    "days_before": Kind.DAYS,
    "action_period_days": Kind.DAYS,
    "per_customer_limit": Kind.COUNT,
    "action_limit": Kind.COUNT,
}


def _field(name: str) -> AuditField:
    field = Campaign._meta.get_field(name)
    label = capfirst(field.verbose_name)
    if getattr(field, "choices", None):
        return AuditField(label, Kind.CHOICE, choices=dict(field.choices))
    if isinstance(field, models.DateTimeField):
        return AuditField(label, Kind.DATETIME)
    if name == "channels":
        return AuditField(label, Kind.LIST, choices=dict(Channel.choices))
    if name == "target_tiers":  # stored as the tiers' ids, read by their names
        return AuditField(label, Kind.LIST, reader=_tier_names)
    if name == "boost_multiplier":  # "×2", "×1,5" in Russian
        return AuditField(label, reader=_multiplier_text)
    if name == "boost_weekdays":  # 0 = Monday … 6 = Sunday, read as the days' names
        return AuditField(label, Kind.LIST, choices=WEEKDAYS)
    if name == "absence_days":  # the win-back's steps: "30, 60"
        return AuditField(label, Kind.LIST)
    return AuditField(label, _KINDS.get(name, Kind.TEXT))


def _tier_names(value: Any) -> str:
    """A tiers target as stored (the tiers' ids) by the tiers' names; a tier deleted since by its id."""
    ids = [int(pk) for pk in value] if isinstance(value, list) else [int(value)]
    if not ids:
        return "—"
    names = dict(Tier.objects.filter(pk__in=ids).values_list("pk", "name"))
    return ", ".join(names.get(pk, f"#{pk}") for pk in ids)


def _multiplier_text(value: Any) -> str:
    """A boost's multiplier as stored ("2.0", "1.50") as the language writes it: "×2", "×1.5" ("×1,5")."""
    number = Decimal(str(value))
    places = next((p for p in (0, 1, 2) if number == number.quantize(Decimal(1).scaleb(-p))), 2)
    return "×" + decimal_format(number, places)


def campaign_audit_fields() -> dict[str, AuditField]:
    """{field: AuditField} of every field a campaign's audit entry names."""
    fields = {name: _field(name) for name in (*FIELDS, "status", "target_tiers")}
    fields["target_saved_segment"] = AuditField(capfirst(Campaign._meta.get_field("target_saved_segment").verbose_name))
    fields["variants"] = AuditField(_("Variants"), Kind.LIST)
    # The daily job's reason for a status it set (campaigns.services.daily: the code it stores).
    fields["why"] = AuditField(_("Why"), Kind.CHOICE, choices=STATUS_WHY)
    fields["campaign"] = AuditField(_("Campaign"), Kind.HIDDEN)  # its name then, for the summary
    return fields


# Why the daily job set a campaign's status: the stored code (English words) → its label.
STATUS_WHY = {
    "broadcast sent": _("the broadcast was sent"),
    "ended": _("its end has come"),
    "started": _("its start has come"),
}

# The figures of an uploaded list (campaigns.services.changes.lists), as the log reads them.
LIST_UPLOAD_FIELDS = {
    "campaign": AuditField(_("Campaign"), Kind.HIDDEN),
    "lines": AuditField(_("Lines read"), Kind.COUNT),
    "added": AuditField(_("Added to the list"), Kind.COUNT),
    "already": AuditField(_("Already on the list"), Kind.COUNT),
    "not_found": AuditField(_("Lines that matched no customer"), Kind.COUNT),
    "duplicates": AuditField(_("Repeated lines"), Kind.COUNT),
    "unrecognised": AuditField(_("Pieces not recognised"), Kind.COUNT),
    "replace": AuditField(_("The list replaced"), Kind.BOOL),
    "members": AuditField(_("Customers on the list"), Kind.COUNT),
}


_KIND_ONLY = {name for names in KIND_OWN_FIELDS.values() for name in names}


def campaign_snapshot_rows(changes: dict[str, Any]) -> dict[str, Any]:
    """Of a campaign's snapshot (its creation or deletion: every field), the values the log lists: the
    fields of its kind and those of every kind, without the empty ones (none, "", an empty list). A
    snapshot without a known kind lists every non-empty value."""
    kind = changes.get("kind")
    own = KIND_OWN_FIELDS.get(kind) if isinstance(kind, str) else None
    return {
        name: value
        for name, value in changes.items()
        if value not in (None, "", [], {}) and (own is None or name not in _KIND_ONLY or name in own)
    }


def register() -> None:
    fields = campaign_audit_fields()
    for action in (
        AuditAction.CAMPAIGN_CREATE,
        AuditAction.CAMPAIGN_UPDATE,
        AuditAction.CAMPAIGN_LAUNCH,
        AuditAction.CAMPAIGN_PAUSE,
        AuditAction.CAMPAIGN_RESUME,
        AuditAction.CAMPAIGN_FINISH,
        AuditAction.CAMPAIGN_STATUS,
        AuditAction.CAMPAIGN_DELETE,
    ):
        audit_fields_register(action, fields)
    audit_fields_register(AuditAction.CAMPAIGN_LIST_UPLOAD, LIST_UPLOAD_FIELDS)
    for action in (AuditAction.CAMPAIGN_CREATE, AuditAction.CAMPAIGN_DELETE):
        audit_rows_filter_register(action, campaign_snapshot_rows)
