"""Campaign results on a hand-built data set whose figures are worked out here (docs/campaigns.md,
"Results"): 10 treated customers of whom 6 bought in the window, 10 in the holdout of whom 3 did."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import Campaign, CampaignGrant, CampaignVariant
from campaigns.results import campaign_results, campaigns_at_a_glance
from campaigns.stats import Estimate
from loyalty import services
from messaging.models import Message

pytestmark = pytest.mark.django_db


def _grant(campaign, customer, *, at, holdout=False, variant=None, points=0):
    entry = None
    if not holdout:
        entry = services.points_award(
            customer_id=customer.pk,
            points=points,
            reason=f"Campaign {campaign.name}",
            source=campaign.ledger_source,
            idempotency_key=f"campaign:{campaign.pk}:{customer.pk}:broadcast",
            now=at,
        )
    return CampaignGrant.objects.create(
        campaign=campaign,
        customer=customer,
        occasion="broadcast",
        variant=variant,
        holdout=holdout,
        points=points if not holdout else 0,
        entry=entry,
        at=at,
    )


@pytest.fixture
def campaign(t0):
    return Campaign.objects.create(
        name="Come back", kind=Campaign.Kind.BROADCAST, points=100, response_days=14, created_at=t0, updated_at=t0
    )


def test_uplift_cost_and_return_on_a_hand_built_campaign(campaign, customer_factory, program, t0):
    a = CampaignVariant.objects.create(campaign=campaign, code="A", points=100)
    b = CampaignVariant.objects.create(campaign=campaign, code="B", points=100)
    treated = [customer_factory() for _ in range(10)]
    holdout = [customer_factory() for _ in range(10)]
    for i, customer in enumerate(treated):
        _grant(campaign, customer, at=t0, variant=a if i < 5 else b, points=100)
    for customer in holdout:
        _grant(campaign, customer, at=t0, holdout=True)
    day = dt.timedelta(days=1)
    # Treated 0–5 buy 1 000.00 in the window (6 of 10); 0 pays 100 points of the grant with it.
    for i in range(6):
        services.purchase_record(
            customer_id=treated[i].pk, amount="1000.00", redeem_points=100 if i == 0 else 0, now=t0 + 3 * day
        )
    # Treated 6 buys after the window (14 days later exactly: the end is excluded) — not counted.
    services.purchase_record(customer_id=treated[6].pk, amount="5000.00", now=t0 + 14 * day)
    # Treated 7 buys in the window but refunds it all — not counted; treated 5 refunds 400.00 of 1 000.00.
    refunded = services.purchase_record(customer_id=treated[7].pk, amount="700.00", now=t0 + day)
    services.purchase_refund(purchase_id=refunded.purchase.pk, now=t0 + 2 * day)
    five = treated[5].purchases.get()
    services.purchase_refund(purchase_id=five.pk, amount="400.00", now=t0 + 4 * day)
    # Holdout 0–2 buy 500.00 in the window (3 of 10; 2 at the very moment of the grant, the start being
    # included); holdout 3 bought before the grant — not counted.
    for i in range(3):
        services.purchase_record(customer_id=holdout[i].pk, amount="500.00", now=t0 + 13 * day if i < 2 else t0)
    services.purchase_record(customer_id=holdout[3].pk, amount="500.00", now=t0 - day)
    # Messages of the campaign: 10 to the treated, 2 of them failed, 4 opened, 1 clicked.
    for i, customer in enumerate(treated):
        Message.objects.create(
            customer=customer,
            channel="sms",
            kind=campaign.message_kind,
            purpose="marketing",
            language="en",
            text="Hi",
            status="failed" if i >= 8 else "sent",
            opened_at=t0 + day if i < 4 else None,
            clicked_at=t0 + day if i == 0 else None,
            created_at=t0,
        )
    Message.objects.create(  # another kind: not this campaign's
        customer=treated[0],
        channel="sms",
        kind="points_earned",
        purpose="service",
        language="en",
        text="x",
        created_at=t0,
    )

    results = campaign_results(campaign)

    assert (results.treated.customers, results.holdout.customers) == (10, 10)
    assert results.treated.points_granted == 1000 and results.holdout.points_granted == 0
    assert results.treated.points_redeemed == 100
    assert (results.treated.buyers, results.holdout.buyers) == (6, 3)
    # 5 × 1 000.00 + (1 000.00 − 400.00) = 5 600.00; the holdout 3 × 500.00.
    assert results.treated.revenue == Decimal("5600.00") and results.holdout.revenue == Decimal("1500.00")
    assert results.treated.revenue_per_customer == Decimal("560.00")
    assert results.treated.messages == {"sent": 8, "failed": 2}
    assert (results.treated.opened, results.treated.clicked) == (4, 1)
    assert results.holdout.messages == {}
    treated = results.comparisons[0]
    # 0.6 − 0.3, interval by hand in test_stats: [−0.1158, 0.7158].
    assert treated.rate_uplift == Estimate(Decimal("0.3000"), Decimal("-0.1158"), Decimal("0.7158"))
    assert treated.revenue_uplift is None  # fewer than 30 customers a side
    assert treated.incremental_customers == Decimal("3")  # (0.6 − 0.3) × 10
    # 100 points × 1.00 = 100.00 spent; ÷ 3 incremental customers = 33.33.
    assert treated.cost == Decimal("100.00")
    assert treated.cost_per_returning == Decimal("33.33")
    # Incremental revenue would be (560.00 − 150.00) × 10 = 4 100.00 and return on points 41.00, but with
    # 10 customers a side the revenue uplift is not computable (30 needed): both are hidden, not noise.
    assert treated.incremental_revenue is None and treated.return_on_points is None
    # Variant A: customers 0–4, all bought; B: 5–9, one bought (5).
    variant_a, variant_b = results.comparisons[1:]
    assert (variant_a.group.key, variant_a.group.customers, variant_a.group.buyers) == ("A", 5, 5)
    assert (variant_b.group.key, variant_b.group.customers, variant_b.group.buyers) == ("B", 5, 1)
    assert variant_a.rate_uplift is None  # 5 < 10 customers: not enough data
    # ...so no cost per returning customer, though 100.00 was spent and 5 of 5 against 3 of 10 bought
    # (it would have been 100.00 ÷ ((1 − 0.3) × 5) = 28.57, from five customers).
    assert variant_a.cost == Decimal("100.00")
    assert variant_a.incremental_customers is None and variant_a.cost_per_returning is None
    assert variant_a.group.points_redeemed == 100 and variant_b.group.points_redeemed == 0

    glance = campaigns_at_a_glance([campaign.pk])[campaign.pk]
    assert glance.customers == 20 and glance.points_granted == 1000
    assert glance.uplift == treated.rate_uplift


def test_a_campaign_without_grants_has_no_figures(campaign, program):
    results = campaign_results(campaign)
    assert results.treated.customers == 0 and results.comparisons[0].rate_uplift is None
    assert results.comparisons[0].cost_per_returning is None
    assert campaigns_at_a_glance([campaign.pk]) == {}
