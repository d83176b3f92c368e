"""Consent per channel: the customer's booleans are the current state, the history (ConsentChange) says
when and how each was given or withdrawn, and a message needs the consent its purpose requires."""

import pytest

from core.models import AuditEntry
from customers.imports import customers_import
from customers.models import Customer
from customers.services import customer_erase, customer_update
from messaging.models import ConsentChange, Message
from messaging.services import consent_set, message_queue

from .conftest import local

NOON = local("2026-03-02 12:00")


def history(customer, channel):
    return list(
        ConsentChange.objects.filter(customer=customer, channel=channel)
        .order_by("at", "id")
        .values_list("granted", "source", "origin")
    )


def test_consents_given_at_enrolment_are_recorded_with_how(customer_factory, program):
    at_till = customer_factory(consent_sms=True, origin="cashier")
    by_api = customer_factory(consent_email=True, email="b@example.com", origin="api:Web shop")
    assert history(at_till, "sms") == [(True, "enrolment", "cashier")]
    assert history(at_till, "email") == []  # not given: nothing to record
    assert history(by_api, "email") == [(True, "api", "api:Web shop")]


def test_staff_edit_withdraws_and_gives_with_history_and_audit(member, marketing_user):
    customer_update(customer=member, consent_sms=False, consent_email=True, actor=marketing_user, origin="console")
    member.refresh_from_db()
    assert member.consent_sms is False
    assert history(member, "sms") == [(True, "enrolment", ""), (False, "staff", "console")]
    assert history(member, "email") == [(True, "enrolment", "")]  # unchanged: no new row
    assert ConsentChange.objects.get(customer=member, channel="sms", granted=False).actor == marketing_user


def test_the_import_records_the_consents_of_the_file(program, marketing_user):
    text = "name,phone,consent_email,consent_sms,email\nOlga,+79120000001,yes,no,o@example.com\nIvan,+79120000002,no,yes,\n"
    customers_import(content=text.encode(), file_name="c.csv", dry_run=False, actor=marketing_user)
    olga, ivan = Customer.objects.get(name="Olga"), Customer.objects.get(name="Ivan")
    assert (olga.consent_email, olga.consent_sms, ivan.consent_email, ivan.consent_sms) == (True, False, False, True)
    assert history(olga, "email") == [(True, "import", "console")] and history(olga, "sms") == []
    assert history(ivan, "sms") == [(True, "import", "console")] and history(ivan, "email") == []


def test_erasure_withdraws_every_consent(member, marketing_user):
    customer_erase(customer=member, actor=marketing_user, origin="console")
    assert history(member, "email")[-1] == (False, "erasure", "console")
    assert history(member, "sms")[-1] == (False, "erasure", "console")


def test_consent_set_changes_the_boolean_once_and_audits(member):
    assert consent_set(customer_id=member.pk, channel="sms", granted=False, source="link", origin="link") is True
    assert consent_set(customer_id=member.pk, channel="sms", granted=False, source="link", origin="link") is False
    member.refresh_from_db()
    assert member.consent_sms is False
    assert history(member, "sms") == [(True, "enrolment", ""), (False, "link", "link")]
    entry = AuditEntry.objects.get(action="customer.consent")
    assert entry.changes == {"consent_sms": [True, False], "source": "link"}
    assert entry.object_id == str(member.pk)


def test_messenger_consent_lives_in_the_history(member):
    assert consent_set(customer_id=member.pk, channel="messenger", granted=True, source="staff") is True
    assert history(member, "messenger") == [(True, "staff", "")]
    assert AuditEntry.objects.filter(action="customer.consent").count() == 1


@pytest.mark.parametrize(
    ("purpose", "consent", "needs_consent", "status", "reason"),
    [
        ("marketing", False, False, "skipped", "no_consent"),
        ("marketing", True, False, "queued", ""),
        ("service", False, False, "queued", ""),  # a service notice goes without marketing consent …
        ("service", False, True, "skipped", "no_consent"),  # … unless the setting asks for it
    ],
)
def test_a_message_needs_the_consent_its_purpose_requires(
    gateway, settings, customer_factory, purpose, consent, needs_consent, status, reason
):
    settings.MESSAGING_SERVICE_NEEDS_CONSENT = needs_consent
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "console", "messenger": "console"}
    person = customer_factory(consent_sms=consent)
    message = message_queue(customer_id=person.pk, channel="sms", kind="k", purpose=purpose, text="Hi", now=NOON)
    assert (message.status, message.skip_reason) == (status, reason)
    assert list(message.status_changes.values_list("status", "reason")) == [(status, reason or "queued")]


def test_no_address_and_unsubscribed_are_their_own_reasons(gateway, customer_factory, member):
    no_email = customer_factory(consent_email=True)
    message = message_queue(customer_id=no_email.pk, channel="email", kind="k", purpose="service", text="Hi", now=NOON)
    assert (message.status, message.skip_reason) == ("skipped", "no_address")
    consent_set(customer_id=member.pk, channel="email", granted=False, source="link", origin="link")
    message = message_queue(customer_id=member.pk, channel="email", kind="k", purpose="marketing", text="Hi", now=NOON)
    assert message.skip_reason == "unsubscribed"
    # Withdrawn by staff, not by the customer: "no consent".
    consent_set(customer_id=member.pk, channel="sms", granted=False, source="staff")
    message = message_queue(customer_id=member.pk, channel="sms", kind="k", purpose="marketing", text="Hi", now=NOON)
    assert message.skip_reason == "no_consent"
    assert Message.objects.filter(status="skipped").count() == 3
