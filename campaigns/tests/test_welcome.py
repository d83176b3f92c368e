"""The welcome bonus: granted in the enrolment's request once it commits (the till shows it on the card it
opens next), once per campaign and customer, its deadline, the holdout, the budget, the fallback task."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns import subscribers, tasks
from campaigns.models import Campaign, CampaignGrant
from campaigns.rules import in_holdout
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from loyalty.models import LedgerEntry
from loyalty.rules import local_midnight
from loyalty.tests.helpers import balance

from .helpers import running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(client, cashier_user):
    client.force_login(cashier_user)
    return client


def _welcome(**fields) -> Campaign:
    values = {"name": "Welcome", "points": 500, "points_valid_days": 14, **fields}
    return running_campaign(Campaign.Kind.WELCOME, **values)


@pytest.fixture
def enrol(django_capture_on_commit_callbacks):
    """Enrol a customer as the services do, running what waits for the commit (the welcome grant)."""

    def enrol(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return CustomerFactory(**fields)

    return enrol


def _enrol(till, phone="8 (912) 000-11-22", key="e-1"):
    return till.post("/cashier/enrol/", {"phone": phone, "name": "Oleg", "idempotency_key": key}, follow=True)


# Committed for real: the grant runs once the enrolment commits, before the till renders the card.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_till_shows_the_welcome_bonus_right_after_enrolment(till, program):
    campaign = _welcome()
    page = _enrol(till).content.decode()
    customer = Customer.objects.get()
    grant = CampaignGrant.objects.get()
    expires = local_midnight(timezone.localdate() + dt.timedelta(days=14))
    assert (grant.campaign, grant.customer, grant.occasion, grant.points) == (campaign, customer, "enrol", 500)
    assert grant.expires_at == expires == grant.entry.expires_at
    assert grant.entry.source == f"campaign:{campaign.pk}" and grant.entry.kind == LedgerEntry.Kind.BONUS
    last = expires.date() - dt.timedelta(days=1)  # they burn at the start of the 14th day: the 13th is the last
    assert f"Welcome bonus: 500 points, valid through {last.day} {last:%b %Y}." in page
    assert balance(customer) == 500
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 500


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_till_says_when_there_is_none(till, program):
    _welcome(status=Campaign.Status.FINISHED)
    page = _enrol(till).content.decode()
    assert "No welcome bonus for this customer." in page
    assert not CampaignGrant.objects.exists()


def test_a_retried_enrolment_grants_once_and_the_task_grants_nothing_twice(enrol, program):
    _welcome()
    customer = enrol(name="Oleg", phone="+79120001122", idempotency_key="till:e-1")
    assert enrol(name="Oleg", phone="+79120001122", idempotency_key="till:e-1") == customer  # a replay: no second event
    assert tasks.welcome_grant(customer_id=customer.pk) == ["already_granted"]
    assert CampaignGrant.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_the_holdout_gets_a_row_without_points_or_message(enrol, program):
    campaign = _welcome(holdout_percent=Decimal("50"), channels=["sms"])
    customers = [enrol(consent_sms=True) for _ in range(12)]
    held = [c for c in customers if in_holdout(campaign.pk, c.pk, Decimal("50"))]
    assert held  # 12 customers at 50 %: all on one side has a chance of 1 in 2 048
    for customer in held:
        row = CampaignGrant.objects.get(customer=customer)
        assert (row.holdout, row.points, row.entry, row.expires_at) == (True, 0, None, None)
    treated = [c for c in customers if c not in held]
    assert CampaignGrant.objects.filter(holdout=False).count() == len(treated)
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 500 * len(treated)


def test_the_budget_leaves_customers_out_without_a_row(enrol, program):
    campaign = _welcome(budget_points=1000)
    customers = [enrol() for _ in range(3)]
    assert [CampaignGrant.objects.filter(customer=c).count() for c in customers] == [1, 1, 0]
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 1000


def test_a_spent_budget_still_records_the_holdout(program):
    from campaigns.services.events import welcome_grant
    from campaigns.services.grants import Outcome

    from .helpers import customer_in

    campaign = _welcome(budget_points=500, holdout_percent=Decimal("50"))
    Campaign.objects.filter(pk=campaign.pk).update(points_granted=500)  # the budget is spent
    held, treated = customer_in(campaign, holdout=True), customer_in(campaign, holdout=False)
    assert [a.outcome for a in welcome_grant(customer_id=held.pk)] == [Outcome.HOLDOUT]
    assert [a.outcome for a in welcome_grant(customer_id=treated.pk)] == [Outcome.BUDGET]
    rows = list(CampaignGrant.objects.values_list("customer_id", "holdout", "points", "entry"))
    assert rows == [(held.pk, True, 0, None)]


def test_the_target_consent_is_respected(enrol, program):
    _welcome(target_consent=Campaign.Consent.EMAIL)
    without = enrol()
    with_consent = enrol(email="a@example.com", consent_email=True)
    assert not CampaignGrant.objects.filter(customer=without).exists()
    assert CampaignGrant.objects.filter(customer=with_consent).exists()


def test_a_welcome_aimed_at_the_entry_tier_reaches_a_new_customer_who_has_no_tier_status_yet(enrol, program):
    """A new customer has no TierStatus row until the nightly review or a purchase, yet holds the entry tier
    (Bronze, 0.00): a welcome aimed at Bronze grants them; one aimed at Silver does not."""
    from loyalty.models import Tier, TierStatus

    bronze_welcome = _welcome(name="Welcome Bronze", points=7, target=Campaign.Target.TIERS)
    bronze_welcome.target_tiers.set([Tier.objects.get(code="bronze")])
    silver_welcome = _welcome(name="Welcome Silver", points=9, target=Campaign.Target.TIERS)
    silver_welcome.target_tiers.set([Tier.objects.get(code="silver")])
    customer = enrol()
    assert not TierStatus.objects.filter(customer=customer).exists()
    grants = list(CampaignGrant.objects.filter(customer=customer).values_list("campaign_id", "points"))
    assert grants == [(bronze_welcome.pk, 7)]
    assert balance(customer) == 7


def test_the_message_goes_with_the_grants_points_and_deadline(enrol, program):
    from messaging.models import Message, MessageTemplate

    campaign = _welcome(channels=["email", "sms"])
    MessageTemplate.objects.create(
        kind=campaign.message_kind,
        channel="sms",
        language="en",
        body="{points} until {expires_on}",
        updated_at=timezone.now(),
    )
    customer = enrol(consent_sms=True)
    message = Message.objects.get(customer=customer)
    assert (message.channel, message.kind, message.purpose) == ("sms", campaign.message_kind, "marketing")
    assert message.text.startswith("500 points until ")


def test_the_message_says_the_last_day_the_points_can_be_spent_in_the_customers_language(enrol, program, monkeypatch):
    """A 14-day welcome bonus granted 2026-03-10 12:00 (shop time): the points burn at the start of
    2026-03-24, so {valid_through} is 23 March, in Russian for a Russian-speaking customer."""
    from messaging.models import Message, MessageTemplate

    from .helpers import shop_clock

    shop_clock(monkeypatch, dt.date(2026, 3, 10), hour=12)
    campaign = _welcome(channels=["sms"])
    for language, body in (("en", "{points} until {valid_through}"), ("ru", "{points}, тратьте до {valid_through}")):
        MessageTemplate.objects.create(
            kind=campaign.message_kind, channel="sms", language=language, body=body, updated_at=timezone.now()
        )
    ru = enrol(consent_sms=True, language="ru")
    en = enrol(consent_sms=True, language="en")
    assert CampaignGrant.objects.get(customer=ru).expires_at == local_midnight(dt.date(2026, 3, 24))
    assert Message.objects.get(customer=ru).text == "500 баллов, тратьте до 23 марта 2026 г."
    assert Message.objects.get(customer=en).text == "500 points until 23 March 2026"


def test_a_failed_grant_is_queued_for_the_worker(enrol, program, monkeypatch):
    _welcome()
    queued = []

    def boom(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(subscribers, "welcome_grant", boom)
    monkeypatch.setattr(subscribers, "async_task", lambda name, **kwargs: queued.append((name, kwargs)))
    customer = enrol()
    assert queued == [("campaigns.tasks.welcome_grant", {"customer_id": customer.pk})]
    assert not CampaignGrant.objects.exists()
    assert tasks.welcome_grant(customer_id=customer.pk) == ["granted"]


def test_the_customer_import_grants_no_welcome_bonus_but_an_enrolment_does(
    program, enrol, django_capture_on_commit_callbacks
):
    """An import brings the shop's existing customers (customers.imports publishes no CustomerEnrolled):
    a running welcome campaign grants them nothing, opening balances alone reach the ledger. A customer
    enrolled after it gets the bonus as usual."""
    from customers.imports import SAMPLE_CSV, customers_import

    campaign = _welcome()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = customers_import(content=SAMPLE_CSV.encode(), file_name="old.csv", dry_run=False)
    assert result.imported == Customer.objects.count() == 3
    assert not CampaignGrant.objects.exists() and callbacks == []
    assert not LedgerEntry.objects.filter(source=f"campaign:{campaign.pk}").exists()
    assert set(LedgerEntry.objects.values_list("kind", flat=True)) == {LedgerEntry.Kind.IMPORT}

    newcomer = enrol()
    grant = CampaignGrant.objects.get()
    assert (grant.campaign, grant.customer, grant.occasion, grant.points) == (campaign, newcomer, "enrol", 500)
