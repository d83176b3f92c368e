"""The what-if simulator page (console.views.simulator) on the simulator's story
(analytics/tests/test_simulator.py works every figure out): prefilled with today's rules, a scenario as a
GET link showing both columns and the difference, in English and Russian, as CSV; bad input says why
with a 400 and changes nothing; only Marketing sees it."""

import csv
import io
import re

import pytest

from analytics.tests.test_simulator import sim_story  # noqa: F401 - the fixture, shared with the replay's tests
from core.models import AuditEntry
from loyalty.models import ProgramSettings, Tier

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
MINUS = "\u2212"
TODAYS = {
    "base_cashback_percent": "5",
    "base_redeem_cap_percent": "30",
    "points_lifetime_days": "365",
    "bronze_threshold": "0",
    "bronze_cashback": "5",
    "bronze_cap": "30",
    "silver_threshold": "15000",
    "silver_cashback": "7",
    "silver_cap": "30",
    "gold_threshold": "50000",
    "gold_cashback": "10",
    "gold_cap": "30",
}
# Bronze 5 % → 10 % cashback and 30 % → 50 % cap; Gold from 50 000 → 40 000.
SCENARIO = TODAYS | {"bronze_cashback": "10", "bronze_cap": "50", "gold_threshold": "40000"}


def row(page: str, key: str) -> list[str]:
    """The cells of a figure's row as text: [label + definition, today's rules, scenario, difference]."""
    cells = re.search(rf'<tr data-figure="{re.escape(key)}">(.*?)</tr>', page, re.S).group(1)
    return [
        re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
    ]


def test_prefilled_with_todays_rules_and_changing_nothing(console, sim_story):  # noqa: F811
    page = console.get("/analytics/simulator/").content.decode()
    assert "Nothing here changes the live rules" in page
    assert re.search(r'name="gold_threshold" id="id_gold_threshold" value="50000.00"', page)
    assert row(page, "points_issued")[1:] == ["806", "806", "0"]
    assert row(page, "points_redeemed")[1:] == ["1,053", "1,053", "0"]
    assert "4 purchases replayed, revenue 13,175.00" in page
    assert "Recorded in the ledger for these purchases — points issued: 806; points redeemed: 1,053." in page
    # here they agree; on real data they may differ a little, and the page says why (the simplifications)
    assert "can differ a little from the points the ledger really issued" in page


def test_a_scenario_beside_todays_rules_with_the_difference(console, sim_story):  # noqa: F811
    settings_before = list(ProgramSettings.objects.values())
    tiers_before = list(Tier.objects.order_by("pk").values())
    audit_before = AuditEntry.objects.count()
    page = console.get("/analytics/simulator/", SCENARIO).content.decode()
    assert row(page, "points_issued")[1:] == ["806", "942", "+136"]
    assert row(page, "points_redeemed")[1:] == ["1,053", "1,059", "+6"]
    assert row(page, "redeemed_value")[1:] == [f"1,053.00{NBSP}₽", f"1,059.00{NBSP}₽", f"+6.00{NBSP}₽"]
    assert row(page, "liability_added")[1:] == [f"{MINUS}247.00{NBSP}₽", f"{MINUS}117.00{NBSP}₽", f"+130.00{NBSP}₽"]
    assert row(page, "customers.gold")[1:] == ["0", "1", "+1"]
    assert row(page, "customers.silver")[1:] == ["2", "1", f"{MINUS}1"]
    assert row(page, "customers_up")[1:] == ["—", "1", "—"]
    assert row(page, "points_issued")[0].startswith("Points issued Cashback on the replayed purchases")
    assert 'value="40000"' in page  # the form keeps the scenario
    # Nothing live changed, nothing audited.
    assert list(ProgramSettings.objects.values()) == settings_before
    assert list(Tier.objects.order_by("pk").values()) == tiers_before
    assert AuditEntry.objects.count() == audit_before


def test_in_russian_numbers_are_typed_and_shown_the_russian_way(console, sim_story):  # noqa: F811
    console.cookies["django_language"] = "ru"
    typed = SCENARIO | {"gold_threshold": "40 000,00", "bronze_cashback": "10,0"}
    page = console.get("/analytics/simulator/", typed).content.decode()
    assert row(page, "points_redeemed")[1:] == [f"1{NBSP}053", f"1{NBSP}059", "+6"]
    assert row(page, "redeemed_value")[1:3] == [f"1{NBSP}053,00{NBSP}₽", f"1{NBSP}059,00{NBSP}₽"]
    assert "Скачать CSV" in page  # the page is in Russian (labels new here get their Russian on merge)


def test_the_comparison_downloads_as_csv(console, sim_story):  # noqa: F811
    response = console.get("/analytics/simulator/", SCENARIO | {"export": "csv"})
    rows = {r[1]: r for r in csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))}
    assert rows["points_issued"][2:] == ["806", "942", "136"]
    assert rows["liability_added"][2:] == ["-247.00", "-117.00", "130.00"]
    assert rows["customers.gold"][2:] == ["0", "1", "1"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"bronze_cap": "150"}, "bronze_cap", "The redemption cap must be more than 0 and at most 100 % of the check."),
        ({"base_cashback_percent": "-1"}, "base_cashback_percent", "The cashback must be between 0 and 100 %."),
        ({"silver_threshold": "60000"}, "gold_threshold", "The threshold must be higher than Silver&#x27;s."),
        ({"points_lifetime_days": "0"}, "points_lifetime_days", "The point lifetime must be from 1 to 36 500 days"),
        ({"silver_cashback": "abc"}, "silver_cashback", "Enter a number."),
        ({"gold_cap": ""}, "gold_cap", "This field is required."),
    ],
)
def test_bad_input_says_why_and_replays_nothing(console, program, changes, field, message):
    response = console.get("/analytics/simulator/", TODAYS | changes)
    assert response.status_code == 400
    page = response.content.decode()
    feedback = re.search(rf'name="{field}".*?<div class="invalid-feedback">(.*?)</div>', page, re.S).group(1)
    assert feedback.startswith(message)
    assert 'id="simulator-result"' not in page


def test_an_empty_lifetime_means_points_never_expire(console, sim_story):  # noqa: F811
    page = console.get("/analytics/simulator/", TODAYS | {"points_lifetime_days": ""}).content.decode()
    assert row(page, "points_burnt")[1:] == ["0", "0", "0"]


def test_the_analytics_page_links_to_it(console, program):
    assert 'href="/analytics/simulator/"' in console.get("/analytics/").content.decode()


@pytest.mark.parametrize(("who", "status"), [("cashier_user", 403), ("marketing_user", 200)])
def test_marketing_sees_the_simulator_and_a_cashier_does_not(client, request, program, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/analytics/simulator/").status_code == status


def test_anonymous_is_sent_to_log_in(client, program):
    response = client.get("/analytics/simulator/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_the_read_only_page_refuses_other_methods(console, program, method):
    response = getattr(console, method)("/analytics/simulator/?base_cashback_percent=9")
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert ProgramSettings.objects.get().base_cashback_percent == 5
    assert console.head("/analytics/simulator/").status_code == 200


def test_other_methods_check_the_permission_first(client, cashier_user, program):
    assert client.post("/analytics/simulator/").status_code == 302  # anonymous: to log in
    client.force_login(cashier_user)
    assert client.post("/analytics/simulator/").status_code == 403
