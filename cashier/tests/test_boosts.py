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
    return re.findall(r"<span>(.*?)</span><span>(.*?)</span>", block)


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
