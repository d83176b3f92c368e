"""The analytics settings page (/analytics/settings/) and the key metric leading the dashboard (/analytics/).

The dashboard's story, relative to today T (the page measures up to yesterday): the target was set on T − 15
with a 30-day baseline of 1 000.00 (average check), +15 % → 1 150.00 by T + 15. Now (T − 30 … T − 1): W buys
1 000.00 on T − 10 and 1 150.00 on T − 5 → 1 075.00: (1 075 − 1 000) ÷ (1 150 − 1 000) = 50 % of the way, and
15 of the 30 days = 50 % of the time: on track, 15 days left."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from analytics.models import AnalyticsSettings, RfmSnapshot
from analytics.selectors import analytics_settings_get
from core.models import AuditEntry
from loyalty.tests.helpers import at, buy

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"
URL = "/analytics/settings/"


def text(html: str, element_id: str) -> str:
    """The text of the element with `element_id`, tags removed, spaces collapsed."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(div|p|span)>', html, re.S)
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def values(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-value="(\w+)">([^<]*)<', html))


def _form(**overrides) -> dict:
    today = timezone.localdate()
    return {
        "key_metric": "avg_check",
        "target_percent": "15",
        "target_date": (today + dt.timedelta(days=60)).isoformat(),
        "key_metric_days": "30",
        "rfm_window_days": "365",
    } | overrides


@pytest.fixture
def bought(program, customer_factory):
    """W bought 1 000.00 on T − 10 and 1 150.00 on T − 5 (T = today)."""
    today = timezone.localdate()
    w = customer_factory(name="W", now=at(today - dt.timedelta(days=60)))
    buy(w, D("1000.00"), now=at(today - dt.timedelta(days=10)))
    buy(w, D("1150.00"), now=at(today - dt.timedelta(days=5)))
    return w


@pytest.fixture
def target(bought):
    """The target as the story says, stored as the settings page would have stored it on T − 15."""
    today = timezone.localdate()
    analytics_settings_get()
    AnalyticsSettings.objects.filter(pk=1).update(
        key_metric="avg_check",
        target_percent=D("15.00"),
        target_date=today + dt.timedelta(days=15),
        key_metric_days=30,
        baseline_value=D("1000.00"),
        baseline_start=today - dt.timedelta(days=45),
        baseline_end=today - dt.timedelta(days=16),
    )
    return today + dt.timedelta(days=15)


def test_the_dashboard_leads_with_the_key_metric(console, target):
    page = console.get("/analytics/").content.decode()
    assert page.index('id="key-metric"') < page.index('id="period-form"')
    assert text(page, "key-metric").startswith("Key metric: Average check")
    assert values(page) == {"baseline": f"1,000.00{NBSP}₽", "current": f"1,075.00{NBSP}₽", "target": f"1,150.00{NBSP}₽"}
    day = date_format(target, "SHORT_DATE_FORMAT")
    assert text(page, "key-metric-progress") == (
        f"50.0{NBSP}% of the way, 50.0{NBSP}% of the time gone; target date {day}, 15 days left."
    )
    assert text(page, "key-metric-verdict") == "On track"
    assert 'data-width="50"' in page
    help_text = text(page, "key-metric-help")
    assert help_text.startswith("Revenue divided by purchases. Target: raise it by 15.0")
    assert "On track: progress at least the share of the time" in help_text


def test_in_russian_the_figures_and_dates_are_russian(console, target):
    console.cookies["django_language"] = "ru"
    page = console.get("/analytics/").content.decode()
    assert values(page) == {
        "baseline": f"1{NBSP}000,00{NBSP}₽",
        "current": f"1{NBSP}075,00{NBSP}₽",
        "target": f"1{NBSP}150,00{NBSP}₽",
    }
    with override("ru"):
        day = date_format(target, "SHORT_DATE_FORMAT")
    assert f"50,0{NBSP}%" in text(page, "key-metric-progress")
    assert day in text(page, "key-metric-progress")


def test_behind_when_the_way_lags_the_time(console, target):
    AnalyticsSettings.objects.filter(pk=1).update(target_percent=D("30.00"))  # target 1 300.00: 25 % of the way
    page = console.get("/analytics/").content.decode()
    assert values(page)["target"] == f"1,300.00{NBSP}₽"
    assert text(page, "key-metric-progress").startswith(f"25.0{NBSP}% of the way, 50.0{NBSP}% of the time gone")
    assert text(page, "key-metric-verdict") == "Behind"


def test_without_a_key_metric_the_dashboard_asks_for_one(console, program):
    page = console.get("/analytics/").content.decode()
    assert 'id="key-metric"' not in page
    prompt = re.search(r'id="key-metric-prompt">(.*?)</div>', page, re.S).group(1)
    assert '<a href="/analytics/settings/">Choose the one figure the program is for and a target</a>' in prompt
    assert "No key metric is set." in text(page, "key-metric-prompt")


def test_saving_the_settings_measures_the_baseline_and_audits_it(console, bought, marketing_user):
    response = console.post(URL, _form())
    assert response.status_code == 302
    row = analytics_settings_get()
    today = timezone.localdate()
    # 30 days ending yesterday: T − 30 … T − 1 holds both purchases: (1 000 + 1 150) ÷ 2.
    assert (row.key_metric, row.target_percent, row.baseline_value) == ("avg_check", D("15.00"), D("1075.00"))
    assert (row.baseline_start, row.baseline_end) == (today - dt.timedelta(days=30), today - dt.timedelta(days=1))
    entry = AuditEntry.objects.get(action="analytics_settings.update")
    assert entry.actor == marketing_user and entry.origin == "console"
    page = console.get(URL).content.decode()
    assert "Analytics settings saved." in page
    assert f"Baseline of Average check: 1,075.00{NBSP}₽" in text(page, "baseline")
    log = console.get("/audit/").content.decode()
    assert "Analytics settings changed: Key metric, Target change, Target date" in log


def test_a_new_rfm_window_is_saved_without_a_key_metric(console, program):
    form = _form(key_metric="", target_percent="", target_date="", key_metric_days="90", rfm_window_days="180")
    response = console.post(URL, form)
    assert response.status_code == 302
    assert analytics_settings_get().rfm_window_days == 180
    entry = AuditEntry.objects.get(action="analytics_settings.update")
    assert entry.changes == {"rfm_window_days": [365, 180]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rfm_window_days": "29"}, "The RFM analysis window must be from 30 to 1,095 days."),
        ({"rfm_window_days": "1 096"}, "The RFM analysis window must be from 30 to 1,095 days."),
        ({"rfm_window_days": "a year"}, "Enter a whole number."),
        ({"target_percent": "-5"}, "The target change must be above 0 and at most 1,000 %."),
        ({"target_percent": ""}, "Say by how many per cent the figure should change."),
        ({"target_date": "2020-01-01"}, "The target date must be after today."),
        ({"target_date": "soon"}, "Enter a valid date."),
        ({"key_metric": "revenue"}, "Select a valid choice."),
        ({"key_metric_days": "0"}, "The key metric is measured over 7 to 365 days."),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(console, bought, overrides, message):
    response = console.post(URL, _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    row = analytics_settings_get()
    assert (row.key_metric, row.rfm_window_days, row.baseline_value) == ("", 365, None)
    assert not AuditEntry.objects.filter(action="analytics_settings.update").exists()


def test_no_purchases_no_baseline(console, program):
    response = console.post(URL, _form())
    assert response.status_code == 400
    assert "there is no baseline to start from" in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("cashier_user", 403), ("marketing_user", 200)])
def test_marketing_edits_the_settings_and_a_cashier_does_not(client, request, program, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == status
    assert client.post(URL, _form(key_metric="", rfm_window_days="100")).status_code in (status, 302)
    assert analytics_settings_get().rfm_window_days == (100 if who == "marketing_user" else 365)


def test_anonymous_goes_to_the_login_page(client, program):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_post_without_the_csrf_token_is_refused(marketing_user, program):
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketing_user)
    assert client.post(URL, _form(key_metric="", rfm_window_days="100")).status_code == 403
    assert analytics_settings_get().rfm_window_days == 365


def test_the_segments_page_says_the_window_of_the_snapshot_and_of_the_setting(console, program):
    today = timezone.localdate()
    RfmSnapshot.objects.create(as_of=today, window_days=365, computed_at=timezone.now())
    page = console.get("/analytics/segments/").content.decode()
    assert "bought in the last 365 days" in page and 'id="window-setting"' not in page
    console.post(URL, _form(key_metric="", rfm_window_days="180"))
    page = console.get("/analytics/segments/").content.decode()
    assert "bought in the last 365 days" in page
    assert text(page, "window-setting") == "The analytics settings now say 180 days: the next snapshot uses it."


def test_hostile_values_give_no_500_and_a_refused_form_writes_nothing(console, bought):
    """The fuzz run of console/tests/test_fuzz.py over this form."""
    from hypothesis import given

    from console.tests.test_fuzz import FUZZ, bodies, check, counts

    fields = ("key_metric", "target_percent", "target_date", "key_metric_days", "new_baseline", "rfm_window_days")

    @FUZZ
    @given(body=bodies(*fields))
    def run(body):
        before, row = counts(), analytics_settings_get()
        response = console.post(URL, body)
        check(response, before)
        if response.status_code != 302:
            after = analytics_settings_get()
            assert (after.key_metric, after.rfm_window_days, after.baseline_value) == (
                row.key_metric, row.rfm_window_days, row.baseline_value,
            )  # fmt: skip

    run()


def test_a_churn_baseline_reads_as_whole_customers(console, bought, customer_factory):
    """Z bought 200 days ago and not since: asleep 90 days at the end of the 30 days ending yesterday (W
    bought 5 and 10 days ago: awake). The baseline is 1 customer, not "1.0000"."""
    today = timezone.localdate()
    z = customer_factory(name="Z", now=at(today - dt.timedelta(days=300)))
    buy(z, D("500.00"), now=at(today - dt.timedelta(days=200)))
    assert console.post(URL, _form(key_metric="asleep_90d", target_percent="10")).status_code == 302
    assert analytics_settings_get().baseline_value == D("1")
    page = console.get(URL).content.decode()
    assert text(page, "baseline").startswith("Baseline of Asleep 90 days: 1, over")
