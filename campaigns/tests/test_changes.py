"""Staff's changes to campaigns: create, edit (what a launched campaign may change), launch and its
refusals, pause / resume / finish, the uploaded list; every one audited, a refusal writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.exceptions import CampaignError
from campaigns.models import Campaign, CampaignListMember
from campaigns.selectors import campaigns_running
from campaigns.services.changes import (
    campaign_create,
    campaign_finish,
    campaign_launch,
    campaign_list_upload,
    campaign_pause,
    campaign_resume,
    campaign_update,
)
from core.models import AuditEntry
from loyalty.models import Tier
from messaging.models import MessageTemplate
from messaging.services import template_save

pytestmark = pytest.mark.django_db
Kind, Status = Campaign.Kind, Campaign.Status


def _create(*, templates: bool = True, **values):
    """A draft (a broadcast by SMS unless told); `templates`: its message written on each of its channels
    (in English, no audit row), so that only what a test sets can stop its launch."""
    values = {"name": "Spring", "kind": Kind.BROADCAST, "points": 100, "channels": ["sms"], **values}
    variants = values.pop("variants", ())
    tiers = values.pop("tier_ids", ())
    campaign = campaign_create(values=values, variants=variants, tier_ids=tiers)
    if templates:
        for channel in campaign.channels:
            MessageTemplate.objects.create(  # a row, not template_save: no audit row of its own
                kind=campaign.message_kind, channel=channel, language="en", body="Hi {name}", updated_at=timezone.now()
            )
    return campaign


def test_create_writes_a_draft_with_its_variants_and_an_audit_row(marketing_user):
    campaign = campaign_create(
        values={"name": " Spring ", "kind": Kind.WELCOME, "points": 300, "points_valid_days": 7},
        variants=[{"code": "a", "points": 300, "weight": 1}, {"code": "B", "points": 500, "weight": 3}],
        actor=marketing_user,
        origin="console",
    )
    assert campaign.status == Status.DRAFT and campaign.name == "Spring"
    assert list(campaign.variants.values_list("code", "points", "weight")) == [("A", 300, 1), ("B", 500, 3)]
    entry = AuditEntry.objects.get(action="campaign.create")
    assert entry.actor == marketing_user and entry.object_id == str(campaign.pk)
    assert entry.changes["variants"] == ["A:300×1", "B:500×3"]


@pytest.mark.parametrize(
    ("values", "variants", "field"),
    [
        ({"name": "  "}, [], "name"),
        ({"ends_at": "start"}, [], "ends_at"),
        ({"holdout_percent": Decimal("95")}, [], "holdout_percent"),
        ({"absence_days": [60, 30]}, [], "absence_days"),
        ({"boost_hour_from": 18, "boost_hour_to": 18}, [], "boost_hour_to"),  # 20 → 18 wraps midnight: fine
        ({"boost_hour_from": 20, "boost_hour_to": 0}, [], "boost_hour_to"),  # midnight is 24, the end
        ({"channels": ["pigeon"]}, [], "channels"),
        ({"target_rfm_segment": "nobody"}, [], "target_rfm_segment"),
        ({}, [{"code": "A", "points": 1}, {"code": "a", "points": 2}], "variants"),
        ({}, [{"code": "A", "points": 1}], "variants"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(values, variants, field):
    start = timezone.now()
    if values.get("ends_at") == "start":
        values = {"starts_at": start, "ends_at": start}
    with pytest.raises(CampaignError) as error:
        _create(**values, variants=variants)
    assert error.value.field == field
    assert not Campaign.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        # the largest `integer` is 2 147 483 647: one more is a DataError on PostgreSQL
        ({"points": 10_001}, "points", "Enter a whole number from 0 to 10,000."),  # CAMPAIGN_POINTS_MAX
        ({"points": 2_147_483_648}, "points", "Enter a whole number from 0 to 10,000."),
        ({"points": 9_223_372_036_854_775_807}, "points", "Enter a whole number from 0 to 10,000."),
        ({"points": -1}, "points", "Enter a whole number from 0 to 10,000."),
        # a validity like the program's point lifetime: 36 500 days at most (999 999 999 overflows a date)
        ({"points_valid_days": 999_999_999}, "points_valid_days", "Enter a whole number from 1 to 36,500."),
        ({"points_valid_days": 0}, "points_valid_days", "Enter a whole number from 1 to 36,500."),
        ({"budget_points": 10**15 + 1}, "budget_points", "Enter a whole number from 0 to 1,000,000,000,000,000."),
        ({"per_customer_limit": 0}, "per_customer_limit", "Enter a whole number from 1 to 2,147,483,647."),
        ({"kind": Kind.BIRTHDAY, "days_before": 400}, "days_before", "Enter a whole number from 0 to 31."),
        (
            {"kind": Kind.ACTION, "action_limit": 99_999_999_999_999_999, "action_period_days": 30},
            "action_limit",
            "Enter a whole number from 1 to 2,147,483,647.",
        ),
        (
            {"kind": Kind.ACTION, "action_limit": 1, "action_period_days": 99_999_999_999_999},
            "action_period_days",
            "Enter a whole number from 1 to 36,500.",
        ),
        ({"ends_at": "past"}, "ends_at", "The end has passed: choose a moment still ahead, or leave it empty."),
    ],
)
def test_create_and_update_refuse_values_out_of_bounds(values, field, message, program):
    if values.get("ends_at") == "past":
        values = {"ends_at": timezone.now() - dt.timedelta(minutes=1)}
    with pytest.raises(CampaignError) as error:
        _create(**values)
    assert (error.value.field, error.value.message) == (field, message)
    assert not Campaign.objects.exists()
    campaign = _create(kind=values.get("kind", Kind.BROADCAST))
    changes = {k: v for k, v in values.items() if k != "kind"}
    with pytest.raises(CampaignError) as error:
        campaign_update(campaign_id=campaign.pk, values=changes)
    assert (error.value.field, error.value.message) == (field, message)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["campaign.create"]
    assert Campaign.objects.get().updated_at == campaign.updated_at


def test_a_variants_points_are_bounded_like_the_campaigns(program):
    with pytest.raises(CampaignError) as error:
        _create(variants=[{"code": "A", "points": 1}, {"code": "B", "points": 2_147_483_648}])
    assert error.value.message == "A variant's points are a whole number from 0 to 10,000."


def test_the_bounds_themselves_are_accepted(program):
    campaign = _create(
        kind=Kind.BIRTHDAY, points=10_000, points_valid_days=36_500, days_before=31, per_customer_limit=1
    )
    campaign.refresh_from_db()
    assert (campaign.points, campaign.points_valid_days, campaign.days_before) == (10_000, 36_500, 31)


def test_a_draft_whose_end_passed_may_still_be_renamed_but_not_given_another_past_end(program):
    campaign = _create(ends_at=timezone.now() + dt.timedelta(hours=1))
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    campaign.refresh_from_db()
    assert (
        campaign_update(campaign_id=campaign.pk, values={"name": "Later", "ends_at": campaign.ends_at}).name == "Later"
    )
    with pytest.raises(CampaignError) as error:
        campaign_update(campaign_id=campaign.pk, values={"ends_at": timezone.now() - dt.timedelta(minutes=5)})
    assert error.value.field == "ends_at"


def test_a_boost_with_variants_is_refused_at_save(program):
    values = {"kind": Kind.BOOST, "points": 0, "boost_multiplier": Decimal("2")}
    variants = [{"code": "A", "points": 100}, {"code": "B", "points": 200}]
    with pytest.raises(CampaignError) as error:
        _create(**values, variants=variants)
    assert error.value.field == "variants" and "cannot have A/B variants" in error.value.message
    campaign = _create(**values)
    with pytest.raises(CampaignError):
        campaign_update(campaign_id=campaign.pk, values={}, variants=variants)
    assert not campaign.variants.exists()


def test_launch_refuses_a_budget_below_the_largest_variant(program):
    # A 200 / B 300 with a budget of 250: B's customers could never be granted
    campaign = _create(
        kind=Kind.WELCOME,
        budget_points=250,
        variants=[{"code": "A", "points": 200}, {"code": "B", "points": 300}],
    )
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign_id=campaign.pk)
    assert error.value.message == "The budget (250) does not cover the largest grant (300)."
    campaign_update(campaign_id=campaign.pk, values={"budget_points": 300})
    assert campaign_launch(campaign_id=campaign.pk).status == Status.ACTIVE


@pytest.mark.parametrize("kind", [Kind.BROADCAST, Kind.BIRTHDAY, Kind.ANNIVERSARY, Kind.ACTION, Kind.WIN_BACK])
def test_launch_refuses_a_budget_below_the_points_of_every_kind_that_grants_them(kind, program):
    """A broadcast of 100 points with a budget of 50 could grant nobody (and would finish spent): refused
    like the other kinds; with a budget of 100 it launches. A broadcast of 0 points (a message) is fine."""
    extra = {
        Kind.ACTION: {"action": "survey"},
        Kind.WIN_BACK: {"absence_days": [30]},
        Kind.BIRTHDAY: {"days_before": 0},
    }.get(kind, {})
    campaign = _create(kind=kind, points=100, budget_points=50, **extra)
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign_id=campaign.pk)
    assert error.value.message == "The budget (50) does not cover the largest grant (100)."
    assert error.value.field == "budget_points"
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT
    campaign_update(campaign_id=campaign.pk, values={"budget_points": 100})
    assert campaign_launch(campaign_id=campaign.pk).status == Status.ACTIVE
    message_only = _create(kind=Kind.BROADCAST, points=0, budget_points=0)
    assert campaign_launch(campaign_id=message_only.pk).status == Status.ACTIVE


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": Kind.WELCOME, "points": 0}, "This kind of campaign grants points: enter how many."),
        ({"kind": Kind.BOOST}, "A boost needs a multiplier above 1 or an extra cashback above 0 %."),
        ({"kind": Kind.WIN_BACK}, "A win-back needs its absence steps (30, 60, 90)."),
        ({"kind": Kind.ACTION}, "Choose the action that earns the points."),
        ({"target": "tiers"}, "Choose at least one tier for the target."),
        ({"target": "rfm_segment"}, "Choose the RFM segment of the target."),
        ({"target": "saved_segment"}, "Choose the saved segment of the target."),
        ({"target": "list"}, "Upload the list of customers of the target."),
        ({"channels": []}, "A broadcast is a message: choose its channels."),
        ({"ends_at": "past"}, "The campaign's end has passed."),
        ({"budget_points": 50}, "The budget (50) does not cover the largest grant (100)."),
    ],
)
def test_launch_refusals(values, message, program):
    past = values.get("ends_at") == "past"
    if past:
        values = {"ends_at": timezone.now() + dt.timedelta(hours=1)}
    if values.get("kind") == Kind.BROADCAST or "budget_points" in values:
        values.setdefault("kind", Kind.WELCOME)
    campaign = _create(**values)
    if past:  # saved while its end was ahead; the end passed before the launch
        Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign_id=campaign.pk)
    assert error.value.message == message
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT
    assert not AuditEntry.objects.filter(action="campaign.launch").exists()


def test_launch_refuses_channels_without_a_template_naming_them(program):
    """Channels [SMS, Email, Messenger]; a Russian SMS text only (rendering falls back on another language,
    so SMS can send): Email and Messenger would send nothing, the refusal names both, nothing changes."""
    campaign = _create(channels=["sms", "email", "messenger"], templates=False)
    template_save(kind=campaign.message_kind, channel="sms", language="ru", body="Привет, {name}")
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign_id=campaign.pk)
    assert error.value.message == (
        "The channels Email, Messenger have no message template: write them below (Messages), or remove the channels."
    )
    assert error.value.field == "channels"
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT and not AuditEntry.objects.filter(action="campaign.launch").exists()
    template_save(kind=campaign.message_kind, channel="email", language="en", subject="Hi", body="Hi {name}")
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign_id=campaign.pk)
    assert error.value.message == (
        "The channel Messenger has no message template: write it below (Messages), or remove the channel."
    )
    template_save(kind=campaign.message_kind, channel="messenger", language="en", body="Hi {name}")
    assert campaign_launch(campaign_id=campaign.pk).status == Status.ACTIVE


def test_a_campaign_without_channels_needs_no_template(program):
    campaign = _create(kind=Kind.WELCOME, channels=[], templates=False)
    assert campaign_launch(campaign_id=campaign.pk).status == Status.ACTIVE


def test_a_broadcast_may_launch_without_points(program):
    campaign = _create(points=0)
    assert campaign_launch(campaign_id=campaign.pk).status == Status.ACTIVE


def test_launch_schedules_a_later_start_and_activates_a_current_one(program):
    now = timezone.now()
    later = _create(starts_at=now + dt.timedelta(days=2))
    assert campaign_launch(campaign_id=later.pk, now=now).status == Status.SCHEDULED
    current = _create(starts_at=now - dt.timedelta(days=1))
    assert campaign_launch(campaign_id=current.pk, now=now).status == Status.ACTIVE
    with pytest.raises(CampaignError, match="Only a draft can be launched"):
        campaign_launch(campaign_id=current.pk, now=now)
    assert AuditEntry.objects.filter(action="campaign.launch").count() == 2


def test_pause_stops_granting_and_resume_and_finish(program, marketing_user):
    now = timezone.now()
    campaign = _create(kind=Kind.WELCOME, points=300)
    campaign_launch(campaign_id=campaign.pk, now=now)
    assert list(campaigns_running(kind=Kind.WELCOME, at=now)) == [campaign]
    campaign_pause(campaign_id=campaign.pk, actor=marketing_user)
    assert list(campaigns_running(kind=Kind.WELCOME, at=now)) == []
    with pytest.raises(CampaignError):
        campaign_pause(campaign_id=campaign.pk)
    campaign_resume(campaign_id=campaign.pk)
    assert list(campaigns_running(kind=Kind.WELCOME, at=now)) == [campaign]
    campaign_finish(campaign_id=campaign.pk)
    assert list(campaigns_running(kind=Kind.WELCOME, at=now)) == []
    with pytest.raises(CampaignError):
        campaign_resume(campaign_id=campaign.pk)
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "changes__status"))
    assert actions[1:] == [
        ("campaign.launch", ["draft", "active"]),
        ("campaign.pause", ["active", "paused"]),
        ("campaign.resume", ["paused", "active"]),
        ("campaign.finish", ["active", "finished"]),
    ]


def test_a_draft_may_change_anything_a_launched_one_only_name_end_budget_channels_window(program):
    tier = Tier.objects.order_by("order").first()
    campaign = _create(kind=Kind.WELCOME, points=300, budget_points=3000)
    campaign_update(campaign_id=campaign.pk, values={"points": 400, "target": "tiers"}, tier_ids=[tier.pk])
    campaign.refresh_from_db()
    assert campaign.points == 400 and list(campaign.target_tiers.all()) == [tier]
    campaign_launch(campaign_id=campaign.pk)
    later = timezone.now() + dt.timedelta(days=30)
    campaign_update(
        campaign_id=campaign.pk,
        values={"name": "Spring 2", "ends_at": later, "budget_points": 5000, "points": 400, "response_days": 7},
    )
    campaign.refresh_from_db()
    assert (campaign.name, campaign.budget_points, campaign.response_days) == ("Spring 2", 5000, 7)
    for values, field in (
        ({"points": 500}, "points"),
        ({"holdout_percent": Decimal("20")}, "holdout_percent"),
        ({"ends_at": timezone.now() - dt.timedelta(days=1)}, "ends_at"),
    ):
        with pytest.raises(CampaignError) as error:
            campaign_update(campaign_id=campaign.pk, values=values)
        assert error.value.field == field
    with pytest.raises(CampaignError):
        campaign_update(
            campaign_id=campaign.pk, values={}, variants=[{"code": "A", "points": 1}, {"code": "B", "points": 2}]
        )
    campaign.refresh_from_db()
    assert (campaign.points, campaign.holdout_percent, campaign.budget_points) == (400, Decimal("10.00"), 5000)
    changes = AuditEntry.objects.filter(action="campaign.update").order_by("pk").last().changes
    assert changes["name"] == ["Spring", "Spring 2"] and changes["budget_points"] == [3000, 5000]
    campaign_finish(campaign_id=campaign.pk)
    with pytest.raises(CampaignError, match="finished"):
        campaign_update(campaign_id=campaign.pk, values={"name": "Again"})


def test_a_launched_budget_may_go_down_to_the_points_granted_or_be_removed(program, marketing_user):
    campaign = _create(kind=Kind.WELCOME, points=100, budget_points=3000)
    campaign_launch(campaign_id=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(points_granted=700)  # seven welcome grants
    with pytest.raises(CampaignError) as error:
        campaign_update(campaign_id=campaign.pk, values={"budget_points": 699}, actor=marketing_user)
    assert (error.value.field, error.value.message) == (
        "budget_points",
        "The budget cannot be below the 700 points already granted.",
    )
    assert campaign_update(campaign_id=campaign.pk, values={"budget_points": 700}).budget_points == 700
    assert campaign_update(campaign_id=campaign.pk, values={"budget_points": 2000}).budget_points == 2000
    campaign_update(campaign_id=campaign.pk, values={"budget_points": None}, actor=marketing_user)
    assert Campaign.objects.get(pk=campaign.pk).budget_points is None
    changes = AuditEntry.objects.filter(action="campaign.update").order_by("pk").last().changes
    assert changes["budget_points"] == [2000, None]


def test_an_update_that_changes_nothing_writes_no_audit_row(program):
    campaign = _create()
    campaign_update(campaign_id=campaign.pk, values={"name": "Spring"})
    assert not AuditEntry.objects.filter(action="campaign.update").exists()


def test_list_upload_keeps_the_customers_found_and_reports_the_rest_masked(customer_factory, program, caplog):
    known = customer_factory(phone="+79161234567")
    by_card = customer_factory()
    erased = customer_factory(phone="+79169990011")
    erased.erased_at = timezone.now()
    erased.save(update_fields=["erased_at"])
    campaign = _create(target="list")
    text = "\n".join(
        [
            "phone;name",
            "8 (916) 123-45-67;Known",
            f"{by_card.card_number}",
            "",
            "+7 916 999-00-11",  # erased
            "+7 903 000-00-00",  # nobody
            "not a phone",
            "+79161234567",  # the first again
        ]
    )
    result = campaign_list_upload(campaign_id=campaign.pk, text=text, origin="console")
    assert (result.lines, result.added, result.already) == (6, 2, 0)
    assert [line for line, _masked in result.not_found] == [5, 6]
    assert [line for line, _masked in result.unrecognised] == [7]  # no phone nor card: not "nobody"
    assert "903 000" not in str(result.not_found) and "916 999" not in str(result.not_found)
    assert set(CampaignListMember.objects.values_list("customer_id", flat=True)) == {known.pk, by_card.pk}
    entry = AuditEntry.objects.get(action="campaign.list_upload")
    assert entry.changes["not_found"] == 2 and entry.changes["unrecognised"] == 1 and "916" not in str(entry.changes)
    assert "916" not in caplog.text
    again = campaign_list_upload(campaign_id=campaign.pk, text="+79161234567")
    assert (again.added, again.already) == (0, 1)
    replaced = campaign_list_upload(campaign_id=campaign.pk, text=by_card.card_number, replace=True)
    assert replaced.added == 1 and list(CampaignListMember.objects.values_list("customer_id", flat=True)) == [
        by_card.pk
    ]
    with pytest.raises(CampaignError):
        campaign_list_upload(campaign_id=campaign.pk, text="\n\n")
    campaign_launch(campaign_id=campaign.pk)
    with pytest.raises(CampaignError, match="draft"):
        campaign_list_upload(campaign_id=campaign.pk, text="+79161234567")
    assert CampaignListMember.objects.count() == 1


def test_a_boost_runs_from_its_launch_so_an_earlier_late_purchase_is_not_boosted(customer_factory, program):
    """An offline till's purchase dated before the boost was launched gets no boost (tester: a purchase of
    the day before was boosted by a campaign launched the next morning)."""
    from loyalty.services import purchase_record

    launched_at = timezone.now()
    boost = _create(kind=Kind.BOOST, points=0, channels=[], boost_multiplier=Decimal("2"), templates=False)
    assert boost.starts_at is None
    boost = campaign_launch(campaign_id=boost.pk, now=launched_at)
    assert boost.starts_at == launched_at and boost.status == Status.ACTIVE
    customer = customer_factory()
    late = purchase_record(
        customer_id=customer.pk,
        amount="1000.00",
        idempotency_key="late",
        occurred_at=launched_at - dt.timedelta(hours=12),
        late_max_age=dt.timedelta(days=7),
    ).purchase
    assert late.earned_points == 50  # 5 % base only
    assert (
        purchase_record(customer_id=customer.pk, amount="1000.00", idempotency_key="now").purchase.earned_points == 100
    )
