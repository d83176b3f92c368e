"""Tester findings on the campaigns console: the edit of a launched campaign keeps launch's checks, the
preview says when the budget stops short, a boost's settings box, the list upload's wording and pieces,
variant errors, message-only campaigns whose texts use the grant's placeholders, the results' figures."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services.changes import campaign_create, campaign_launch
from messaging.models import MessageTemplate

from .test_campaigns import _post_as_the_browser

pytestmark = pytest.mark.django_db


def _template(campaign, channel="sms", body="Hi"):
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel=channel, language="en", body=body, updated_at=timezone.now()
    )


@pytest.fixture
def launched(program):
    """A launched broadcast of 10 points with a budget of 30, by SMS (its text written)."""
    campaign = campaign_create(
        values={"name": "Promo", "kind": "broadcast", "points": 10, "budget_points": 30, "channels": ["sms"]}
    )
    _template(campaign)
    campaign_launch(campaign_id=campaign.pk)
    return campaign


def test_a_launched_broadcasts_budget_cannot_go_below_its_grant(console, launched):
    url = f"/campaigns/{launched.pk}/edit/"
    response = _post_as_the_browser(console, url, {"budget_points": "5"})
    assert response.status_code == 400
    assert "The budget (5) does not cover the largest grant (10)." in response.content.decode()
    launched.refresh_from_db()
    assert launched.budget_points == 30
    assert _post_as_the_browser(console, url, {"budget_points": "10"}).status_code == 302
    launched.refresh_from_db()
    assert launched.budget_points == 10


@pytest.mark.parametrize(
    ("channels", "error"),
    [
        (
            ["email"],
            "The channel Email has no message template: write it on the campaign&#x27;s page (Messages), or remove the channel.",
        ),
        ([], "A broadcast is a message: choose its channels."),
    ],
)
def test_a_launched_broadcasts_channels_need_their_templates(console, launched, channels, error):
    url = f"/campaigns/{launched.pk}/edit/"
    response = _post_as_the_browser(console, url, {"channels": channels})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert "write it below" not in page  # the edit page has no Messages section: it is on the campaign's page
    launched.refresh_from_db()
    assert launched.channels == ["sms"]


def test_a_launched_campaign_with_a_template_deleted_since_can_still_be_renamed(console, launched):
    MessageTemplate.objects.filter(kind=launched.message_kind).delete()
    assert _post_as_the_browser(console, f"/campaigns/{launched.pk}/edit/", {"name": "Promo 2"}).status_code == 302
    launched.refresh_from_db()
    assert launched.name == "Promo 2"


def test_the_preview_says_how_many_treated_customers_the_budget_covers(console, program, customer_factory):
    for _i in range(24):
        customer_factory()
    campaign = campaign_create(
        values={
            "name": "Promo", "kind": "broadcast", "points": 10, "budget_points": 30, "holdout_percent": 0,
            "channels": ["sms"],
        }
    )  # fmt: skip
    _template(campaign)
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="preview-treated">24<' in page
    assert "The budget covers 3 of the 24 treated customers; 21 will get nothing." in page
    assert 'id="launch-ready"' in page  # allowed: a budget that stops granting is a feature


def test_the_preview_says_a_budget_may_run_out_for_other_kinds(console, program, customer_factory):
    for _i in range(3):
        customer_factory(birthday=dt.date(1990, 6, 10))
    campaign = campaign_create(
        values={"name": "Birthday", "kind": "birthday", "points": 100, "budget_points": 150, "holdout_percent": 0}
    )
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert (
        "The budget may run out before every treated customer is granted: one grant each would take 300 points, "
        "more than the budget has left." in page
    )
    campaign_create(values={"name": "Enough", "kind": "birthday", "points": 100, "budget_points": 300})
    page = console.get(f"/campaigns/{Campaign.objects.get(name='Enough').pk}/").content.decode()
    assert 'id="preview-budget"' not in page


def _settings_box(console, campaign_id: int) -> str:
    page = console.get(f"/campaigns/{campaign_id}/").content.decode()
    return page[page.index('id="campaign-settings"') : page.index('id="campaign-actions"')]


def test_a_boosts_settings_box_shows_its_days_hours_category_and_limit(console, program):
    values = {"name": "Night", "kind": "boost", "boost_multiplier": 2}
    night = campaign_create(
        values={
            **values, "boost_weekdays": [0], "boost_hour_from": 22, "boost_hour_to": 2, "boost_category": "Coffee",
            "per_customer_limit": 2,
        }
    )  # fmt: skip
    box = _settings_box(console, night.pk)
    assert 'id="boost-weekdays">Monday<' in box and 'id="boost-hours">22:00–02:00<' in box
    assert "Category</dt>" in box and 'id="boost-category">Coffee<' in box
    assert "at most 2 boosted purchases" in box and "once per occasion" not in box
    box = _settings_box(console, campaign_create(values={**values, "name": "Always"}).pk)
    assert 'id="boost-weekdays">every day<' in box and 'id="boost-hours">all day<' in box
    assert 'id="boost-category">every purchase line<' in box and 'id="campaign-limit">no limit<' in box
    console.cookies["django_language"] = "ru"
    box = _settings_box(console, night.pk)
    assert 'id="boost-weekdays">Понедельник<' in box


def test_a_boost_offers_no_channels_and_shows_no_message_templates(console, program):
    form = console.get("/campaigns/new/boost/").content.decode()
    assert 'name="channels"' not in form
    assert "A boost sends no message: it shows at the till and on the receipt." in form
    assert 'name="channels"' in console.get("/campaigns/new/broadcast/").content.decode()
    boost = campaign_create(values={"name": "Night", "kind": "boost", "boost_multiplier": 2, "channels": ["sms"]})
    page = console.get(f"/campaigns/{boost.pk}/").content.decode()
    assert 'id="campaign-templates"' not in page and 'id="campaign-channels"' not in page
    assert "A boost sends no message: it shows at the till and on the receipt." in page


def _list_campaign():
    return campaign_create(values={"name": "VIP", "kind": "broadcast", "target": "list", "channels": ["sms"]})


def test_a_valid_card_next_to_junk_in_pasted_text_is_not_lost(console, program, customer_factory):
    first, second = customer_factory(), customer_factory()
    campaign = _list_campaign()
    text = f"+7 (960) 167-44-92, 8 906 756 02 08; {first.card_number} 12 abc {second.card_number}"
    page = console.post(f"/campaigns/{campaign.pk}/list/", {"text": text}).content.decode()
    assert "4 phones or card numbers found." in page and "repeat" not in page
    assert "1 piece not recognised:" in page and "line 1: …" in page  # "12 abc"
    assert "2 added" in page
    assert set(campaign.list_members.values_list("customer_id", flat=True)) == {first.pk, second.pk}


def test_list_counts_use_plural_forms(console, program, customer_factory):
    customer = customer_factory(phone="+79161234567")
    campaign = _list_campaign()
    page = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "+79161234567\n8 916 123 45 67"}).content.decode()
    assert "1 phone or card number found. 1 repeat left out." in page
    response = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "hello"})
    assert response.status_code == 400
    assert "No phone or card number recognised in the pasted text (1 piece not recognised)." in (
        response.content.decode()
    )
    assert list(campaign.list_members.values_list("customer_id", flat=True)) == [customer.pk]


def test_a_files_line_with_no_phone_is_not_recognised_rather_than_matching_no_customer(
    console, program, customer_factory
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = customer_factory(phone="+79161234567")
    campaign = _list_campaign()
    upload = SimpleUploadedFile("list.csv", b"phone\n+79161234567\nnot-a-phone\n+79031112233\n")
    page = console.post(f"/campaigns/{campaign.pk}/list/", {"file": upload}).content.decode()
    assert "Read 3 lines: 1 added, 0 already on the list." in page
    assert "1 line not recognised (no phone or card number):" in page and "line 3: no…ne" in page
    assert "1 line matched no customer:" in page and "line 4: +7 903" in page
    assert "phone or card number found" not in page
    assert list(campaign.list_members.values_list("customer_id", flat=True)) == [customer.pk]


def test_a_list_posted_to_a_campaign_without_a_list_target_is_refused(console, program, customer_factory):
    customer_factory(phone="+79161234567")
    campaign = campaign_create(values={"name": "Birthday", "kind": "birthday", "points": 100, "target": "everyone"})
    response = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "+79161234567"})
    assert response.status_code == 400
    assert (
        'id="action-error">This campaign&#x27;s target is not an uploaded list: choose “Uploaded list” as its target '
        "first.<" in response.content.decode()
    )
    assert not campaign.list_members.exists()


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ((("A", "10001"), ("B", "20")), "Ensure this value is less than or equal to 10,000."),
        ((("A-1", "10"), ("B", "20")), "A variant&#x27;s code is 1 to 10 letters or digits (A, B)."),
    ],
)
def test_a_variant_row_shows_only_its_real_error(console, program, rows, error):
    data = {
        "name": "Promo", "target": "everyone", "holdout_percent": "10", "points": "", "response_days": "14",
        "variants-TOTAL_FORMS": str(len(rows) + 1), "variants-INITIAL_FORMS": "0",
    }  # fmt: skip
    for index, (code, points) in enumerate(rows):
        data[f"variants-{index}-code"], data[f"variants-{index}-points"] = code, points
    response = console.post("/campaigns/new/broadcast/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page and "A variant needs its code and points." not in page
    assert not Campaign.objects.exists()
    data["variants-0-points"] = ""  # a row really missing its points still says so
    page = console.post("/campaigns/new/broadcast/", {**data, "variants-0-code": "A"}).content.decode()
    assert "A variant needs its code and points." in page


def test_a_zero_point_broadcast_whose_message_uses_points_is_not_ready_and_not_launched(console, program):
    campaign = campaign_create(values={"name": "News", "kind": "broadcast", "points": 0, "channels": ["sms"]})
    _template(campaign, body="You got {points}, valid until {expires_on}.")
    error = (
        "This campaign grants no points, but its message (SMS) uses {points}, {expires_on} or {valid_through}, "
        "which would be empty: remove them from the text, or give points."
    )
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert error in page and 'id="launch-ready"' not in page
    response = console.post(f"/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 400 and error in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    MessageTemplate.objects.filter(kind=campaign.message_kind).update(body="Our shop has news.")
    assert 'id="launch-ready"' in console.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_a_russian_date_at_the_end_of_a_sentence_keeps_one_period():
    from messaging.rules import template_render

    values = {"points": "10 баллов", "expires_on": "31 января 2027 г."}
    assert template_render("Вам начислено {points}, действуют до {expires_on}.", values) == (
        "Вам начислено 10 баллов, действуют до 31 января 2027 г."
    )
    assert template_render("До {expires_on}... и {points}.", values) == "До 31 января 2027 г.... и 10 баллов."


def test_the_revenue_uplift_reads_like_the_rate_uplift_and_incremental_customers_have_two_decimals(
    console, launched, customer_factory, t0
):
    """30 treated and 30 holdout customers (the revenue uplift's minimum); 6 treated and 4 holdout bought
    100.00: revenue per customer 20.00 vs 13.33, uplift +6.67 ₽; incremental returning customers
    (6/30 − 4/30) × 30 = 2.00 on the page and in the CSV."""
    from campaigns.models import CampaignGrant
    from loyalty import services

    for holdout, buyers in ((False, 6), (True, 4)):
        for index in range(30):
            customer = customer_factory()
            CampaignGrant.objects.create(
                campaign=launched, customer=customer, occasion="broadcast", holdout=holdout, at=t0
            )
            if index < buyers:
                services.purchase_record(customer_id=customer.pk, amount="100.00", now=t0 + dt.timedelta(days=1))
    page = console.get(f"/campaigns/{launched.pk}/results/").content.decode()
    row = page.split('data-figure="revenue_uplift"', 1)[1].split("</tr>", 1)[0]
    assert ">+6.67\u00a0₽ (95 % CI \u221212.44\u00a0₽ … +25.77\u00a0₽)<" in row
    row = page.split('data-figure="incremental"', 1)[1].split("</tr>", 1)[0]
    assert ">2.00<" in row
    response = console.get(f"/campaigns/{launched.pk}/results.csv")
    csv = b"".join(response.streaming_content).decode()
    assert ",2.00," in csv.splitlines()[1]
