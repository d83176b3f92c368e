"""The till in a real browser: find by a phone typed in another format, redeem the maximum, confirm."""

import pytest

from conftest import browser_login, screenshot
from loyalty import services
from loyalty.models import PointsAccount, Purchase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_cashier_finds_customer_redeems_the_maximum_and_sees_the_new_balance(page, cashier_user, customer):
    services.points_award(customer_id=customer.pk, points=1000, reason="Opening balance")
    browser_login(page, "cashier")
    assert page.url.endswith("/cashier/")
    # The search field has focus on load: type straight away, as a cashier would (once it has it: under
    # load the first keys could otherwise go nowhere).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_q'")
    page.keyboard.type("8 (912) 345-67-89")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cashier/customer/{customer.pk}/")
    assert page.inner_text("#balance") == "1,000"
    page.fill("#id_amount", "1000")
    # htmx updates the maximum as the amount is typed, without reloading the page.
    page.wait_for_selector("#max-redeem[data-max='300']")
    screenshot(page, "cashier-card")
    page.click("#use-max")
    assert page.input_value("#id_redeem_points") == "300"
    page.click("#purchase-form button[type=submit]")
    page.wait_for_url("**/cashier/purchase/*/")
    assert page.inner_text("#points-spent") == "300"
    assert page.inner_text("#paid") == "700.00\u00a0₽"
    assert page.inner_text("#points-earned") == "+35"
    assert page.inner_text("#new-balance") == "735"
    screenshot(page, "cashier-receipt")
    assert Purchase.objects.count() == 1
    assert PointsAccount.objects.get(pk=customer.pk).balance == 735


def test_cashier_is_refused_the_back_office(page, cashier_user, program):
    browser_login(page, "cashier")
    response = page.goto(f"{page.base_url}/tiers/")
    assert response.status == 403
    assert "Not allowed" in page.inner_text("h1")
    assert page.locator("a.nav-link", has_text="Tiers").count() == 0


def test_tampered_maximum_is_refused_on_the_page(page, cashier_user, customer):
    services.points_award(customer_id=customer.pk, points=1000, reason="Opening balance")
    browser_login(page, "cashier")
    page.goto(f"{page.base_url}/cashier/customer/{customer.pk}/")
    page.fill("#id_amount", "1000")
    page.wait_for_selector("#max-redeem[data-max='300']")
    # Get round the input's max attribute, as a tampered form would.
    page.evaluate("document.getElementById('id_redeem_points').removeAttribute('max')")
    page.fill("#id_redeem_points", "500")
    page.click("#purchase-form button[type=submit]")
    page.wait_for_selector("#redeem-error")
    assert "at most 300 can be redeemed" in page.inner_text("#redeem-error")
    assert Purchase.objects.count() == 0


def test_a_category_typed_at_the_till_doubles_the_points_with_its_boost(page, cashier_user, customer):
    """A running "Shoes ×2" boost (category "shoes"): the card lists it, typing "Shoes" in Category updates
    the live quote to twice the points, and the receipt shows the boost's part."""
    from decimal import Decimal

    from campaigns.models import Campaign
    from campaigns.tests.helpers import running_campaign

    running_campaign(Campaign.Kind.BOOST, name="Shoes ×2", boost_multiplier=Decimal("2"), boost_category="shoes")
    browser_login(page, "cashier")
    page.goto(f"{page.base_url}/cashier/customer/{customer.pk}/")
    assert "Shoes ×2" in page.inner_text("#boosts-running")
    page.fill("#id_amount", "1000")
    page.wait_for_selector("#redeem-help >> text=Without points this purchase earns 50 points.")
    page.fill("#id_category", "Shoes")
    page.wait_for_selector("#redeem-help >> text=Without points this purchase earns 100 points.")
    assert "Boost “Shoes ×2”" in page.inner_text("#quote-breakdown")
    page.click("#purchase-form button[type=submit]")
    page.wait_for_url("**/cashier/purchase/*/")
    assert page.inner_text("#points-earned") == "+100"
    assert "Boost “Shoes ×2”" in page.inner_text("#earned-breakdown")


def test_a_boost_with_a_long_unbroken_name_stays_inside_a_phone_wide_till(page, cashier_user, customer):
    """A 120-character name without spaces (the longest a campaign's name may be) wraps inside the card
    and the quote: the page is never wider than a 375-pixel screen (tester finding: it grew to 1 334)."""
    from decimal import Decimal

    from campaigns.models import Campaign
    from campaigns.tests.helpers import running_campaign

    name = "Arabica" + "x" * 113
    running_campaign(Campaign.Kind.BOOST, name=name, boost_multiplier=Decimal("2"))
    page.set_viewport_size({"width": 375, "height": 800})
    browser_login(page, "cashier")
    page.goto(f"{page.base_url}/cashier/customer/{customer.pk}/")
    page.fill("#id_amount", "1000")
    page.wait_for_selector("#redeem-help >> text=Without points this purchase earns 100 points.")
    assert name in page.inner_text("#quote-breakdown").replace("\n", "")
    screenshot(page, "till-long-boost-name")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
