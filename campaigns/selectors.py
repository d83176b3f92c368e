"""Reads of campaigns (issue #15)."""

import datetime as dt

from django.db.models import Q, QuerySet

from .models import Campaign, CampaignGrant


def campaigns_running(*, kind: str, at: dt.datetime) -> QuerySet[Campaign]:
    """The campaigns of `kind` that grant at moment `at` (an aware datetime): status active, started
    (no start, or start ≤ at) and not ended (no end, or at < end). Scheduled ones start granting only once
    the daily run (or a launch) made them active; paused and finished ones never grant."""
    return Campaign.objects.filter(kind=kind, status=Campaign.Status.ACTIVE).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at)
    )


def campaign_is_running(campaign: Campaign, at: dt.datetime) -> bool:
    """`campaigns_running`'s rule for one campaign already read: active, started, not ended at `at`."""
    return (
        campaign.status == Campaign.Status.ACTIVE
        and (campaign.starts_at is None or campaign.starts_at <= at)
        and (campaign.ends_at is None or at < campaign.ends_at)
    )


def welcome_grants_for(customer_id: int) -> QuerySet[CampaignGrant]:
    """The welcome bonuses the customer received (not holdout rows), oldest campaign first: what the till
    shows right after enrolment."""
    return CampaignGrant.objects.filter(
        customer_id=customer_id, campaign__kind=Campaign.Kind.WELCOME, occasion="enrol", holdout=False
    ).order_by("campaign_id")
