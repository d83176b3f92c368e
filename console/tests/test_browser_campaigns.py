"""A campaign made in a real browser, in English and in Russian: choose the kind, fill its form (points
typed the language's way), read the preview, launch it after the confirmation; no console errors."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from conftest import browser_login, screenshot
from core.models import AuditEntry
from messaging.models import MessageTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _template(campaign: Campaign) -> None:
    """The campaign's SMS text (a row: the template editor has its own tests)."""
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel="sms", language="en", body="Hi {name}", updated_at=timezone.now()
    )


@pytest.mark.parametrize(("language", "points"), [("en", "1,000"), ("ru", "1 000")])
def test_create_preview_and_launch_a_campaign(page, marketing_user, customer_factory, language, points):
    # The campaign screens' Russian texts come with the lead's locale merge; the page is checked by its data
    # attributes, and the numbers typed the language's way ("1 000" in Russian, "1,000" in English).
    for _ in range(4):
        customer_factory()
    errors = _watch_errors(page)
    if language == "ru":
        page.context.add_cookies([{"name": "django_language", "value": "ru", "url": page.base_url}])
    browser_login(page, "marketing")
    page.locator("nav a[href='/campaigns/']").click()
    page.wait_for_url("**/campaigns/")
    page.click("#new-campaign")
    page.click("#new-campaign-kinds a[data-kind='broadcast']")
    page.wait_for_url("**/campaigns/new/broadcast/")
    page.fill("#id_name", "Double weekend")
    page.fill("#id_points", points)
    page.check("input[name=channels][value=sms]")
    page.fill("input[name='variants-0-code']", "A")
    page.fill("input[name='variants-0-points']", points)
    page.fill("input[name='variants-1-code']", "B")
    page.fill("input[name='variants-1-points']", "500")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_url("**/campaigns/*/")
    campaign = Campaign.objects.get()
    assert list(campaign.variants.values_list("code", "points")) == [("A", 1000), ("B", 500)]
    expect(page.locator("#preview-target")).to_have_text("4")
    # SMS chosen, its text not written yet: the preview says so and the launch button is disabled
    expect(page.locator("#launch-problems")).to_contain_text("SMS")
    expect(page.locator("#launch-form button")).to_be_disabled()
    _template(campaign)
    page.reload()
    expect(page.locator("#launch-ready")).to_be_visible()
    if language == "en":
        screenshot(page, "console-campaign-preview")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#launch-form button").click()
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active")
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert AuditEntry.objects.filter(action="campaign.launch", actor=marketing_user).count() == 1
    page.goto(f"{page.base_url}/campaigns/")
    expect(page.locator(f"#campaigns tr[data-campaign='{campaign.pk}'] [data-status]")).to_have_attribute(
        "data-status", "active"
    )
    expect(page.locator("html")).to_have_attribute("lang", language)
    if language == "en":
        screenshot(page, "console-campaigns")
        page.goto(f"{page.base_url}/campaigns/{campaign.pk}/results/")
        expect(page.locator("#results tr[data-figure='uplift']")).to_contain_text("not enough data")
    assert errors == []


def test_a_dismissed_confirmation_launches_nothing(page, marketing_user, program):
    from campaigns.services.changes import campaign_create

    campaign = campaign_create(values={"name": "Hello", "kind": "broadcast", "channels": ["sms"]})
    _template(campaign)
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/campaigns/{campaign.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#launch-form button").click()
    page.wait_for_timeout(300)
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_the_results_of_a_campaign_with_enough_customers(page, marketing_user, customer_factory, program):
    """30 treated of whom 18 bought, 30 in the holdout of whom 9 did: +30.0 pp, 95 % CI +6.0 … +54.0
    (SE = √(0.6·0.4/30 + 0.3·0.7/30) = √0.015 = 0.12247, × 1.96 = 0.24005)."""
    import datetime as dt

    from django.utils import timezone

    from campaigns.models import CampaignGrant
    from campaigns.services.changes import campaign_create
    from loyalty import services

    campaign = campaign_create(values={"name": "We miss you", "kind": "broadcast", "points": 200, "channels": ["sms"]})
    at = timezone.now() - dt.timedelta(days=20)
    for i in range(60):
        customer = customer_factory()
        holdout = i >= 30
        entry = None
        if not holdout:
            entry = services.points_award(
                customer_id=customer.pk, points=200, reason="We miss you", source=campaign.ledger_source, now=at
            )
        CampaignGrant.objects.create(
            campaign=campaign,
            customer=customer,
            occasion="broadcast",
            holdout=holdout,
            points=0 if holdout else 200,
            entry=entry,
            at=at,
        )
        if (not holdout and i < 18) or (holdout and i < 39):
            services.purchase_record(
                customer_id=customer.pk,
                amount="1500.00",
                redeem_points=200 if i < 6 else 0,
                now=at + dt.timedelta(days=2),
            )
    errors = _watch_errors(page)
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/campaigns/")
    expect(page.locator(f"#campaigns tr[data-campaign='{campaign.pk}'] [data-uplift]")).to_have_text(
        "+30.0 pp (95 % CI +6.0 … +54.0)"
    )
    page.locator(f"#campaigns tr[data-campaign='{campaign.pk}'] [data-uplift] a").click()
    expect(page.locator("#results tr[data-figure='buyers']")).to_contain_text("18")
    screenshot(page, "console-campaign-results")
    assert errors == []
