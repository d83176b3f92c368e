"""The Marketing console in a real browser: the settings preview and a manual adjustment."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login, screenshot
from customers.services import customer_enrol
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
    expect(page.locator("#preview-text")).to_contain_text("Fix these values")
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


# Every label and control of the filter form, checked for sticking out of its column or the form, and for
# covering another one (two date inputs in a narrow column used to spill over the next field).
FORM_OVERLAPS_JS = """(form) => {
  const box = (el) => el.getBoundingClientRect();
  const name = (el) => el.id || el.name || el.textContent.trim();
  const items = [...form.querySelectorAll("label, input:not([type=hidden]), select, button, a")];
  const problems = [];
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5;
  items.forEach((el, i) => {
    const a = box(el);
    const column = el.closest(".row > div") || form;
    if (!inside(a, box(column))) problems.push(`${name(el)} sticks out of its column`);
    if (!inside(a, box(form))) problems.push(`${name(el)} sticks out of the form`);
    for (const other of items.slice(i + 1)) {
      const b = box(other);
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        problems.push(`${name(el)} overlaps ${name(other)}`);
    }
  });
  return problems;
}"""


@pytest.mark.parametrize(
    ("language", "balance", "options"),
    [("en", "Balance", ["Any", "Yes", "No"]), ("ru", "Баланс", ["Любой", "Да", "Нет"])],
)
def test_customer_filters_fit_at_1280_px_and_headers_sort(page, marketing_user, program, language, balance, options):
    anna = customer_enrol(name="Anna Petrova", phone="+79123456789")
    boris = customer_enrol(name="Boris Sidorov", phone="+79001112233")
    customer_enrol(name="Vera Never", phone="+79001112244")
    services.purchase_record(customer_id=anna.pk, amount="2000.00")  # 100 points
    services.purchase_record(customer_id=boris.pk, amount="1000.00")  # 50 points
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/customers/")
    assert page.viewport_size == {"width": 1280, "height": 900}
    assert page.locator("#customer-filter").evaluate(FORM_OVERLAPS_JS) == []
    assert page.locator("#id_never_bought option").all_inner_texts() == options
    assert page.locator("#id_tier option").first.inner_text() == options[0]

    names = page.locator("#customers tbody td:first-child")
    header = page.locator("#customers th", has_text=balance)
    header.locator("a").click()
    expect(names).to_have_text(["Vera Never", "Boris Sidorov", "Anna Petrova"])
    expect(header).to_have_text(f"{balance} ↑")
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.locator("a").click()
    expect(names).to_have_text(["Anna Petrova", "Boris Sidorov", "Vera Never"])
    expect(header).to_have_text(f"{balance} ↓")
    # Filtering keeps the order; the filter stays out of the URL, the order is in it.
    page.fill("#customer-filter input[name=balance_min]", "1")
    page.click("#customer-filter button[type=submit]")
    expect(names).to_have_text(["Anna Petrova", "Boris Sidorov"])
    assert "sort=-balance" in page.url and "balance_min" not in page.url
    expect(header).to_have_text(f"{balance} ↓")
