"""Reads of core data."""

from django.db.models import QuerySet

from .models import AuditEntry


def audit_list() -> QuerySet[AuditEntry]:
    """Every audit entry, newest first, with its actor (the audit log page filters this)."""
    return AuditEntry.objects.select_related("actor")
