"""Helpers for campaigns' tests: a running campaign, and customers placed in or out of its holdout."""

from decimal import Decimal

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.rules import in_holdout
from customers.tests.factories import CustomerFactory


def running_campaign(kind: str, **fields) -> Campaign:
    """An active campaign of `kind` with no dates (running now) and no holdout unless `fields` say so."""
    now = timezone.now()
    values = {"name": f"Test {kind}", "status": Campaign.Status.ACTIVE, "holdout_percent": Decimal("0"), **fields}
    return Campaign.objects.create(kind=kind, created_at=now, updated_at=now, **values)


def customer_in(campaign: Campaign, *, holdout: bool):
    """A new customer who is (holdout=True) or is not in the campaign's holdout (the stable bucket)."""
    while True:
        customer = CustomerFactory()
        if in_holdout(campaign.pk, customer.pk, campaign.holdout_percent) == holdout:
            return customer
