"""Reads for the API: the customer object, API clients."""

from typing import Any

from django.db.models import F, QuerySet

from customers.models import Customer
from loyalty.selectors import customer_figures

from .models import ApiClient


def customer_card(customer: Customer) -> dict[str, Any]:
    """The API's customer object: identity, points and tier (the terms of the next purchase); one query
    (loyalty.selectors.customer_figures)."""
    figures = customer_figures(customer.pk)
    points, progress = figures.points, figures.progress
    tier = progress.tier
    next_tier = progress.next_tier
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone,
        "card_number": customer.card_number,
        "language": customer.language,
        "balance": points.balance,
        "available_points": points.available,
        "pending_points": points.pending,
        "points_owed": points.owed,
        "tier": None
        if tier is None
        else {
            "code": tier.code,
            "name": tier.name,
            "cashback_percent": tier.cashback_percent,
            "redeem_cap_percent": tier.redeem_cap_percent,
        },
        "next_tier": None
        if next_tier is None
        else {"code": next_tier.code, "name": next_tier.name, "spend_needed": progress.spend_needed},
    }


def api_client_list() -> QuerySet[ApiClient]:
    return ApiClient.objects.select_related("created_by").order_by(F("revoked_at").desc(nulls_first=True), "name")
