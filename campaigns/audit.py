"""How the audit log reads a campaign's changes: each field under its model label (translated, so a Russian
reader sees Russian labels whoever made the change), with its kind (dates, points, percentages, codes read
by their choices). Registered with core.audit from CampaignsConfig.ready."""

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.audit import AuditAction, AuditField, Kind, audit_fields_register
from messaging.models import Channel

from .models import Campaign
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
    if name == "target_tiers":
        return AuditField(label, Kind.LIST)
    return AuditField(label, _KINDS.get(name, Kind.TEXT))


def campaign_audit_fields() -> dict[str, AuditField]:
    """{field: AuditField} of every field a campaign's audit entry names."""
    fields = {name: _field(name) for name in (*FIELDS, "status", "target_tiers")}
    fields["target_saved_segment"] = AuditField(capfirst(Campaign._meta.get_field("target_saved_segment").verbose_name))
    fields["variants"] = AuditField(_("Variants"), Kind.LIST)
    fields["why"] = AuditField(_("Why"))
    return fields


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
