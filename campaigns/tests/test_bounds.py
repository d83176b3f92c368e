"""The bounds of a campaign's numbers (campaigns.bounds): the largest accepted value saves, one more is
refused with a sentence and writes nothing; and a row saved before the bounds (written here around the
services) runs nothing and fails nothing — not the daily run of the other campaigns, not an enrolment,
not a page — while its page and the daily command say which value is wrong."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.boosts import boost_campaigns_active, boost_campaigns_forget
from campaigns.bounds import (
    DECIMAL_BOUNDS,
    INTEGER_BOUNDS,
    VARIANT_POINTS_MAX,
    VARIANT_WEIGHT_MAX,
    campaign_bounds_problems,
)
from campaigns.exceptions import CampaignError
from campaigns.models import Campaign, CampaignGrant, CampaignVariant
from campaigns.selectors import campaigns_running
from campaigns.services.changes import campaign_create, campaign_update
from campaigns.services.daily import campaigns_daily_run
from core.models import AuditEntry
from customers.tests.factories import CustomerFactory
from loyalty.rules import local_midnight

from .helpers import shop_clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, marketing_user):
    client.force_login(marketing_user)
    return client


D = Decimal
# The fields a bound needs beside it to make a valid campaign.
COMPANIONS = {
    "boost_hour_from": {"boost_hour_to": 24},
    "boost_hour_to": {"boost_hour_from": 0},
    "action_limit": {"action": "review", "action_period_days": 30},
    "action_period_days": {"action": "review", "action_limit": 1},
}


def _values(name, value) -> dict:
    kind = "action" if name.startswith("action") else "boost" if name.startswith("boost") else "birthday"
    return {"name": "Edge", "kind": kind, "points": 10, **COMPANIONS.get(name, {}), name: value}


@pytest.mark.parametrize(("name", "bounds"), INTEGER_BOUNDS.items())
def test_every_integer_takes_its_largest_value_and_refuses_one_more(program, name, bounds):
    low, high = bounds
    for accepted in (low, high):
        campaign = campaign_create(values=_values(name, accepted))
        assert getattr(campaign, name) == accepted
    Campaign.objects.all().delete()
    AuditEntry.objects.all().delete()
    for refused in (high + 1, low - 1, 10**18):
        with pytest.raises(CampaignError) as error:
            campaign_create(values=_values(name, refused))
        # the hours are checked as a pair, said on the end hour
        assert error.value.field == ("boost_hour_to" if name.startswith("boost_hour") else name)
        assert error.value.message.startswith(("Enter a whole number from", "Hours run from", "The response window"))
    assert not Campaign.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(("name", "bounds"), DECIMAL_BOUNDS.items())
def test_every_decimal_takes_its_largest_value_and_refuses_a_cent_more(program, name, bounds):
    low, high = bounds
    assert getattr(campaign_create(values=_values(name, high)), name) == high
    with pytest.raises(CampaignError) as error:
        campaign_create(values=_values(name, high + D("0.01")))
    assert error.value.field == name


def test_variant_edges(program):
    top = [{"code": "A", "points": VARIANT_POINTS_MAX, "weight": VARIANT_WEIGHT_MAX}, {"code": "B", "points": 0}]
    campaign = campaign_create(values={"name": "AB", "kind": "birthday"}, variants=top)
    assert sorted(campaign.variants.values_list("points", "weight")) == [(0, 1), (VARIANT_POINTS_MAX, 1000)]
    for bad, message in [
        ({"points": VARIANT_POINTS_MAX + 1}, "A variant's points are a whole number from 0 to 10,000."),
        ({"weight": VARIANT_WEIGHT_MAX + 1}, "A variant's weight is a whole number from 1 to 1000."),
        ({"weight": True}, "A variant's weight is a whole number from 1 to 1000."),
    ]:
        with pytest.raises(CampaignError, match=message):
            campaign_create(values={"name": "AB", "kind": "birthday"}, variants=[{**top[0], **bad}, top[1]])


def test_absence_steps_edges(program):
    assert campaign_create(values=_values("absence_days", [1, 3650])).absence_days == [1, 3650]
    for bad in ([3651], [0], [60, 30], [30, 30], [True]):
        with pytest.raises(CampaignError, match="Absence steps are whole days from 1 to 3650"):
            campaign_create(values=_values("absence_days", bad))


# --- rows saved before the bounds ------------------------------------------------------------------------

# (kind, stored fields, the sentence its page shows)
STORED = [
    (
        "birthday",
        {"points_valid_days": 10**9},
        "“Points valid, days” is 1,000,000,000, outside 1 to 36,500.",
    ),
    (
        "win_back",
        {"absence_days": [30, 10**12]},
        "The absence steps ([30, 1000000000000]) are not whole days from 1 to 3,650 in ascending order.",
    ),
    ("birthday", {"days_before": 30000}, "“Days before” is 30,000, outside 0 to 31."),
    ("broadcast", {"response_days": 30000}, "“Response window, days” is 30,000, outside 1 to 365."),
    ("broadcast", {"budget_points": 2**62}, "“Points budget” is 4,611,686,018,427,387,904, outside 0 to"),
    ("broadcast", {"holdout_percent": D("99.50")}, "“Holdout, %” is 99.50, outside 0 to 90."),
    (
        "action",
        {"action": "review", "action_limit": 5, "action_period_days": 10**9},
        "“Period, days” is 1,000,000,000, outside 1 to 36,500.",
    ),
    ("welcome", {"points_valid_days": 10**9}, "“Points valid, days” is 1,000,000,000, outside 1 to 36,500."),
]


def _stored(kind, fields, status=Campaign.Status.ACTIVE) -> Campaign:
    start = local_midnight(dt.date(2026, 1, 1))
    values = {
        "name": f"Old {kind}", "kind": kind, "status": status, "points": 10, "holdout_percent": D("0"),
        "starts_at": start, "created_at": start, "updated_at": start, **fields,
    }  # fmt: skip
    return Campaign.objects.create(**values)


@pytest.mark.parametrize(("kind", "fields", "sentence"), STORED)
def test_a_stored_row_out_of_bounds_runs_nothing_and_its_page_says_why(
    console, program, capsys, kind, fields, sentence, monkeypatch
):
    shop_clock(monkeypatch, dt.date(2026, 6, 10))
    bad = _stored(kind, fields)
    good = _stored("birthday", {"name": "Good"})
    CustomerFactory(birthday=dt.date(1990, 6, 10))
    assert [p.message for p in campaign_bounds_problems(bad)][0].startswith(sentence)
    assert not campaigns_running(kind=kind, at=timezone.now()).filter(pk=bad.pk).exists()

    result = campaigns_daily_run(as_of=dt.date(2026, 6, 10), now=local_midnight(dt.date(2026, 6, 10)))
    assert str(bad.pk) not in result["campaigns"] and result["campaigns"][str(good.pk)]["granted"] == 1
    call_command("campaigns_daily", "--date", "2026-06-10")
    out = capsys.readouterr().out.replace("\xa0", " ")
    assert f"Campaign {bad.pk} not run, a value is outside its bounds: {sentence}" in out
    assert not CampaignGrant.objects.filter(campaign=bad).exists()

    page = console.get(f"/campaigns/{bad.pk}/")
    assert page.status_code == 200
    text = page.content.decode().replace("\xa0", " ")
    assert "This campaign grants nothing: a value is outside its bounds" in text and sentence in text
    for url in ("/campaigns/", f"/campaigns/{bad.pk}/edit/", f"/campaigns/{bad.pk}/results/"):
        assert console.get(url).status_code == 200, url
    assert console.get(f"/campaigns/{bad.pk}/results.csv").status_code == 200
    assert "bounds-problems" not in console.get(f"/campaigns/{good.pk}/").content.decode()


@pytest.mark.parametrize(("kind", "fields", "sentence"), STORED)
def test_a_draft_out_of_bounds_cannot_be_launched_and_says_why(console, program, kind, fields, sentence):
    draft = _stored(kind, {**fields, "channels": ["sms"]}, status=Campaign.Status.DRAFT)
    page = console.get(f"/campaigns/{draft.pk}/")
    assert page.status_code == 200 and sentence in page.content.decode().replace("\xa0", " ")
    response = console.post(f"/campaigns/{draft.pk}/launch/")
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


def test_a_welcome_out_of_bounds_leaves_the_enrolment_alone(program, django_capture_on_commit_callbacks):
    bad = _stored("welcome", {"points_valid_days": 10**9, "starts_at": None})
    good = _stored("welcome", {"points": 300, "starts_at": None})
    with django_capture_on_commit_callbacks(execute=True):
        customer = CustomerFactory()
    assert list(CampaignGrant.objects.values_list("campaign_id", "customer_id", "points")) == [
        (good.pk, customer.pk, 300)
    ]
    assert not CampaignGrant.objects.filter(campaign=bad).exists()


def test_a_boost_or_variant_out_of_bounds_is_not_loaded(program):
    good = _stored("boost", {"boost_multiplier": D("2")})
    _stored("boost", {"boost_multiplier": D("5000")})
    _stored("boost", {"boost_multiplier": D("2"), "boost_hour_from": 30, "boost_hour_to": 40})
    heavy = _stored("boost", {"boost_multiplier": D("2")})
    CampaignVariant.objects.create(campaign=heavy, code="A", points=0, weight=0)
    CampaignVariant.objects.create(campaign=heavy, code="B", points=0, weight=1)
    boost_campaigns_forget()
    assert [c.pk for c in boost_campaigns_active()] == [good.pk]
    assert [p.field for p in campaign_bounds_problems(heavy, heavy.variants.all())] == ["variants"]


def test_an_edit_of_a_launched_row_out_of_bounds_is_refused_with_the_field(program):
    bad = _stored("birthday", {"points_valid_days": 10**9})
    with pytest.raises(CampaignError) as error:
        campaign_update(campaign_id=bad.pk, values={"name": "Renamed"})
    assert error.value.field == "points_valid_days"
    bad.refresh_from_db()
    assert bad.name != "Renamed"
