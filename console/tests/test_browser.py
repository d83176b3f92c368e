"""The Marketing console in a real browser: the settings preview and a manual adjustment."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login, screenshot
from loyalty import services
from loyalty.models import ProgramSettings, Tier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_changing_the_cashback_updates_the_preview_before_saving(page, marketing_user, customer):
    services.purchase_record(customer_id=customer.pk, amount="16000.00")
    browser_login(page, "marketing")
    assert "Program overview" in page.inner_text("h1")
    screenshot(page, "console-home")
    page.click("a.nav-link:has-text('Settings')")
    page.wait_for_url("**/settings/")
    # Every customer holds a tier (Bronze starts at 0): the base rate is disabled, the tiers' rates shown.
    assert page.is_disabled("#id_base_cashback_percent")
    expect(page.locator("#preview-rates tbody tr").first).to_contain_text("50 points")
    Tier.objects.filter(code="bronze").update(threshold="1000.00")  # now new customers hold no tier
    page.reload()
    expect(page.locator("#preview-rates tbody tr").first).to_contain_text("Without a tier")
    page.fill("#id_base_cashback_percent", "8")
    expect(page.locator("#preview-rates tbody tr").first).to_contain_text("80 points")
    page.fill("#id_redeem_cap_percent", "0")
    expect(page.locator("#preview-text")).to_contain_text("Fix the highlighted")
    page.fill("#id_redeem_cap_percent", "50")
    expect(page.locator("#preview-rates tbody tr").first).to_contain_text("up to 500.00")
    screenshot(page, "console-settings")
    assert ProgramSettings.objects.get().base_cashback_percent == 5  # nothing saved while typing
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert ProgramSettings.objects.get().base_cashback_percent == 8


def test_manual_adjustment_shows_up_in_the_ledger(page, marketing_user, customer):
    services.purchase_record(customer_id=customer.pk, amount="1000.00")
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/customers/")
    screenshot(page, "console-customers")
    page.fill("#id_q", "8 912 345 67 89")
    page.click("#customer-filter button[type=submit]")
    page.click("#customers a:has-text('Anna Petrova')")
    page.wait_for_url(f"**/customers/{customer.pk}/")
    page.fill("#adjust-form input[name=points]", "120")
    page.fill("#adjust-form input[name=reason]", "Apology for a late delivery")
    page.click("#adjust-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("#balance") == "170"
    first_row = page.locator("#ledger tbody tr, #ledger tr").nth(1).inner_text()
    assert "+120" in first_row and "Apology for a late delivery" in first_row and "marketing" in first_row
    screenshot(page, "console-customer")
    page.goto(f"{page.base_url}/tiers/")
    screenshot(page, "console-tiers")
    page.goto(f"{page.base_url}/audit/")
    audit = page.inner_text("#audit")
    assert "Manual adjustment" in audit and "+120 points: Apology for a late delivery" in audit
    assert "points.adjust" not in audit
    screenshot(page, "console-audit")
