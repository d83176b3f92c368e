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


def _in_russian(page) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "ru", "url": page.base_url}])


def _too_wide(page, paths, width: int) -> dict:
    """{path: its page's width} of the `paths` whose page is wider than the window (`width` px)."""
    page.set_viewport_size({"width": width, "height": 800})
    widths = {}
    for path in paths:
        response = page.goto(f"{page.base_url}{path}")
        assert response.status == 200, path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    return {path: value for path, value in widths.items() if value > width}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_audit_log_settings_and_the_till_card_fit_375_and_1024_px(page, superuser, customer, language):
    """The tester's pages: the audit log (its changes column) at 375 px and at 1024 px in Russian, the
    settings page (its preview table) and the till's card with its last purchases at 375 px."""
    from core.audit import AuditAction, audit_record
    from loyalty.services import program_settings_update, purchase_refund

    for index in range(3):
        result = purchase_record(customer_id=customer.pk, amount="1234567.90", external_id=f"CHK-2611-{index:06d}")
    purchase_refund(purchase_id=result.purchase.pk, amount="1000.00")  # a "refunded" badge in the amount cell
    program_settings_update(actor=superuser, boost_combine="sum", boost_cap_percent="10", points_lifetime_days=None)
    audit_record(
        action=AuditAction.MESSAGE_TEMPLATE_SAVE,
        obj=None,
        summary="Template saved",
        actor=superuser,
        origin="job:campaigns_daily",
        changes={"template": "points_earned / email / ru", "body": ["x" * 300, "Длинный текст " * 30]},
    )
    if language == "ru":
        _in_russian(page)
    browser_login(page, "root")
    paths = ["/audit/", "/settings/", f"/cashier/customer/{customer.pk}/"]
    assert _too_wide(page, paths, WIDTH) == {}
    assert _too_wide(page, ["/audit/"], 1024) == {}


def test_a_campaign_with_a_long_unbroken_name_fits_its_pages(page, marketing_user, program):
    """A 120-character name without spaces (the longest a name may be): the campaign's page, its results and
    its edit form stay within the window at 375 and 1280 px (the retest saw them 3 700 px wide)."""
    from decimal import Decimal

    from campaigns.models import Campaign
    from campaigns.tests.helpers import running_campaign

    campaign = running_campaign(Campaign.Kind.BOOST, name="Ж" * 120, boost_multiplier=Decimal("2"))
    browser_login(page, "marketing")
    paths = [f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/results/", f"/campaigns/{campaign.pk}/edit/"]
    assert _too_wide(page, paths, WIDTH) == {}
    assert _too_wide(page, paths, 1280) == {}
