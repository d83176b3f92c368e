"""A draft campaign can be deleted (asked first, POST with CSRF, audited); a launched one cannot. The new
campaign form submits once: a second POST with its key creates nothing and leads to the first campaign.
A variant's error is shown on its own row."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, CampaignVariant
from campaigns.services.changes import campaign_create, campaign_finish, campaign_launch
from core.models import AuditEntry
from messaging.models import MessageTemplate

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Spring",
    "target": "everyone",
    "holdout_percent": "10",
    "points": "100",
    "channels": ["sms"],
    "response_days": "14",
    "variants-TOTAL_FORMS": "1",
    "variants-INITIAL_FORMS": "0",
}


@pytest.fixture
def console(client, marketing_user):
    client.force_login(marketing_user)
    return client


def _draft(**values):
    return campaign_create(
        values={"name": "Spring", "kind": "broadcast", "points": 100, "channels": ["sms"], **values},
        variants=[{"code": "A", "points": 100, "weight": 1}, {"code": "B", "points": 200, "weight": 1}],
    )


def test_a_draft_is_deleted_after_asking_and_audited(console, program, marketing_user):
    draft = _draft()
    MessageTemplate.objects.create(
        kind=draft.message_kind, channel="sms", language="ru", body="{points}", updated_at=timezone.now()
    )
    page = console.get(f"/campaigns/{draft.pk}/").content.decode()
    assert 'id="delete-form"' in page and "data-confirm=" in page[page.index('id="delete-form"') :][:600]
    assert console.get(f"/campaigns/{draft.pk}/delete/").status_code == 405
    response = console.post(f"/campaigns/{draft.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "Draft campaign “Spring” deleted." in response.content.decode()
    assert not Campaign.objects.exists() and not CampaignVariant.objects.exists()
    assert not MessageTemplate.objects.filter(kind=draft.message_kind).exists()
    entry = AuditEntry.objects.get(action="campaign.delete")
    assert entry.actor == marketing_user and entry.changes["name"] == "Spring"


def test_a_launched_campaign_is_not_deleted_and_the_page_says_why(console, program, customer_factory):
    customer_factory()
    campaign = _draft()
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel="sms", language="en", body="Hi {name}", updated_at=timezone.now()
    )
    campaign_launch(campaign_id=campaign.pk)
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="delete-form"' not in page
    response = console.post(f"/campaigns/{campaign.pk}/delete/")
    assert response.status_code == 400
    assert "Only a draft can be deleted; this campaign is Active. Finish it instead: its results stay." in (
        response.content.decode()
    )
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert not AuditEntry.objects.filter(action="campaign.delete").exists()


def test_a_finished_campaign_is_not_deleted_and_is_not_told_to_finish(console, program):
    campaign = _draft()
    MessageTemplate.objects.create(
        kind=campaign.message_kind, channel="sms", language="en", body="Hi {name}", updated_at=timezone.now()
    )
    campaign_launch(campaign_id=campaign.pk)
    campaign_finish(campaign_id=campaign.pk)
    response = console.post(f"/campaigns/{campaign.pk}/delete/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "A finished campaign stays for its results; it cannot be deleted." in page
    assert "Finish it instead" not in page
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert not AuditEntry.objects.filter(action="campaign.delete").exists()


def test_deleting_needs_the_permission_and_csrf(client, program, cashier_user, marketing_user):
    draft = _draft()
    client.force_login(cashier_user)
    assert client.post(f"/campaigns/{draft.pk}/delete/").status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(marketing_user)
    assert strict.post(f"/campaigns/{draft.pk}/delete/").status_code == 403
    assert Campaign.objects.filter(pk=draft.pk).exists()


def test_create_twice_with_one_form_key_creates_one_campaign(console, program):
    form = console.get("/campaigns/new/broadcast/").content.decode()
    key = re.search(r'name="form_key" value="([^"]+)"', form).group(1)
    first = console.post("/campaigns/new/broadcast/", {**FORM, "form_key": key})
    second = console.post("/campaigns/new/broadcast/", {**FORM, "name": "Spring 2", "form_key": key})
    campaign = Campaign.objects.get()
    assert campaign.name == "Spring"
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/campaigns/{campaign.pk}/"
    assert AuditEntry.objects.filter(action="campaign.create").count() == 1
    other = re.search(r'name="form_key" value="([^"]+)"', console.get("/campaigns/new/broadcast/").content.decode())
    assert other.group(1) != key
    console.post("/campaigns/new/broadcast/", {**FORM, "form_key": other.group(1)})
    assert Campaign.objects.count() == 2


def test_a_refused_form_keeps_its_key_and_the_fixed_post_creates_once(console, program):
    key = "k-1"
    refused = console.post("/campaigns/new/broadcast/", {**FORM, "name": "", "form_key": key})
    assert refused.status_code == 400 and 'name="form_key" value="k-1"' in refused.content.decode()
    assert console.post("/campaigns/new/broadcast/", {**FORM, "form_key": key}).status_code == 302
    assert console.post("/campaigns/new/broadcast/", {**FORM, "form_key": key}).status_code == 302
    assert Campaign.objects.count() == 1


def test_the_deletion_is_described_from_its_changes_not_the_stored_summary(console, program):
    """The log writes the line again in the reader's language (the stored summary is the writer's)."""
    draft = _draft()
    console.post(f"/campaigns/{draft.pk}/delete/")
    AuditEntry.objects.filter(action="campaign.delete").update(summary="(written in another language)")
    page = console.get("/audit/", {"action": "campaign.delete"}).content.decode()
    assert "Deleted draft campaign “Spring”" in page and "another language" not in page


def _variants_post(console, rows):
    data = {**FORM, "variants-TOTAL_FORMS": str(len(rows)), "variants-INITIAL_FORMS": "0"}
    for i, (code, points, weight) in enumerate(rows):
        data.update({f"variants-{i}-code": code, f"variants-{i}-points": points, f"variants-{i}-weight": weight})
    return console.post("/campaigns/new/broadcast/", data)


@pytest.mark.parametrize(("rows", "bad_row", "message"), [
    ([("A", "100", "1"), ("a", "200", "1")], 1, "Two variants have the code “A”"),
    ([("A", "100", "1"), ("B", "99999999999", "1")], 1, "Ensure this value is less than or equal to"),
    ([("A", "100", "1"), ("B!", "200", "1")], 1, "A variant&#x27;s code is 1 to 10 letters or digits"),
    ([("A", "100", "1"), ("B", "200", "0")], 1, "Ensure this value is greater than or equal to 1"),
    ([("A", "100", "1")], 0, "Variants split the customers: give at least two, or none."),
])  # fmt: skip
def test_a_variant_error_is_shown_on_its_row(console, program, rows, bad_row, message):
    response = _variants_post(console, rows)
    assert response.status_code == 400
    body = response.content.decode()
    table = body[body.index("<tbody>") : body.index("</tbody>")]
    chunks = table.split("<tr")
    k = next(i for i, chunk in enumerate(chunks) if f'name="variants-{bad_row}-code"' in chunk)
    assert message in chunks[k] + chunks[k - 1], table  # on the row, or on the error line just above it
    assert all(message not in chunk for i, chunk in enumerate(chunks) if i not in (k, k - 1))
    assert 'id="variant-errors"' not in body  # nothing at the top without saying which
    assert not Campaign.objects.exists()


def test_the_points_field_is_disabled_while_variants_set_the_points(console, program):
    new = console.get("/campaigns/new/broadcast/").content.decode()
    assert '<span id="points-per-variant" hidden>' in new
    assert re.search(r'<input[^>]*name="points"(?![^>]*disabled)[^>]*>', new)
    response = _variants_post(console, [("A", "100", "1"), ("B", "300", "1")])
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.points == 0  # the posted 100 of the field is not used
    edit = console.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert '<span id="points-per-variant">Points are set per variant' in edit
    assert re.search(r'<input[^>]*name="points"[^>]*disabled', edit)
    page = console.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "A: 100 (×1); B: 300 (×1)" in page
