"""The preview counts only the customers who can have the campaign's occasion; a welcome is priced per new
customer (existing customers never receive it)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import campaign_preview
from customers.models import Customer
from customers.tests.factories import CustomerFactory

from .helpers import running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(program):
    """Four customers: one with a birthday on file, two who bought, one with neither."""
    people = [CustomerFactory() for _ in range(4)]
    Customer.objects.filter(pk=people[0].pk).update(birthday="1990-06-10")
    now = timezone.now()
    Customer.objects.filter(pk__in=[people[1].pk, people[2].pk]).update(first_purchase_at=now, last_purchase_at=now)
    return people


@pytest.mark.parametrize(
    ("kind", "fields", "target"),
    [
        (Campaign.Kind.BIRTHDAY, {"days_before": 0}, 1),  # only the one with a birthday
        (Campaign.Kind.ANNIVERSARY, {}, 2),  # only those who bought
        (Campaign.Kind.WIN_BACK, {"absence_days": [30]}, 2),
        (Campaign.Kind.BROADCAST, {}, 4),  # everyone
    ],
)
def test_the_preview_counts_only_who_can_have_the_occasion(people, kind, fields, target):
    preview = campaign_preview(running_campaign(kind, points=100, **fields))
    assert (preview.target, preview.treated, preview.expected_points) == (target, target, 100 * target)
    assert not preview.per_new_customer


def test_a_welcome_is_priced_per_new_customer(people):
    # 500 points, 10 % holdout: 450 points per new customer; nothing spent or burnt yet: all redeemed,
    # at the program's point value
    campaign = running_campaign(Campaign.Kind.WELCOME, points=500, holdout_percent=Decimal("10"))
    preview = campaign_preview(campaign)
    assert preview.per_new_customer and (preview.target, preview.treated) == (0, 0)
    assert (preview.expected_points, preview.expected_redeemed) == (450, 450)
    assert preview.expected_cost == 450 * preview.point_value


def test_the_console_says_a_welcome_costs_per_new_customer(client, marketing_user, people):
    client.force_login(marketing_user)
    console = client
    campaign = running_campaign(Campaign.Kind.WELCOME, points=500, status=Campaign.Status.DRAFT)
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Expected cost per new customer" in page and 'id="preview-points">500<' in page
    assert 'id="preview-target"' not in page


@pytest.mark.parametrize(("budget", "expected"), [(50, 0), (99, 0), (250, 200), (1000, 400)])
def test_the_preview_counts_only_whole_grants_the_budget_pays(people, budget, expected):
    """Four customers, 100 points each: a budget of 50 or 99 pays no grant (0, not 50), 250 pays two
    (200), 1 000 all four (400)."""
    campaign = running_campaign(Campaign.Kind.BROADCAST, points=100, budget_points=budget)
    assert campaign_preview(campaign).expected_points == expected
