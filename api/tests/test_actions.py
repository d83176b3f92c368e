"""POST /api/v1/customers/{id}/actions/: points for an action, once per reference, within the limit per
period, replayed by its Idempotency-Key, a holdout answered as not eligible, bad input 400, 404."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from api.tests.helpers import post, token_client
from campaigns.models import Campaign, CampaignAction, CampaignGrant
from campaigns.tests.helpers import customer_in, running_campaign
from loyalty.models import LedgerEntry
from loyalty.rules import local_midnight
from loyalty.tests.helpers import balance

pytestmark = pytest.mark.django_db


def _url(customer_id: int) -> str:
    return f"/api/v1/customers/{customer_id}/actions/"


def _review_campaign(**fields) -> Campaign:
    values = {"name": "Reviews", "action": Campaign.Action.REVIEW, "points": 100, "points_valid_days": 30, **fields}
    return running_campaign(Campaign.Kind.ACTION, **values)


def test_an_action_grants_the_running_campaigns_points(api, customer):
    campaign = _review_campaign()
    running_campaign(Campaign.Kind.ACTION, name="Surveys", action=Campaign.Action.SURVEY, points=50)
    response = post(api, _url(customer.pk), {"action": "review", "reference": "review-8812"})
    assert response.status_code == 201
    expires = local_midnight(timezone.localdate() + dt.timedelta(days=30))
    assert response.json() == {
        "customer": customer.pk,
        "action": "review",
        "reference": "review-8812",
        "granted": [{"campaign": campaign.pk, "points": 100, "expires_at": expires.isoformat()}],
        "reason": None,
        "detail": "Points granted.",
    }
    grant = CampaignGrant.objects.get()
    assert (grant.occasion, grant.points, grant.entry.source) == (
        "action:review:review-8812",
        100,
        f"campaign:{campaign.pk}",
    )
    assert grant.entry.kind == LedgerEntry.Kind.BONUS and grant.entry.expires_at == expires
    assert balance(customer) == 100
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 100


def test_a_retry_with_the_same_key_replays_the_answer(api, customer):
    _review_campaign()
    first = post(api, _url(customer.pk), {"action": "review", "reference": "r-1"}, key="a-1")
    again = post(api, _url(customer.pk), {"action": "review", "reference": "r-1"}, key="a-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CampaignGrant.objects.count() == 1 and CampaignAction.objects.count() == 1
    conflict = post(api, _url(customer.pk), {"action": "review", "reference": "r-2"}, key="a-1")
    assert conflict.status_code == 409


def test_the_same_reference_twice_grants_once(api, customer):
    _review_campaign()
    post(api, _url(customer.pk), {"action": "review", "reference": "r-1"}, key="a-1")
    second = post(api, _url(customer.pk), {"action": "review", "reference": "r-1"}, key="a-2")
    assert second.status_code == 200
    assert (second.json()["granted"], second.json()["reason"]) == ([], "already_granted")
    assert balance(customer) == 100


def test_at_most_the_limit_per_period(api, customer):
    _review_campaign(action_limit=2, action_period_days=7)
    answers = [
        post(api, _url(customer.pk), {"action": "review", "reference": f"r-{i}"}, key=f"k-{i}") for i in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 200]
    assert answers[2].json()["reason"] == "limit_reached"
    assert answers[2].json()["detail"] == "The customer reached the limit of grants for this action."
    # Eight days later the first two are out of the period.
    CampaignGrant.objects.update(at=timezone.now() - dt.timedelta(days=8))
    assert post(api, _url(customer.pk), {"action": "review", "reference": "r-9"}, key="k-9").status_code == 201


def test_no_running_campaign(api, customer):
    _review_campaign(status=Campaign.Status.PAUSED)
    response = post(api, _url(customer.pk), {"action": "review", "reference": "r-1"})
    assert (response.status_code, response.json()["reason"]) == (200, "no_campaign")
    assert not CampaignGrant.objects.exists()


def test_a_holdout_customer_is_answered_as_not_eligible_and_recorded(api, program):
    campaign = _review_campaign(holdout_percent=Decimal("50"))
    held = customer_in(campaign, holdout=True)
    outside = customer_in(campaign, holdout=False)
    Campaign.objects.filter(pk=campaign.pk).update(target_consent=Campaign.Consent.SMS)  # `outside` has none
    for customer in (held, outside):
        response = post(api, _url(customer.pk), {"action": "review", "reference": "r-1"}, key=f"k-{customer.pk}")
        assert response.status_code == 200
        assert (response.json()["granted"], response.json()["reason"]) == ([], "not_eligible")
    # The holdout customer was outside the target too once the consent was asked: grant rows for nobody.
    Campaign.objects.filter(pk=campaign.pk).update(target_consent="")
    response = post(api, _url(held.pk), {"action": "review", "reference": "r-2"}, key="k-held-2")
    assert response.json()["reason"] == "not_eligible"
    row = CampaignGrant.objects.get(customer=held)
    assert (row.holdout, row.points, row.entry) == (True, 0, None)
    assert not LedgerEntry.objects.filter(customer=held).exists()


def test_the_budget(api, customer, customer_factory):
    _review_campaign(budget_points=150)
    assert post(api, _url(customer.pk), {"action": "review", "reference": "r-1"}, key="k-1").status_code == 201
    other = customer_factory()
    response = post(api, _url(other.pk), {"action": "review", "reference": "r-1"}, key="k-2")
    assert response.json()["reason"] == "budget_spent"
    assert not CampaignGrant.objects.filter(customer=other).exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"action": "dance", "reference": "r-1"}, "action", '"dance" is not a valid choice.'),
        ({"reference": "r-1"}, "action", "This field is required."),
        ({"action": "review"}, "reference", "This field is required."),
        ({"action": "review", "reference": ""}, "reference", "This field may not be blank."),
        ({"action": "review", "reference": 8812}, "reference", "Not a valid string."),
        (
            {"action": "review", "reference": "has space"},
            "reference",
            "The reference must be 1–64 visible ASCII characters (no spaces).",
        ),
    ],
)
def test_bad_input_is_400_with_a_reason(api, customer, body, field, message):
    _review_campaign()
    response = post(api, _url(customer.pk), body)
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert not CampaignGrant.objects.exists() and not CampaignAction.objects.exists()


def test_missing_key_is_400_and_unknown_customer_404(api, customer):
    assert post(api, _url(customer.pk), {"action": "review", "reference": "r"}, key=None).status_code == 400
    response = post(api, _url(999999), {"action": "review", "reference": "r"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Customer 999999 does not exist."


def test_needs_an_api_key(customer):
    response = token_client("wrong").post(_url(customer.pk), {"action": "review", "reference": "r"}, format="json")
    assert response.status_code == 401


def test_the_schema_documents_the_endpoint(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/customers/{customer_id}/actions/" in schema
    assert "already_granted" in schema and "earned_breakdown" in schema


# --- the earned breakdown of a boosted purchase ------------------------------------------------------


def test_a_boosted_purchase_answers_with_its_breakdown_and_the_quote_too(api, customer):
    campaign = running_campaign(Campaign.Kind.BOOST, name="Double points weekend", boost_multiplier=Decimal("2"))
    lines = [{"category": "shoes", "amount": "600.00"}, {"category": "socks", "amount": "400.00"}]
    quote = api.post(
        "/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "1000.00", "lines": lines}, format="json"
    )
    boost = {"part": "boost", "campaign": campaign.pk, "name": "Double points weekend", "points": 50}
    assert quote.json() == {
        "max_redeem_points": 0,
        "earn_points": 100,
        "earned_breakdown": [{"part": "base", "points": 50}, boost],
    }
    response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00", "lines": lines})
    body = response.json()
    assert response.status_code == 201 and body["earned_points"] == 100 and body["balance_after"] == 100
    assert body["earned_breakdown"] == [{"part": "base", "points": 50}, boost]
    replay = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00", "lines": lines})
    assert replay.json() == body and balance(customer) == 100
