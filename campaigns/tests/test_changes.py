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

pytestmark = pytest.mark.django_db
Kind, Status = Campaign.Kind, Campaign.Status


def _create(**values):
    values = {"name": "Spring", "kind": Kind.BROADCAST, "points": 100, "channels": ["sms"], **values}
    variants = values.pop("variants", ())
    tiers = values.pop("tier_ids", ())
    return campaign_create(values=values, variants=variants, tier_ids=tiers)


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
        ({"boost_hour_from": 20, "boost_hour_to": 18}, [], "boost_hour_to"),
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
        ({"budget_points": 50}, "The budget does not cover a single grant."),
    ],
)
def test_launch_refusals(values, message, program):
    if values.get("ends_at") == "past":
        values = {"ends_at": timezone.now() - dt.timedelta(hours=1)}
    if values.get("kind") == Kind.BROADCAST or "budget_points" in values:
        values.setdefault("kind", Kind.WELCOME)
    campaign = _create(**values)
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign_id=campaign.pk)
    assert error.value.message == message
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT
    assert not AuditEntry.objects.filter(action="campaign.launch").exists()


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
        ({"budget_points": 4000}, "budget_points"),
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
    assert [line for line, _masked in result.not_found] == [5, 6, 7]
    assert "903 000" not in str(result.not_found) and "916 999" not in str(result.not_found)
    assert set(CampaignListMember.objects.values_list("customer_id", flat=True)) == {known.pk, by_card.pk}
    entry = AuditEntry.objects.get(action="campaign.list_upload")
    assert entry.changes["not_found"] == 3 and "916" not in str(entry.changes)
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
