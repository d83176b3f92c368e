"""The campaign screens: login and the Marketing permission on every page, the form per kind and its
errors (nothing written), launch / pause / resume / finish by POST with their refusals, the uploaded list,
the results page and its CSV, and the template editor for a campaign's message."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from campaigns.models import BoostGrant, Campaign, CampaignGrant, CampaignListMember
from campaigns.services.changes import campaign_create, campaign_launch
from core.models import AuditEntry
from messaging.models import MessageTemplate
from messaging.services import template_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(program):
    """A broadcast by SMS with its SMS text written (a channel without one stops the launch)."""
    created = campaign_create(values={"name": "Spring", "kind": "broadcast", "points": 100, "channels": ["sms"]})
    MessageTemplate.objects.create(  # a row, not template_save: no audit row of its own
        kind=created.message_kind, channel="sms", language="en", body="Spring sale, {name}", updated_at=timezone.now()
    )
    return created


def _pages(campaign_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/campaigns/"),
        ("get", "/campaigns/new/welcome/"),
        ("get", f"/campaigns/{campaign_id}/"),
        ("get", f"/campaigns/{campaign_id}/edit/"),
        ("get", f"/campaigns/{campaign_id}/results/"),
        ("get", f"/campaigns/{campaign_id}/results.csv"),
        ("post", f"/campaigns/{campaign_id}/launch/"),
        ("post", f"/campaigns/{campaign_id}/pause/"),
        ("post", f"/campaigns/{campaign_id}/resume/"),
        ("post", f"/campaigns/{campaign_id}/finish/"),
        ("post", f"/campaigns/{campaign_id}/list/"),
        ("post", f"/campaigns/{campaign_id}/delete/"),
    ]


def test_every_page_needs_a_login_and_the_marketing_permission(client, campaign, cashier_user):
    for method, url in _pages(campaign.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url
    client.force_login(cashier_user)
    for method, url in _pages(campaign.pk):
        assert getattr(client, method)(url).status_code == 403, url
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_the_nav_shows_campaigns_to_marketing_only(client, console, cashier_user):
    assert 'href="/campaigns/"' in console.get("/").content.decode()
    client.force_login(cashier_user)
    assert 'href="/campaigns/"' not in client.get("/cashier/").content.decode()


def test_the_list_shows_each_campaign_and_its_uplift_or_not_enough_data(console, campaign):
    page = console.get("/campaigns/").content.decode()
    assert "Spring" in page and "Broadcast" in page and "Draft" in page and "not enough data" in page


def test_create_a_campaign_from_the_form_of_its_kind(console, program, marketing_user):
    form = console.get("/campaigns/new/win_back/").content.decode()
    assert 'name="absence_days"' in form and 'name="boost_multiplier"' not in form
    response = console.post(
        "/campaigns/new/win_back/",
        {
            "name": "We miss you",
            "target": "everyone",
            "holdout_percent": "10",
            "points": "500",
            "points_valid_days": "5",
            "absence_days": "30, 60, 90",
            "channels": ["sms", "email"],
            "response_days": "14",
            "days_before": "0",
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "0",
            "variants-0-code": "A",
            "variants-0-points": "300",
            "variants-0-weight": "1",
            "variants-1-code": "B",
            "variants-1-points": "1 000",
            "variants-1-weight": "1",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.pk}/"
    assert (campaign.kind, campaign.absence_days, campaign.channels) == ("win_back", [30, 60, 90], ["sms", "email"])
    assert list(campaign.variants.values_list("code", "points")) == [("A", 300), ("B", 1000)]
    assert campaign.created_by == marketing_user
    assert AuditEntry.objects.get(action="campaign.create").actor == marketing_user


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"absence_days": "thirty"}, "Write whole days separated by commas: 30, 60, 90."),
        ({"absence_days": "30, ²"}, "Write whole days separated by commas: 30, 60, 90."),  # "²".isdigit()
        ({"absence_days": "٣٠"}, "Write whole days separated by commas: 30, 60, 90."),  # Arabic-Indic 30
        # Without variants (with them the points field is disabled: the variants set the points)
        ({"points": "²", "variants-0-code": "", "variants-0-points": ""}, "Enter a whole number."),
        ({"holdout_percent": "95"}, "The holdout is between 0 and 90 %."),
        ({"starts_at": "2027-01-10T10:00", "ends_at": "2027-01-09T10:00"}, "The campaign must end after it starts."),
        ({"starts_at": "0001-01-01T00:00"}, "Enter a date between"),
        ({"variants-0-code": "A", "variants-1-code": "A", "variants-1-points": "5"}, "Two variants have the code “A”"),
        ({"variants-1-code": "B"}, "A variant needs its code and points."),
        ({"channels": ["pigeon"]}, "Select a valid choice."),
    ],
)
def test_bad_input_gives_form_errors_and_writes_nothing(console, program, data, error):
    base = {
        "name": "Bad",
        "target": "everyone",
        "holdout_percent": "10",
        "points": "500",
        "absence_days": "30",
        "response_days": "14",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-0-code": "A",
        "variants-0-points": "300",
    }
    response = console.post("/campaigns/new/win_back/", {**base, **data})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Campaign.objects.exists() and not AuditEntry.objects.exists()


def test_an_unknown_kind_or_campaign_is_404(console, program):
    assert console.get("/campaigns/new/lottery/").status_code == 404
    assert console.get("/campaigns/999/").status_code == 404
    assert console.post("/campaigns/999/launch/").status_code == 404


def test_the_preview_shows_target_holdout_and_cost_then_launch(console, campaign, customer_factory):
    for _ in range(3):
        customer_factory()
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="preview-target">3<' in page and 'id="launch-ready"' in page
    assert "the cost assumes every point is redeemed" in page
    assert console.get(f"/campaigns/{campaign.pk}/launch/").status_code == 405
    response = console.post(f"/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "active"
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="pause-form"' in page and 'id="finish-form"' in page and 'id="launch-form"' not in page
    assert console.post(f"/campaigns/{campaign.pk}/pause/").status_code == 302
    assert console.post(f"/campaigns/{campaign.pk}/resume/").status_code == 302
    assert console.post(f"/campaigns/{campaign.pk}/finish/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "finished"


def test_a_refused_launch_says_why_and_changes_nothing(console, program):
    campaign = campaign_create(values={"name": "Welcome", "kind": "welcome", "points": 0})
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "This kind of campaign grants points: enter how many." in page
    response = console.post(f"/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 400
    assert 'id="action-error">This kind of campaign grants points: enter how many.<' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft" and not AuditEntry.objects.filter(action="campaign.launch").exists()


def test_the_preview_warns_of_a_channel_without_a_template_and_the_launch_is_refused(console, program):
    campaign = campaign_create(values={"name": "Sale", "kind": "broadcast", "points": 0, "channels": ["sms"]})
    warning = "The channel SMS has no message template: write it below (Messages), or remove the channel."
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="launch-problems"' in page and warning in page and 'id="launch-ready"' not in page
    response = console.post(f"/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 400
    assert f'id="action-error">{warning}<' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    template_save(kind=campaign.message_kind, channel="sms", language="ru", body="Привет, {name}")
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert warning not in page and 'id="launch-ready"' in page


def test_a_broadcast_whose_budget_is_below_its_points_is_not_ready_and_its_launch_is_refused(console, program):
    campaign = campaign_create(
        values={"name": "Promo", "kind": "broadcast", "points": 100, "budget_points": 50, "channels": ["sms"]}
    )
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel="sms", language="en", body="Hi", updated_at=timezone.now()
    )
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "The budget (50) does not cover the largest grant (100)." in page and 'id="launch-ready"' not in page
    assert 'id="preview-points">0<' in page  # no grant of 100 fits a budget of 50
    response = console.post(f"/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 400
    assert 'id="action-error">The budget (50) does not cover the largest grant (100).<' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_a_launched_campaign_edits_only_what_may_change(console, campaign):
    campaign_launch(campaign_id=campaign.pk)
    MessageTemplate.objects.create(  # the new channel has its text (a channel without one is refused)
        kind=campaign.message_kind, channel="email", language="en", body="Spring", updated_at=timezone.now()
    )
    form = console.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'id="launched-note"' in form
    ends = (timezone.localtime() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = console.post(
        f"/campaigns/{campaign.pk}/edit/",
        {
            "name": "Spring sale",
            "ends_at": ends,
            "channels": ["email"],
            "response_days": "7",
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.points, campaign.channels, campaign.response_days) == (
        "Spring sale",
        100,
        ["email"],
        7,
    )
    assert str(campaign.holdout_percent) == "10.00"


@pytest.mark.parametrize("kind", ["broadcast", "action", "birthday"])
@pytest.mark.parametrize("change", ["budget", "ends"])
def test_a_refused_edit_of_a_launched_campaign_is_a_form_error_not_a_500(console, program, kind, change):
    """Tester finding (P1): on a launched campaign the variant rows are not validated, and a refusal by the
    service read their cleaned_data: AttributeError, a 500, for a budget below the points granted or an
    end in the past."""
    values = {"name": "Spring", "kind": kind, "points": 100, "channels": ["sms"]}
    campaign = campaign_create(values={**values, "action": "review"} if kind == "action" else values)
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel="sms", language="en", body="Hi", updated_at=timezone.now()
    )
    campaign_launch(campaign_id=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(points_granted=90)
    data = {
        "name": "Spring", "channels": ["sms"], "response_days": "14",
        # what the browser posts: the variant rows' management form and one empty row
        "variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "0", "variants-0-code": "", "variants-0-points": "",
    }  # fmt: skip
    if change == "budget":
        data["budget_points"] = "50"
    else:
        data["ends_at"] = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = console.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert ("90" in page and "already granted" in page) if change == "budget" else "invalid-feedback" in page
    campaign.refresh_from_db()
    assert campaign.budget_points is None and campaign.ends_at is None


def test_the_launched_note_says_the_budget_may_go_down_and_shows_only_when_relevant(console, campaign):
    """The note on a launched campaign's form: as the form opens; after a field error about the budget, not
    (nothing frozen was touched); after a stale form changed a frozen field, yes."""
    campaign_launch(campaign_id=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(points_granted=300)
    url = f"/campaigns/{campaign.pk}/edit/"
    note = (
        "This campaign is launched: only its name, end, budget (not below the points already granted), channels "
        "and response window can change."
    )
    page = console.get(url).content.decode()
    assert note in page and "(up)" not in page
    response = _post_as_the_browser(console, url, {"budget_points": "200"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The budget cannot be below the 300 points already granted." in page
    assert 'id="launched-note"' not in page
    response = _post_as_the_browser(console, url, {"points": "999"})  # as a tab opened while a draft
    assert response.status_code == 400
    page = response.content.decode()
    assert "This campaign was launched after the form was opened, so “Points” can no longer change." in page
    assert note in page
    campaign.refresh_from_db()
    assert (campaign.points, campaign.budget_points) == (100, None)
    assert _post_as_the_browser(console, url, {"budget_points": "300"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.budget_points == 300  # down to exactly the points granted


def test_list_upload_reports_unknown_numbers_without_storing_them(console, program, customer_factory):
    known = customer_factory(phone="+79161234567")
    campaign = campaign_create(values={"name": "VIP", "kind": "broadcast", "target": "list", "channels": ["sms"]})
    response = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "+7 916 123-45-67\n+7 903 765-43-21\n12345"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Read 3 lines: 1 added, 0 already on the list." in page
    assert "1 line matched no customer" in page and "765-43-21" not in page and "+7 903" in page
    assert "1 piece not recognised" in page  # 12345: no phone nor card number
    assert list(CampaignListMember.objects.values_list("customer_id", flat=True)) == [known.pk]
    assert console.post(f"/campaigns/{campaign.pk}/list/", {"text": ""}).status_code == 400


def test_results_page_and_csv(console, campaign, customer_factory, t0):
    customer = customer_factory()
    CampaignGrant.objects.create(campaign=campaign, customer=customer, occasion="broadcast", holdout=True, at=t0)
    page = console.get(f"/campaigns/{campaign.pk}/results/").content.decode()
    assert 'data-figure="uplift"' in page and "not enough data" in page
    assert "Cost of the points ÷ incremental returning customers" in page
    # One holdout customer: no uplift, so no cost per returning customer or return on points either.
    for figure in ("incremental", "cost_per_returning", "return_on_points"):
        row = page.split(f'data-figure="{figure}"', 1)[1].split("</tr>", 1)[0]
        assert "not enough data" in row, (figure, row)
    assert "while the uplift of the response rate cannot be computed (below 10 customers in either group)" in page
    response = console.get(f"/campaigns/{campaign.pk}/results.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("group,customers,grants")
    assert lines[1].startswith("treated,0,0") and lines[2].startswith("holdout,1,1")


def test_the_results_csv_rounds_each_figure_once(console, campaign, customer_factory, t0):
    """1 of 11 treated and 1 of 10 holdout customers bought 100.00: incremental returning customers =
    (1/11 − 1/10) × 11 = −0.1 exactly, which Decimal division leaves as −0.0999…9 (28 digits); the CSV
    says -0.10. Uplift 0.0909 − 0.1 = −0.0091 (half up of −0.00909…), revenue per customer 100 ÷ 11 =
    9.09."""
    from loyalty import services

    treated = [customer_factory() for _ in range(11)]
    holdout = [customer_factory() for _ in range(10)]
    for group, is_holdout in ((treated, False), (holdout, True)):
        for customer in group:
            CampaignGrant.objects.create(
                campaign=campaign, customer=customer, occasion="broadcast", holdout=is_holdout, at=t0
            )
        services.purchase_record(customer_id=group[0].pk, amount="100.00", now=t0 + dt.timedelta(days=1))
    response = console.get(f"/campaigns/{campaign.pk}/results.csv")
    rows = [line.split(",") for line in b"".join(response.streaming_content).decode().splitlines()]
    table = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert table["treated"]["incremental_customers"] == "-0.10"
    assert table["treated"]["uplift"] == "-0.0091"
    assert table["treated"]["response_rate"] == "0.0909" and table["holdout"]["response_rate"] == "0.1000"
    assert table["treated"]["revenue_per_customer"] == "9.09" and table["holdout"]["revenue"] == "100.00"
    assert table["treated"]["cost"] == "0.00" and table["treated"]["cost_per_returning"] == ""
    # The page shows the same figure for people: −0.1 with the minus sign.
    page = console.get(f"/campaigns/{campaign.pk}/results/").content.decode()
    row = page.split('data-figure="incremental"', 1)[1].split("</tr>", 1)[0]
    assert "\u22120.10" in row


def test_the_template_editor_takes_a_campaigns_kind(console, campaign):
    url = f"/messages/templates/campaign:{campaign.pk}/sms/ru/"
    page = console.get(url).content.decode()
    assert "Campaign “Spring”" in page and "the points of the grant" in page
    response = console.post(url, {"body": "{name}, вам {points}, до {expires_on}"})
    assert response.status_code == 302
    assert MessageTemplate.objects.get(kind=f"campaign:{campaign.pk}", channel="sms", language="ru")
    assert console.get("/messages/templates/campaign:999/sms/ru/").status_code == 404
    detail = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'href="/messages/templates/campaign:{campaign.pk}/sms/ru/"' in detail


def test_the_campaign_template_editor_offers_valid_through_and_previews_it(console, program, customer_factory):
    """A 14-day bonus granted today burns at the start of today + 14: {valid_through} is today + 13."""
    campaign = campaign_create(
        values={"name": "Spring", "kind": "welcome", "points": 500, "points_valid_days": 14, "channels": ["sms"]}
    )
    url = f"/messages/templates/campaign:{campaign.pk}/sms/en/"
    page = console.get(url).content.decode()
    assert "{valid_through}" in page and "the last day the grant&#x27;s points can be spent" in page
    anna = customer_factory(name="Anna")
    body = "{points}, spend them by {valid_through} (they burn on {expires_on})"
    shown = console.post(f"{url}preview/", {"body": body, "customer": anna.phone}).content.decode()
    last, burns = timezone.localdate() + dt.timedelta(days=13), timezone.localdate() + dt.timedelta(days=14)
    expected = f"500 points, spend them by {date_format(last, 'DATE_FORMAT')} (they burn on {date_format(burns, 'DATE_FORMAT')})"
    assert expected in shown, shown
    assert console.post(url, {"body": body}).status_code == 302
    assert MessageTemplate.objects.get(kind=campaign.message_kind, channel="sms", language="en").body == body


def test_a_message_only_broadcasts_editor_says_points_and_date_stay_empty(console, customer_factory):
    zero = campaign_create(values={"name": "News", "kind": "broadcast", "points": 0, "channels": ["email"]})
    customer_factory(name="Anna Petrova", phone="+79161234567")
    url = f"/messages/templates/campaign:{zero.pk}/email/en/"
    page = console.get(url).content.decode()
    # {points}, {expires_on}, {valid_through}
    assert page.count("empty: this campaign grants no points (a message only)") == 3
    response = console.post(
        url + "preview/",
        {"subject": "For you", "body": "Hi {name}, points {points}, until {expires_on}.", "customer": "+79161234567"},
    )
    fragment = response.content.decode()
    assert "Hi Anna, points , until ." in fragment  # not "points 0 points, until 1 March 2027"
    assert "This campaign grants no points: {points} and {expires_on} stay empty" in fragment
    plain = console.post(url + "preview/", {"body": "Hi {name}, news!", "customer": "+79161234567"})
    assert "Hi Anna, news!" in plain.content.decode() and "grants no points" not in plain.content.decode()
    detail = console.get(f"/campaigns/{zero.pk}/").content.decode()
    assert "It grants no points: write the message without {points}, {expires_on} and {valid_through}" in detail
    with_points = campaign_create(values={"name": "Gift", "kind": "broadcast", "points": 25, "channels": ["email"]})
    page = console.get(f"/messages/templates/campaign:{with_points.pk}/email/en/").content.decode()
    assert "the points of the grant" in page and "grants no points" not in page
    response = console.post(
        f"/messages/templates/campaign:{with_points.pk}/email/en/preview/",
        {"body": "Hi {name}, {points}", "customer": "+79161234567"},
    )
    assert "Hi Anna, 25 points" in response.content.decode()


def test_a_campaigns_messages_and_templates_are_labelled_with_its_name(console, campaign, customer_factory):
    from messaging.services.outbox import message_queue

    anna = customer_factory(name="Anna", consent_sms=True)
    kind = f"campaign:{campaign.pk}"
    message = message_queue(customer_id=anna.pk, channel="sms", kind=kind, purpose="marketing", text="Hi", defer=True)
    console.post(f"/messages/templates/{kind}/sms/ru/", {"body": "{name}, вам {points}"})
    for url in ("/messages/", f"/messages/{message.pk}/", "/messages/templates/"):
        page = console.get(url).content.decode()
        assert "Campaign “Spring”" in page, url
        if url != "/messages/templates/":  # the overview also shows each kind's code, in small print
            assert f">{kind}<" not in page, url
    assert "Campaign “Spring”" in console.get("/messages/stats/").content.decode()


@pytest.mark.parametrize("kind", ["win_back", "boost", "action"])
def test_hostile_values_in_the_campaign_form_give_no_500_and_a_refusal_writes_nothing(console, program, kind):
    from hypothesis import given

    from console.forms import CAMPAIGN_CLOSING_FIELDS, CAMPAIGN_COMMON_FIELDS, CAMPAIGN_KIND_FIELDS
    from console.tests.test_fuzz import FUZZ, VALUE, bodies

    fields = [*CAMPAIGN_COMMON_FIELDS, *CAMPAIGN_KIND_FIELDS[kind], *CAMPAIGN_CLOSING_FIELDS]
    fields += ["variants-TOTAL_FORMS", "variants-INITIAL_FORMS", "variants-0-code", "variants-0-points"]

    @FUZZ
    @given(body=bodies(*fields), name=VALUE)
    def run(body, name):
        before = (Campaign.objects.count(), AuditEntry.objects.count())
        response = console.post(f"/campaigns/new/{kind}/", {"name": name, **body})
        assert response.status_code < 500
        if response.status_code != 302:
            assert (Campaign.objects.count(), AuditEntry.objects.count()) == before

    run()


def test_hostile_list_uploads_give_no_500(console, program):
    from hypothesis import given
    from hypothesis import strategies as st

    from console.tests.test_fuzz import FUZZ, VALUE

    campaign = campaign_create(values={"name": "VIP", "kind": "broadcast", "target": "list", "channels": ["sms"]})

    @FUZZ
    @given(lines=st.lists(VALUE, max_size=5))
    def run(lines):
        response = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "\n".join(lines)})
        assert response.status_code in (200, 400)
        assert not CampaignListMember.objects.exists()  # no customer has these numbers

    run()


def _form_fields(page: str, form_id: str) -> dict[str, list[str]]:
    """What a browser posts from the form `form_id` of `page`, untouched: every enabled input, checked box,
    selected option and textarea, name → values."""
    from html.parser import HTMLParser

    fields: dict[str, list[str]] = {}

    class Parser(HTMLParser):
        inside, select, textarea = False, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.inside = a.get("id") == form_id
            if not self.inside or "disabled" in a:
                return
            if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                fields.setdefault(a["name"], []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
            elif tag == "select" and a.get("name"):
                self.select = a["name"]
                fields.setdefault(self.select, [])
            elif tag == "option" and self.select and "selected" in a:
                fields[self.select].append(a.get("value", ""))
            elif tag == "textarea" and a.get("name"):
                self.textarea = a["name"]
                fields[self.textarea] = [""]

        def handle_data(self, data):
            if self.textarea:
                fields[self.textarea][0] += data

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

    Parser().feed(page)
    return {name: [v.strip("\n") if name == "name" else v for v in values] for name, values in fields.items()}


def _post_as_the_browser(console, url: str, changes: dict[str, str | list[str]]):
    page = console.get(url).content.decode()
    data = _form_fields(page, "campaign-form")
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return console.post(url, data)


@pytest.mark.parametrize(
    ("kind", "changes", "field", "error"),
    [
        ("welcome", {"points": "10001"}, "points", "Ensure this value is less than or equal to 10,000."),
        ("welcome", {"points": "2147483648"}, "points", "Ensure this value is less than or equal to 10,000."),
        (
            "action",
            {"action": "review", "points": "10001"},
            "points",
            "Ensure this value is less than or equal to 10,000.",
        ),
        (
            "action",
            {"action": "review", "action_limit": "99999999999999999", "action_period_days": "30"},
            "action_limit",
            "Ensure this value is less than or equal to 2,147,483,647.",
        ),
        (
            "action",
            {"action": "review", "action_limit": "1", "action_period_days": "99999999999999"},
            "action_period_days",
            "Ensure this value is less than or equal to 36,500.",
        ),
        ("welcome", {"points": "10", "points_valid_days": "999999999"}, "points_valid_days", "36,500"),
        ("welcome", {"points": "9223372036854775807"}, "points", "10,000"),
        ("birthday", {"points": "10", "days_before": "400"}, "days_before", "less than or equal to 31"),
        ("welcome", {"points": "10", "per_customer_limit": "0"}, "per_customer_limit", "greater than or equal to 1"),
        ("welcome", {"points": "10", "budget_points": "1000000000000001"}, "budget_points", "less than or equal to"),
        ("welcome", {"points": "10", "ends_at": "2020-01-01T10:00"}, "ends_at", "The end has passed"),
    ],
)
def test_numbers_out_of_bounds_are_field_errors_and_write_nothing(console, program, kind, changes, field, error):
    response = _post_as_the_browser(console, f"/campaigns/new/{kind}/", {"name": "Big", **changes})
    assert response.status_code == 400
    form = response.context["form"]
    assert error in " ".join(form.errors[field]) and error in response.content.decode().replace("\xa0", " ")
    assert not Campaign.objects.exists() and not AuditEntry.objects.exists()


def test_a_boost_is_created_from_exactly_what_its_page_posts(console, program):
    page = console.get("/campaigns/new/boost/").content.decode()
    assert "variants-TOTAL_FORMS" not in page  # a boost has no variants
    response = _post_as_the_browser(console, "/campaigns/new/boost/", {"name": "Double", "boost_multiplier": "2"})
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.boost_multiplier, campaign.variants.count()) == ("boost", 2, 0)


def test_a_boost_form_shows_a_date_error_and_refuses_variants(console, program):
    url = "/campaigns/new/boost/"
    response = _post_as_the_browser(
        console,
        url,
        {"name": "Double", "boost_multiplier": "2", "starts_at": "2030-01-10T10:00", "ends_at": "2030-01-09T10:00"},
    )
    assert response.status_code == 400 and "The campaign must end after it starts." in response.content.decode()
    response = _post_as_the_browser(
        console, url, {"name": "Double", "boost_multiplier": "2", "starts_at": "10.99.2030"}
    )
    assert response.status_code == 400 and response.context["form"].errors["starts_at"]
    assert "Enter a valid date/time." in response.content.decode()
    rows = {"variants-TOTAL_FORMS": "2", "variants-INITIAL_FORMS": "0", "variants-0-code": "A"}
    rows |= {"variants-0-points": "100", "variants-1-code": "B", "variants-1-points": "200"}
    response = _post_as_the_browser(console, url, {"name": "Double", "boost_multiplier": "2", **rows})
    assert response.status_code == 400
    assert "A boost grants no points of its own, so it cannot have A/B variants: remove them." in (
        response.content.decode()
    )
    assert not Campaign.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("boost_extra_percent", "1000", "The extra cashback is between 0 and 100 %."),
        ("boost_extra_percent", "150", "The extra cashback is between 0 and 100 %."),
        ("boost_multiplier", "123456", "The multiplier is between 1 and 100."),
        ("holdout_percent", "1000", "The holdout is between 0 and 90 %."),
    ],
)
def test_a_boost_out_of_range_is_refused_with_the_range(console, program, field, value, message):
    """Too many digits is out of range: the form says the range, not how many digits fit (tester finding)."""
    response = _post_as_the_browser(console, "/campaigns/new/boost/", {"name": "Big", field: value})
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert "digits" not in page
    assert not Campaign.objects.exists()


def test_a_stale_edit_form_posted_after_launch_is_refused_naming_the_fields(console, program):
    campaign = campaign_create(values={"name": "Hello", "kind": "welcome", "points": 100})
    url = f"/campaigns/{campaign.pk}/edit/"
    data = _form_fields(console.get(url).content.decode(), "campaign-form")  # opened while a draft
    assert "points" in data and "holdout_percent" in data
    campaign_launch(campaign_id=campaign.pk)
    response = console.post(url, {**data, "name": "Hello again", "points": "9999", "holdout_percent": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This campaign was launched after the form was opened, so" in page
    assert "“Points”" in page and "“Holdout, %”" in page and "“Name”" not in page
    campaign.refresh_from_db()
    assert (campaign.name, campaign.points, str(campaign.holdout_percent)) == ("Hello", 100, "10.00")
    assert not AuditEntry.objects.filter(action="campaign.update").exists()
    # the same stale form with the frozen fields untouched saves the rest
    response = console.post(url, {**data, "name": "Hello again"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Hello again"


def test_a_list_posted_to_a_launched_campaign_is_refused_with_its_reason_on_the_page(
    console, program, customer_factory
):
    known = customer_factory(phone="+79990006001")
    campaign = campaign_create(values={"name": "WB", "kind": "broadcast", "target": "list", "channels": ["sms"]})
    assert console.post(f"/campaigns/{campaign.pk}/list/", {"text": "+79990006001"}).status_code == 200
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel="sms", language="en", body="Hi", updated_at=timezone.now()
    )
    campaign_launch(campaign_id=campaign.pk)
    other = customer_factory(phone="+79990006002")
    for data in ({"text": "+79990006002"}, {"text": ""}):  # a tab opened while it was a draft
        response = console.post(f"/campaigns/{campaign.pk}/list/", data)
        assert response.status_code == 400
        assert (
            'id="action-error">The list can change only while the campaign is a draft; this campaign is Active.<'
        ) in response.content.decode()
    assert list(CampaignListMember.objects.values_list("customer_id", flat=True)) == [known.pk]
    assert other.pk not in CampaignListMember.objects.values_list("customer_id", flat=True)


def test_dates_and_upload_counts_read_properly(console, program, customer_factory):
    campaign = campaign_create(values={"name": "VIP", "kind": "broadcast", "target": "list", "channels": ["sms"]})
    assert 'id="campaign-dates">no dates<' in "".join(
        console.get(f"/campaigns/{campaign.pk}/").content.decode().split("\n")
    )
    starts = timezone.make_aware(dt.datetime(2030, 3, 1, 10, 0))
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=starts)
    moment, day = date_format(starts, "SHORT_DATETIME_FORMAT"), date_format(starts, "SHORT_DATE_FORMAT")
    assert f'id="campaign-dates">from {moment}<' in console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"from {day}" in console.get("/campaigns/").content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=None, ends_at=starts)
    assert f'id="campaign-dates">until {moment}<' in console.get(f"/campaigns/{campaign.pk}/").content.decode()
    customer_factory(phone="+79161234567")
    page = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "+7 916 123-45-67"}).content.decode()
    assert "Read 1 line: 1 added, 0 already on the list." in page
    page = console.post(f"/campaigns/{campaign.pk}/list/", {"text": "\n".join(f"+7 903 {n:07d}" for n in range(1500))})
    page = page.content.decode()
    assert "Read 1,500 lines: 0 added, 0 already on the list." in page
    assert "1,500 lines matched no customer" in page


@pytest.mark.parametrize(
    ("kind", "field", "largest", "error"),
    [
        ("welcome", "points_valid_days", "36500", "Ensure this value is less than or equal to 36,500."),
        ("birthday", "days_before", "31", "Ensure this value is less than or equal to 31."),
        ("welcome", "response_days", "365", "Ensure this value is less than or equal to 365."),
        ("welcome", "points", "10000", "Ensure this value is less than or equal to 10,000."),
        ("welcome", "variants-0-weight", "1000", "Ensure this value is less than or equal to 1,000."),
    ],
)
def test_the_largest_number_saves_and_one_more_is_a_field_error(console, program, kind, field, largest, error):
    variants = {
        "variants-TOTAL_FORMS": "2", "variants-0-code": "A", "variants-0-points": "10", "variants-0-weight": "1",
        "variants-1-code": "B", "variants-1-points": "20", "variants-1-weight": "1",
    }  # fmt: skip
    base = {"name": "Edge", "points": "10", **(variants if field.startswith("variants") else {})}
    response = _post_as_the_browser(console, f"/campaigns/new/{kind}/", {**base, field: str(int(largest) + 1)})
    assert response.status_code == 400
    assert error in response.content.decode().replace("\xa0", " ")
    assert not Campaign.objects.exists()
    response = _post_as_the_browser(console, f"/campaigns/new/{kind}/", {**base, field: largest})
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    stored = campaign.variants.get(code="A").weight if field.startswith("variants") else getattr(campaign, field)
    assert stored == int(largest)


def test_the_settings_box_shows_what_runs_without_opening_the_form(console, program):
    campaign = campaign_create(
        values={
            "name": "Regulars",
            "kind": "action",
            "action": "review",
            "points": 50,
            "channels": ["sms", "email"],
            "budget_points": 1000,
            "per_customer_limit": 3,
            "target": "rfm_segment",
            "target_rfm_segment": "champions",
        }
    )
    Campaign.objects.filter(pk=campaign.pk).update(points_granted=400)
    box = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    box = box[box.index('id="campaign-settings"') : box.index('id="campaign-actions"')]
    assert "400 of 1,000 spent, 600 left" in box
    assert "at most 3 grants" in box
    assert "SMS, Email" in box
    assert "Champions" in box and "Points for an action" in box


def test_a_pasted_list_is_cleaned_and_reported(console, program, customer_factory, caplog):
    anna = customer_factory(phone="+79121234567")
    boris = customer_factory(phone="+79161112233")
    card = customer_factory()
    campaign = campaign_create(values={"name": "VIP", "kind": "broadcast", "target": "list", "channels": ["sms"]})
    text = (
        "+7 (912) 123-45-67, 8 916 111 22 33;\t\n"
        "\n"
        f"  {card.card_number}   79121234567  \n"
        "+7 (916) 111-22-33 +7 912 123 45 67\n"
        "hello; 12345\n"
    )
    caplog.set_level("DEBUG")
    response = console.post(f"/campaigns/{campaign.pk}/list/", {"text": text})
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 phones or card numbers found. 3 repeats left out." in page
    assert "2 pieces not recognised" in page and "line 5: …" in page
    assert sorted(CampaignListMember.objects.values_list("customer_id", flat=True)) == sorted(
        [anna.pk, boris.pk, card.pk]
    )
    assert "123-45-67" not in caplog.text and "1234567" not in caplog.text and "111" not in caplog.text
    entry = AuditEntry.objects.get(action="campaign.list_upload")
    assert entry.changes["duplicates"] == 3 and entry.changes["unrecognised"] == 2
    assert "1234567" not in str(entry.changes)


def test_boost_hours_may_wrap_midnight_but_not_start_where_they_end(console, program):
    url = "/campaigns/new/boost/"
    night = {"name": "Night", "boost_multiplier": "2", "boost_hour_from": "22", "boost_hour_to": "2"}
    response = _post_as_the_browser(console, url, {**night, "boost_hour_to": "22"})
    assert response.status_code == 400
    assert "The hours start and end at 22: that is no time at all. Leave both empty for all day." in (
        response.content.decode()
    )
    assert not Campaign.objects.exists()
    response = _post_as_the_browser(console, url, night)
    assert response.status_code == 302
    assert Campaign.objects.values_list("boost_hour_from", "boost_hour_to").get() == (22, 2)


def _budget_box(console, campaign_id: int) -> str:
    page = console.get(f"/campaigns/{campaign_id}/").content.decode()
    return page.split('id="campaign-budget"', 1)[1].split("</dd>", 1)[0]


def _spent_on_every_screen(console, campaign_id: int) -> tuple[str, int, int]:
    """(the page's budget text, the list's points granted, the results CSV's treated points granted)."""
    import csv

    listing = console.get("/campaigns/").content.decode()
    row = listing.split(f'href="/campaigns/{campaign_id}/"', 1)[1].split("</tr>", 1)[0]
    listed = int(row.split("data-granted>", 1)[1].split("<", 1)[0].replace(",", "").replace("\xa0", ""))
    response = console.get(f"/campaigns/{campaign_id}/results.csv")
    rows = list(csv.DictReader(b"".join(response.streaming_content).decode().splitlines()))
    treated = next(r for r in rows if r["group"] == "treated")
    return _budget_box(console, campaign_id), listed, int(treated["points_granted"])


def test_a_boost_without_a_budget_counts_its_points_net_of_refunds_everywhere(console, customer, t0):
    """Tester2 #1: ×3 without a budget at 5 % adds 100 to a 1 000.00 purchase, wholly refunded (−100), then
    50 to a 500.00 purchase: 50 spent on the page (it said 150), the list and the results; the budget may
    then be set to 50 (it was refused below "the 150 points already granted"), not to 49."""
    from campaigns.tests.helpers import running_campaign
    from loyalty.tests.helpers import buy, refund

    campaign = running_campaign(Campaign.Kind.BOOST, name="Boost x3", boost_multiplier=3)
    first = buy(customer, "1000.00", now=t0).purchase
    assert first.earned_points == 150
    refund(first, now=t0 + dt.timedelta(hours=1))
    assert buy(customer, "500.00", now=t0 + dt.timedelta(hours=2)).purchase.earned_points == 75
    box, listed, results = _spent_on_every_screen(console, campaign.pk)
    assert "no budget, 50 spent" in box
    assert (listed, results) == (50, 50)
    url = f"/campaigns/{campaign.pk}/edit/"
    refused = _post_as_the_browser(console, url, {"budget_points": "49"})
    assert refused.status_code == 400
    assert "The budget cannot be below the 50 points already granted." in refused.content.decode()
    assert _post_as_the_browser(console, url, {"budget_points": "50"}).status_code == 302
    assert "50 of 50 spent, 0 left" in _budget_box(console, campaign.pk)
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 50


def test_a_boost_whose_budget_is_removed_after_a_refund_keeps_the_net_figure(console, customer, t0):
    """Tester2 #1's first steps: ×3 with a budget of 100: 100 granted, wholly refunded (0 spent), then 50
    more (50 of 100). Budget removed → "no budget, 50 spent" (it said 150); set again to 50 → accepted."""
    from campaigns.services.changes import campaign_update
    from campaigns.tests.helpers import running_campaign
    from loyalty.tests.helpers import buy, refund

    campaign = running_campaign(Campaign.Kind.BOOST, name="Boost x3", boost_multiplier=3, budget_points=100)
    first = buy(customer, "1000.00", now=t0).purchase
    refund(first, "300.00", now=t0)
    refund(first.__class__.objects.get(pk=first.pk), now=t0)
    assert "0 of 100 spent, 100 left" in _budget_box(console, campaign.pk)
    buy(customer, "500.00", now=t0 + dt.timedelta(hours=2))
    assert "50 of 100 spent, 50 left" in _budget_box(console, campaign.pk)
    campaign_update(campaign_id=campaign.pk, values={"budget_points": None})
    box, listed, results = _spent_on_every_screen(console, campaign.pk)
    assert "no budget, 50 spent" in box and (listed, results) == (50, 50)
    campaign_update(campaign_id=campaign.pk, values={"budget_points": 50})
    assert "50 of 50 spent, 0 left" in _budget_box(console, campaign.pk)


def test_a_boosts_results_do_not_claim_its_points_cost_nothing(console, customer, t0):
    """A boost's points are part of the purchase's earn lot (no entry of their own): the points redeemed,
    the cost and what rests on it are not measured, shown "—" with why on the page and empty in the CSV."""
    from decimal import Decimal

    from campaigns.tests.helpers import running_campaign
    from loyalty.tests.helpers import buy

    boost = running_campaign(Campaign.Kind.BOOST, name="Double", boost_multiplier=Decimal("2"))
    buy(customer, "1000.00", now=t0)
    assert BoostGrant.objects.filter(campaign=boost).count() == 1
    page = console.get(f"/campaigns/{boost.pk}/results/").content.decode()

    def row(figure: str) -> str:
        return page.split(f'data-figure="{figure}"', 1)[1].split("</tr>", 1)[0]

    assert "A boost&#x27;s points are part of each purchase&#x27;s points; their redemption is not counted apart." in (
        row("points_redeemed")
    )
    assert '<td class="text-end small">—</td>' in row("points_redeemed") and ">0</td>" not in row("points_redeemed")
    assert "Points of the grants&#x27; ledger entries." not in page
    assert "Points the boost added to purchases&#x27; points" in row("points_granted")
    for figure in ("cost", "cost_per_returning", "return_on_points"):
        cells = row(figure)
        assert '<td class="text-end small">—</td>' in cells and "0.00" not in cells, (figure, cells)
        assert "Not measured for a boost: it rests on the points redeemed." in cells
    response = console.get(f"/campaigns/{boost.pk}/results.csv")
    rows = [line.split(",") for line in b"".join(response.streaming_content).decode().splitlines()]
    table = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert table["treated"]["points_granted"] == "50"
    assert table["treated"]["points_redeemed"] == "" and table["treated"]["cost"] == ""
    assert table["treated"]["cost_per_returning"] == "" and table["treated"]["return_on_points"] == ""
