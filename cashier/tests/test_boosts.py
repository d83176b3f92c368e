"""The till shows what boosts add: in the live quote and on the receipt, part by part."""

import re
from decimal import Decimal

import pytest

from campaigns.models import Campaign
from campaigns.tests.helpers import running_campaign
from loyalty.models import Purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(client, cashier_user):
    client.force_login(cashier_user)
    return client


def _parts(page: str, list_id: str) -> list[tuple[str, str]]:
    block = page[page.index(f'id="{list_id}"') :]
    block = block[: block.index("</ul>")]
    return re.findall(r"<span[^>]*>(.*?)</span><span[^>]*>(.*?)</span>", block)


def test_the_quote_and_the_receipt_show_the_boost(till, customer):
    running_campaign(Campaign.Kind.BOOST, name="Double points weekend", boost_multiplier=Decimal("2"))
    page = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": "1000"}).content.decode()
    assert "earns 100 points" in page
    assert _parts(page, "quote-breakdown") == [("Base cashback", "+50"), ("Boost “Double points weekend”", "+50")]
    response = till.post(
        f"/cashier/customer/{customer.pk}/purchase/",
        {"amount": "1000.00", "redeem_points": "0", "external_id": "", "idempotency_key": "k-1"},
    )
    receipt = till.get(response.url).content.decode()
    assert 'id="points-earned">+100<' in receipt
    assert _parts(receipt, "earned-breakdown") == [("Base cashback", "+50"), ("Boost “Double points weekend”", "+50")]
    assert Purchase.objects.get().earned_points == 100


def test_without_boosts_there_is_no_breakdown(till, customer):
    page = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": "1000"}).content.decode()
    assert "earns 50 points" in page and "quote-breakdown" not in page


def test_a_category_typed_at_the_till_gets_the_category_boost(till, customer):
    running_campaign(Campaign.Kind.BOOST, name="Shoes ×2", boost_multiplier=Decimal("2"), boost_category="shoes")
    card = till.get(f"/cashier/customer/{customer.pk}/").content.decode()
    assert 'id="id_category"' in card and "Shoes ×2" in card[card.index('id="boosts-running"') :]
    # Without a category the boost does not apply; with "Shoes" (any case) it doubles the cashback.
    plain = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": "1000"}).content.decode()
    assert "earns 50 points" in plain
    page = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": "1000", "category": "Shoes"}).content.decode()
    assert "earns 100 points" in page
    assert _parts(page, "quote-breakdown") == [("Base cashback", "+50"), ("Boost “Shoes ×2”", "+50")]
    response = till.post(
        f"/cashier/customer/{customer.pk}/purchase/",
        {"amount": "1000.00", "category": "Shoes", "redeem_points": "", "external_id": "", "idempotency_key": "k-2"},
    )
    receipt = till.get(response.url).content.decode()
    assert 'id="points-earned">+100<' in receipt
    assert _parts(receipt, "earned-breakdown") == [("Base cashback", "+50"), ("Boost “Shoes ×2”", "+50")]
    purchase = Purchase.objects.get()
    assert purchase.earned_points == 100
    assert [(line.category, line.amount) for line in purchase.lines.all()] == [("Shoes", Decimal("1000.00"))]


def test_a_category_longer_than_100_characters_is_a_form_error(till, customer):
    response = till.post(
        f"/cashier/customer/{customer.pk}/purchase/",
        {"amount": "1000.00", "category": "x" * 101, "redeem_points": "", "external_id": "", "idempotency_key": "k-3"},
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 100 characters (it has 101)." in response.content.decode()
    assert not Purchase.objects.exists()


def _card_boosts(till, customer) -> str:
    """The text of the card's "Boosts running now" list ("" when the card has none)."""
    page = till.get(f"/cashier/customer/{customer.pk}/").content.decode()
    if 'id="boosts-running"' not in page:
        return ""
    block = page[page.index('id="boosts-running"') :]
    return block[: block.index("</ul>")]


def test_the_card_lists_only_the_boosts_this_customer_gets_now(till, customer, monkeypatch):
    """Wednesday 9:00 in the shop: a weekend boost and a 10-12 boost do not apply now; a Gold boost does
    not apply to a Silver customer; a spent budget earns nothing. Only the everyone boost is listed."""
    import datetime as dt

    from django.utils import timezone

    from campaigns.tests.helpers import shop_clock
    from loyalty.models import Tier, TierStatus

    shop_clock(monkeypatch, dt.date(2026, 3, 4), hour=9)  # a Wednesday
    TierStatus.objects.create(customer=customer, tier=Tier.objects.get(code="silver"), changed_at=timezone.now())
    boost = Campaign.Kind.BOOST
    gold = running_campaign(boost, name="Gold ×2", boost_multiplier=Decimal("2"), target=Campaign.Target.TIERS)
    gold.target_tiers.set([Tier.objects.get(code="gold")])
    running_campaign(boost, name="Weekend ×2", boost_multiplier=Decimal("2"), boost_weekdays=[5, 6])
    running_campaign(boost, name="Late morning ×2", boost_multiplier=Decimal("2"), boost_hour_from=10, boost_hour_to=12)
    running_campaign(boost, name="Spent ×2", boost_multiplier=Decimal("2"), budget_points=10, points_granted=10)
    running_campaign(boost, name="Everyone ×2", boost_multiplier=Decimal("2"))
    running_campaign(boost, name="Shoes ×3", boost_multiplier=Decimal("3"), boost_category="shoes")
    listed = _card_boosts(till, customer)
    assert "Everyone ×2" in listed
    assert "Shoes ×3 — category “shoes”" in listed
    for name in ("Gold ×2", "Weekend ×2", "Late morning ×2", "Spent ×2"):
        assert name not in listed
    gold.target_tiers.set([Tier.objects.get(code="silver")])
    assert "Gold ×2" in _card_boosts(till, customer)


def test_the_card_leaves_out_a_boost_whose_holdout_holds_the_customer(till):
    from campaigns.tests.helpers import customer_in

    campaign = running_campaign(
        Campaign.Kind.BOOST, name="Held ×2", boost_multiplier=Decimal("2"), holdout_percent=Decimal("50")
    )
    assert "Held ×2" not in _card_boosts(till, customer_in(campaign, holdout=True))
    assert "Held ×2" in _card_boosts(till, customer_in(campaign, holdout=False))
