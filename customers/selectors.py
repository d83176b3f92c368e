"""Reads for customers."""

from django.db.models import Q, QuerySet

from . import rules
from .models import Customer


def customer_lookup(query: str, *, limit: int = 20) -> list[Customer]:
    """Find customers by a phone in any format, a card number, an email or part of the name.

    An exact identifier (card, phone, email) wins outright; otherwise up to `limit` name matches.
    """
    text = (query or "").strip()
    if not text:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.isdigit() and rules.card_number_is_valid(text):
        found = list(Customer.objects.filter(card_number=text)[:1])
        if found:
            return found
    if digits and len(digits) >= 7 and not any(ch.isalpha() for ch in text):
        phone = rules.phone_try_normalize(text)
        if phone:
            found = list(Customer.objects.filter(phone=phone)[:1])
            if found:
                return found
        return []
    if "@" in text:
        return list(Customer.objects.filter(email=text.lower())[:1])
    if len(text) < 2:
        return []
    return list(Customer.objects.filter(name__icontains=text).order_by("name", "id")[:limit])


def customer_get(customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


def customer_search(query: str) -> QuerySet[Customer]:
    """A queryset for list pages: matches name, phone digits, card number or email."""
    text = (query or "").strip()
    qs = Customer.objects.all()
    if not text:
        return qs
    condition = Q(name__icontains=text) | Q(email__iexact=text) | Q(card_number=text)
    phone = rules.phone_try_normalize(text)
    if phone:
        condition |= Q(phone=phone)
    return qs.filter(condition)


def customer_names(customer_ids) -> dict[int, str]:
    """{id: name} of the given customers (ids of customers that do not exist are left out): one query,
    for pages that name the customers of many rows (the audit log)."""
    ids = {pk for pk in customer_ids if pk is not None}
    if not ids:
        return {}
    return dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
