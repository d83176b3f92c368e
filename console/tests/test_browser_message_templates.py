"""The template editor in a real browser (issue #14): typing a template updates the live preview, rendered
for a real customer found by phone, with the SMS's length and segments; no console errors."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login, screenshot
from loyalty.services import points_award
from messaging.models import MessageTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_typing_a_template_updates_the_preview_for_a_real_customer(page, marketing_user, customer):
    points_award(customer_id=customer.pk, points=21, reason="Welcome", use_lifetime=False)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(page, "marketing")
    page.click("a.nav-link.dropdown-toggle:has-text('Messages')")
    page.click(".dropdown-menu a:has-text('Templates')")
    page.wait_for_url("**/messages/templates/")
    page.click("td[data-slot='points_earned/sms/ru'] a:has-text('Write')")
    page.wait_for_url("**/messages/templates/points_earned/sms/ru/")
    page.fill("#id_customer", "8 912 345 67 89")
    expect(page.locator("#preview-customer")).to_contain_text("For Anna Petrova")
    page.locator("#id_body").press_sequentially("{name}, у вас {balance}")
    expect(page.locator("#preview-text")).to_have_text("Anna, у вас 21 балл")
    expect(page.locator("#preview-sms")).to_contain_text("19 characters, 1 segment")
    page.locator("#id_body").press_sequentially(" {bonus}")
    expect(page.locator("#preview-problem")).to_contain_text("Unknown placeholders: {bonus}.")
    for _ in range(len(" {bonus}")):
        page.locator("#id_body").press("Backspace")
    page.locator("#id_body").press_sequentially("!" + "я" * 60)
    expect(page.locator("#preview-sms")).to_contain_text("80 characters, 2 segments")
    screenshot(page, "console-message-template")
    assert not MessageTemplate.objects.exists()  # nothing saved while typing
    page.click("#template-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert MessageTemplate.objects.get().body == "{name}, у вас {balance}!" + "я" * 60
    assert errors == []
