"""Saved segments in a real browser: filter the customer list, save it as a segment, find it on the saved
segments page with its count, open the list with it applied, rename it, delete it after the confirmation."""

import pytest
from playwright.sync_api import expect

from analytics.models import SavedSegment
from analytics.segment_services import saved_segment_create
from conftest import browser_login
from customers.services import customer_enrol
from loyalty import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_save_the_filtered_list_as_a_segment_and_use_it(page, marketing_user, program):
    for name, phone, amount in (
        ("Gleb Orlov", "+79001112255", "12000.00"),  # 600 points
        ("Dina Volkova", "+79001112266", "14000.00"),  # 700 points
        ("Boris Sidorov", "+79001112233", "1000.00"),  # 50 points
    ):
        customer = customer_enrol(name=name, phone=phone)
        services.purchase_record(customer_id=customer.pk, amount=amount)
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/customers/")
    page.fill("input[name=balance_min]", "500")
    page.click("#customer-filter button[type=submit]")
    expect(page.locator("#result-count")).to_have_text("2 customers")
    page.click("#save-segment summary")
    expect(page.locator("#save-segment")).to_contain_text("Filter: Balance from 500 points")
    page.fill("#save-segment input[name=name]", "Worth a nudge")
    page.click("#save-segment button[type=submit]")
    page.wait_for_url("**/analytics/saved-segments/")
    row = page.locator("#saved-segments tbody tr").first
    expect(row).to_contain_text("Worth a nudge")
    expect(row).to_contain_text("Balance from 500 points")
    expect(row.locator("[data-count]")).to_have_text("2")

    row.locator("a:has-text('Customers')").click()
    expect(page.locator("#saved-segment")).to_contain_text("Saved segment “Worth a nudge”")
    expect(page.locator("#customers tbody tr")).to_have_count(2)

    page.goto(f"{page.base_url}/analytics/saved-segments/")
    page.locator("#saved-segments a:has-text('Edit')").click()
    page.fill("#id_name", "Five hundred plus")
    page.click("#edit-segment-form button[type=submit]")
    expect(page.locator("#saved-segments")).to_contain_text("Five hundred plus")

    page.locator("#saved-segments a:has-text('Delete')").click()
    expect(page.locator("h1")).to_have_text("Delete saved segment")
    assert SavedSegment.objects.count() == 1  # the confirmation page deletes nothing
    page.click("#delete-segment-form button[type=submit]")
    expect(page.locator("#no-saved-segments")).to_be_visible()
    assert not SavedSegment.objects.exists()


def test_a_long_name_and_description_without_spaces_wrap_inside_their_cells(page, marketing_user, program):
    # 100 characters of name, 500 of description, no spaces: once they pushed the count and the links
    # off a 1280-pixel window (the table scrolled sideways).
    name, description = "Я" * 100, "d" * 500
    long = saved_segment_create(
        name=name, description=description, filters={"never_bought": "true"}, actor=marketing_user
    )
    saved_segment_create(
        name="Inside", filters={"saved": str(long.pk)}, actor=marketing_user
    )  # its filter names the long one
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/analytics/saved-segments/")
    assert page.viewport_size["width"] == 1280
    expect(page.locator("#saved-segments")).to_contain_text(name)
    overflow = page.evaluate(
        """() => {
            const box = document.querySelector("#saved-segments").closest(".table-responsive");
            return {scroll: box.scrollWidth, client: box.clientWidth, page: document.documentElement.scrollWidth};
        }"""
    )
    assert overflow["scroll"] <= overflow["client"] and overflow["page"] <= 1280, overflow
    for row in page.locator("#saved-segments tbody tr").all():
        for cell in ("[data-count]", "a:has-text('Delete')"):
            right = row.locator(cell).bounding_box()
            assert right["x"] + right["width"] <= 1280, (cell, right)
