"""Reads of core data."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .audit import CUSTOMER_OBJECT
from .models import AuditEntry


def audit_list(*, customer_ids: Iterable[int] | None = None) -> QuerySet[AuditEntry]:
    """Every audit entry, newest first, with its actor (the audit log page filters this); with
    `customer_ids`, only the entries about those customers (see `audit_about_customers`)."""
    entries = AuditEntry.objects.select_related("actor")
    if customer_ids is not None:
        entries = entries.filter(audit_about_customers(customer_ids))
    return entries


def audit_about_customers(customer_ids: Iterable[int]) -> Q:
    """The condition for entries about any of `customer_ids` (ints): entries whose object is the
    customer (enrolment, profile changes, export, erasure), and entries naming the customer under
    "customer" in their changes (adjustments, purchases and refunds). An empty list matches nothing."""
    ids = sorted({int(pk) for pk in customer_ids})
    if not ids:
        return Q(pk__in=[])
    return Q(object_type=CUSTOMER_OBJECT, object_id__in=[str(pk) for pk in ids]) | Q(changes__customer__in=ids)
