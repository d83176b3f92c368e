"""The messaging pages, a customer's page and the analytics at a phone's width (issue #14, tester): at
375 px no page may scroll sideways; wide tables scroll inside their own box (`.table-responsive`)."""

import pytest

from conftest import browser_login
from loyalty.services import purchase_record
from messaging.services import message_queue, message_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH = 375


@pytest.fixture
def sent_sms(settings, customer):
    """A real SMS to Anna (sent by the console provider) after a real purchase, so that the customer page
    has its lots, ledger, purchases and messages tables filled."""
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "console", "messenger": "console"}
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0  # none
    customer.consent_sms = True
    customer.save(update_fields=["consent_sms"])
    purchase_record(customer_id=customer.pk, amount="1000.00")
    message = message_queue(
        customer_id=customer.pk, channel="sms", kind="points_earned", purpose="service",
        text="Anna, you earned 50 points: https://shop.example.com/points", defer=True,
    )  # fmt: skip
    assert message_send(message_id=message.pk) == "sent"
    return message


def test_no_page_scrolls_sideways_at_375_px(page, marketing_user, customer, sent_sms):
    page.set_viewport_size({"width": WIDTH, "height": 800})
    browser_login(page, "marketing")
    widths = {}
    for path in (
        "/messages/",
        f"/messages/{sent_sms.pk}/",
        "/messages/templates/",
        f"/customers/{customer.pk}/",
        "/analytics/",
    ):
        response = page.goto(f"{page.base_url}{path}")
        assert response.status == 200, path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    too_wide = {path: width for path, width in widths.items() if width > WIDTH}
    assert too_wide == {}, widths
