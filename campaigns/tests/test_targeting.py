"""The holdout and variant split: stable, of the configured size, and the SQL equal to the rules."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, CampaignVariant
from campaigns.rules import bucket, in_holdout, variant_index
from campaigns.targeting import campaign_split_sql, campaign_target_counts, campaign_target_sql
from customers.models import Customer


def _customers(n: int) -> list[int]:
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(
            name=f"C{i}",
            phone=f"+7900{i:07d}",
            card_number=f"{i:013d}",
            referral_code=f"R{i:08d}",
            consent_email=i % 2 == 0,
            created_at=now,
        )
        for i in range(n)
    )
    return list(Customer.objects.order_by("id").values_list("id", flat=True))


def _campaign(**fields) -> Campaign:
    now = timezone.now()
    fields.setdefault("kind", Campaign.Kind.BROADCAST)
    return Campaign.objects.create(name="Test", points=100, created_at=now, updated_at=now, **fields)


def test_bucket_is_stable_and_in_range():
    assert bucket(7, 42) == bucket(7, 42)
    assert 0 <= bucket(7, 42) < 10_000
    assert bucket(7, 42) != bucket(8, 42) or bucket(7, 43) != bucket(8, 43)


@pytest.mark.django_db
def test_sql_split_equals_rules_and_holdout_has_its_share():
    ids = _customers(2000)
    campaign = _campaign(holdout_percent=Decimal("20"))
    a = CampaignVariant.objects.create(campaign=campaign, code="A", points=300, weight=1)
    b = CampaignVariant.objects.create(campaign=campaign, code="B", points=500, weight=3)
    sql, params = campaign_split_sql(campaign, *campaign_target_sql(campaign))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = {customer_id: (holdout, variant_id) for customer_id, holdout, variant_id in cursor.fetchall()}
    assert set(rows) == set(ids)
    for customer_id, (holdout, variant_id) in rows.items():
        assert holdout == in_holdout(campaign.pk, customer_id, Decimal("20"))
        expected = None if holdout else [a.pk, b.pk][variant_index(campaign.pk, customer_id, [1, 3])]
        assert variant_id == expected
    held = sum(1 for holdout, _v in rows.values() if holdout)
    assert 330 <= held <= 470  # 20 % of 2 000 = 400, within ±3.6 standard deviations (σ ≈ 17.9)
    counts = campaign_target_counts(campaign)
    assert counts["target"] == 2000 and counts["holdout"] == held
    assert counts["variants"][a.pk] + counts["variants"][b.pk] == 2000 - held
    assert 0.2 < counts["variants"][a.pk] / (2000 - held) < 0.3  # weight 1 of 4


@pytest.mark.django_db
def test_consent_and_list_targets():
    ids = _customers(10)
    campaign = _campaign(target_consent=Campaign.Consent.EMAIL)
    assert campaign_target_counts(campaign)["target"] == 5  # every second customer consented to email
    listed = _campaign(target=Campaign.Target.LIST)
    listed.list_members.create(customer_id=ids[3])
    listed.list_members.create(customer_id=ids[4])
    assert campaign_target_counts(listed)["target"] == 2
    empty_tiers = _campaign(target=Campaign.Target.TIERS)
    assert campaign_target_counts(empty_tiers)["target"] == 0  # no tier chosen selects nobody
    missing_segment = _campaign(target=Campaign.Target.RFM_SEGMENT, target_rfm_segment="no_such")
    assert campaign_target_counts(missing_segment)["target"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("snapshot", [False, True])
def test_an_empty_rfm_segment_previews_zero_and_cannot_launch(client, marketing_user, program, snapshot):
    """No RFM snapshot yet, or a segment nobody is in: the page says 0 customers (no 500) and launch refuses
    with the reason."""
    from analytics.services import rfm_snapshot

    _customers(3)
    if snapshot:
        rfm_snapshot(timezone.localdate())
    campaign = _campaign(
        kind=Campaign.Kind.BIRTHDAY,
        target=Campaign.Target.RFM_SEGMENT,
        target_rfm_segment="champions",
        holdout_percent=0,
    )
    client.force_login(marketing_user)
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="preview-target">0<' in body, body[body.find('id="preview"') :][:1500]
    assert campaign_target_counts(campaign)["target"] == 0
    launch = client.post(f"/campaigns/{campaign.pk}/launch/", follow=True)
    assert launch.status_code in (200, 400)
    assert "No customer is in this RFM segment now" in launch.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.django_db
def test_a_tiers_target_counts_a_customer_without_a_tier_status_in_the_entry_tier():
    """Bronze (threshold 0.00) is the entry tier: a customer with no TierStatus row yet holds it, in the
    set-based target and in the one-customer check; a status row (Silver, or no tier at all) wins."""
    from campaigns.targeting import campaigns_targeting_customer
    from loyalty.models import Tier, TierStatus

    fresh, bronze_member, silver_member, below = _customers(4)
    bronze, silver = Tier.objects.get(code="bronze"), Tier.objects.get(code="silver")
    now = timezone.now()
    TierStatus.objects.create(customer_id=bronze_member, tier=bronze, changed_at=now)
    TierStatus.objects.create(customer_id=silver_member, tier=silver, changed_at=now)
    TierStatus.objects.create(customer_id=below, tier=None, changed_at=now)
    to_bronze = _campaign(target=Campaign.Target.TIERS)
    to_bronze.target_tiers.set([bronze])
    to_silver = _campaign(target=Campaign.Target.TIERS)
    to_silver.target_tiers.set([silver])

    def target(campaign):
        sql, params = campaign_target_sql(campaign)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {row[0] for row in cursor.fetchall()}

    assert target(to_bronze) == {fresh, bronze_member}
    assert target(to_silver) == {silver_member}
    assert campaign_target_counts(to_bronze)["target"] == 2
    campaigns = [to_bronze, to_silver]
    assert campaigns_targeting_customer(campaigns, fresh) == {to_bronze.pk}
    assert campaigns_targeting_customer(campaigns, bronze_member) == {to_bronze.pk}
    assert campaigns_targeting_customer(campaigns, silver_member) == {to_silver.pk}
    assert campaigns_targeting_customer(campaigns, below) == set()
