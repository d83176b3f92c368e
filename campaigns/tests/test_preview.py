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


@pytest.fixture
def share_0_7325(people):
    """A ledger where 293 points were spent and 107 burnt: observed redeemed share 293 ÷ 400 = 0.7325."""
    from loyalty.models import LedgerEntry

    now = timezone.now()
    for kind, points in ((LedgerEntry.Kind.REDEEM, -293), (LedgerEntry.Kind.EXPIRE, -107)):
        LedgerEntry.objects.create(customer=people[3], kind=kind, points=points, reason="test", created_at=now)


def test_a_welcome_preview_is_exact_and_rounded_once(client, marketing_user, program, share_0_7325):
    # 5 points, 10 % holdout: 5 × 0.9 = 4.5 points per new customer (not 4); × 0.7325 = 3.29625 expected
    # redeemed (not 2); cost 3.29625 × 1.00 = 3.30 (half up, once; not 2.00).
    campaign = running_campaign(
        Campaign.Kind.WELCOME, points=5, holdout_percent=Decimal("10"), status=Campaign.Status.DRAFT
    )
    preview = campaign_preview(campaign)
    assert preview.redeemed_share == Decimal("0.7325") and preview.point_value == Decimal("1.00")
    assert (preview.expected_points, preview.expected_redeemed) == (Decimal("4.5"), Decimal("3.29625"))
    assert preview.expected_cost == Decimal("3.30")
    client.force_login(marketing_user)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="preview-points">4.5<' in page and 'id="preview-redeemed">3.3<' in page
    assert 'id="preview-cost">3.30\u00a0₽<' in page
    client.cookies["django_language"] = "ru"
    page = client.get(f"/campaigns/{campaign.pk}/", headers={"accept-language": "ru"}).content.decode()
    assert 'id="preview-points">4,5<' in page and 'id="preview-cost">3,30\u00a0₽<' in page


def test_a_broadcast_preview_costs_the_exact_expected_points(people, share_0_7325):
    # 4 customers × 10 points = 40; × 0.7325 = 29.3 expected redeemed (not 29); cost 29.30 (not 29.00)
    preview = campaign_preview(running_campaign(Campaign.Kind.BROADCAST, points=10))
    assert (preview.expected_points, preview.expected_redeemed, preview.expected_cost) == (
        40,
        Decimal("29.3"),
        Decimal("29.30"),
    )
