"""Helpers for campaigns' tests: a running campaign, and customers placed in or out of its holdout."""

import datetime as dt
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


def shop_clock(monkeypatch, day: dt.date, hour: int = 9) -> dt.datetime:
    """Make "now" `day` at `hour` in the shop's time zone (django.utils.timezone.now), for the commands
    that take no `now`: the daily run refuses dates more than six days before today."""
    from django.utils import timezone

    from loyalty.rules import local_midnight

    moment = local_midnight(day) + dt.timedelta(hours=hour)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment
