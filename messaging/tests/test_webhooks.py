"""The public endpoints: delivery reports and replies from the gateway (signed), and the unsubscribe link."""

import json

import pytest
from django.core import mail
from django.test import Client

from core.models import AuditEntry
from messaging.models import ConsentChange, Message
from messaging.rules import signature
from messaging.services import message_queue, message_send, unsubscribe_token

from .conftest import local
from .provider import SECRET

NOON = local("2026-03-02 12:00")


def post_signed(client, path, data, *, secret=SECRET, header=None):
    body = json.dumps(data).encode()
    sig = header if header is not None else signature(secret, body)
    return client.post(path, body, content_type="application/json", headers={"X-Boomerang-Signature": sig})


@pytest.fixture
def sent_sms(gateway, member):
    message = message_queue(customer_id=member.pk, channel="sms", kind="k", purpose="service", text="Hi", now=NOON)
    assert message_send(message_id=message.pk, now=NOON) == "sent"
    message.refresh_from_db()
    return message


STATUS = "/messaging/webhooks/gateway/status/"
INBOUND = "/messaging/webhooks/gateway/inbound/"


def test_a_signed_delivery_report_marks_the_message_delivered(client, sent_sms):
    response = post_signed(client, STATUS, {"id": "gw-1", "status": "delivered"})
    assert (response.status_code, response.json()) == (200, {"updated": 1, "unknown": 0})
    sent_sms.refresh_from_db()
    assert sent_sms.status == "delivered" and sent_sms.delivered_at is not None
    assert sent_sms.status_changes.order_by("-at", "-id").first().reason == "delivery report"


def test_a_failure_report_by_our_key_keeps_the_providers_error(client, sent_sms):
    response = post_signed(
        client, STATUS, {"key": str(sent_sms.key), "status": "failed", "error": "number unreachable"}
    )
    assert response.json() == {"updated": 1, "unknown": 0}
    sent_sms.refresh_from_db()
    assert (sent_sms.status, sent_sms.error) == ("failed", "number unreachable")


@pytest.mark.parametrize(
    "header",
    [
        "",  # none
        "sha256=" + "0" * 64,  # wrong
        signature("another-secret", b'{"id": "gw-1", "status": "delivered"}'),  # signed with another key
        "sha256=é",  # a non-ASCII character: once a TypeError in hmac.compare_digest, a 500
        signature(SECRET, b'{"id": "gw-1", "status": "delivered"}')[:-1] + "é",
    ],
)
def test_a_report_with_a_bad_signature_is_refused_and_changes_nothing(client, sent_sms, header):
    response = post_signed(client, STATUS, {"id": "gw-1", "status": "delivered"}, header=header)
    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"
    sent_sms.refresh_from_db()
    assert sent_sms.status == "sent"


def test_a_signature_in_upper_case_hex_is_accepted(client, sent_sms):
    body = json.dumps({"id": "gw-1", "status": "delivered"}).encode()
    sig = "sha256=" + signature(SECRET, body).removeprefix("sha256=").upper()
    response = client.post(STATUS, body, content_type="application/json", headers={"X-Boomerang-Signature": sig})
    assert (response.status_code, response.json()) == (200, {"updated": 1, "unknown": 0})
    sent_sms.refresh_from_db()
    assert sent_sms.status == "delivered"


def test_an_altered_body_fails_the_signature(client, sent_sms):
    body = json.dumps({"id": "gw-1", "status": "delivered"}).encode()
    sig = signature(SECRET, body)
    altered = body.replace(b"delivered", b"failed")
    response = client.post(STATUS, altered, content_type="application/json", headers={"X-Boomerang-Signature": sig})
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.status == "sent"


def test_bad_reports_are_400_and_unknown_ones_counted(client, sent_sms):
    assert post_signed(client, STATUS, {"id": "gw-1", "status": "read"}).status_code == 400
    response = client.post(STATUS, b"not json", content_type="application/json",
                           headers={"X-Boomerang-Signature": signature(SECRET, b"not json")})  # fmt: skip
    assert response.status_code == 400
    assert post_signed(client, STATUS, {"key": "not-a-uuid", "status": "delivered"}).json() == {
        "updated": 0,
        "unknown": 1,
    }
    assert post_signed(client, STATUS, {"id": "gw-999", "status": "delivered"}).json() == {"updated": 0, "unknown": 1}
    assert client.get(STATUS).status_code == 405
    assert (
        post_signed(client, "/messaging/webhooks/nobody/status/", {"id": "gw-1", "status": "delivered"}).status_code
        == 404
    )
    # The console provider and email take no webhooks at all.
    assert (
        post_signed(client, "/messaging/webhooks/console/status/", {"id": "gw-1", "status": "delivered"}).status_code
        == 403
    )
    sent_sms.refresh_from_db()
    assert sent_sms.status == "sent"


def test_a_stop_reply_unsubscribes_the_sender_from_sms(client, gateway, member):
    response = post_signed(client, INBOUND, {"from": "8 (912) 345-67-89", "text": " Стоп "})
    assert (response.status_code, response.json()) == (
        200,
        {"unsubscribed": 2},
    )  # SMS and messenger: both by the gateway
    member.refresh_from_db()
    assert (member.consent_sms, member.consent_email) == (False, True)
    change = ConsentChange.objects.get(customer=member, channel="sms", granted=False)
    assert (change.source, change.origin, change.note) == ("stop", "provider:gateway", "Стоп")
    assert AuditEntry.objects.filter(action="customer.consent", object_id=str(member.pk)).count() == 2
    # STOP stops everything on the channel: a service notice by SMS is skipped too; email still goes.
    sms = message_queue(customer_id=member.pk, channel="sms", kind="k", purpose="service", text="Hi", now=NOON)
    assert (sms.status, sms.skip_reason) == ("skipped", "unsubscribed")
    email = message_queue(customer_id=member.pk, channel="email", kind="k", purpose="marketing", text="Hi", now=NOON)
    assert email.status == "queued"


def test_a_stop_from_a_customer_without_consent_stops_service_notices(client, gateway, customer_factory):
    person = customer_factory(phone="+7 912 000-11-22")
    assert (
        message_queue(customer_id=person.pk, channel="sms", kind="k", purpose="service", text="Hi", now=NOON).status
        == "queued"
    )
    assert post_signed(client, INBOUND, {"from": "+79120001122", "text": "STOP", "channel": "sms"}).json() == {
        "unsubscribed": 1
    }
    assert post_signed(client, INBOUND, {"from": "+79120001122", "text": "STOP", "channel": "sms"}).json() == {
        "unsubscribed": 0
    }
    assert list(ConsentChange.objects.filter(customer=person).values_list("channel", "granted", "source")) == [
        ("sms", False, "stop")
    ]
    sms = message_queue(customer_id=person.pk, channel="sms", kind="k", purpose="service", text="Hi", now=NOON)
    assert sms.skip_reason == "unsubscribed"


def test_other_replies_and_strangers_change_nothing(client, gateway, member):
    assert post_signed(client, INBOUND, {"from": "+79123456789", "text": "thanks!"}).json() == {"unsubscribed": 0}
    assert post_signed(client, INBOUND, {"from": "+79990000000", "text": "STOP"}).json() == {"unsubscribed": 0}
    assert post_signed(client, INBOUND, {"from": "not a phone", "text": "STOP"}).json() == {"unsubscribed": 0}
    assert post_signed(client, INBOUND, {"from": "+79123456789", "text": "STOP"}, header="sha256=00").status_code == 403
    assert post_signed(client, INBOUND, {"text": "STOP"}).status_code == 400
    member.refresh_from_db()
    assert member.consent_sms is True


def test_unsubscribe_by_the_link_in_an_email_without_login(gateway, member):
    message = message_queue(
        customer_id=member.pk, channel="email", kind="promo", purpose="marketing", subject="Sale", text="Sale", now=NOON
    )
    message_send(message_id=message.pk, now=NOON)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"][1:-1].removeprefix("https://loyalty.example.com")
    browser = Client(enforce_csrf_checks=True)  # a stranger's browser: no session, no CSRF cookie
    page = browser.get(url)
    assert page.status_code == 200
    assert "Stop marketing messages by email to a***@example.com?" in page.content.decode()
    member.refresh_from_db()
    assert member.consent_email is True  # looking at the page (or a link scanner) unsubscribes nobody
    done = browser.post(url)
    assert done.status_code == 200
    assert (
        "You are unsubscribed: we will send no more marketing messages by email to a***@example.com."
        in done.content.decode()
    )
    member.refresh_from_db()
    assert (member.consent_email, member.consent_sms) == (False, True)
    change = ConsentChange.objects.get(customer=member, channel="email", granted=False)
    assert (change.source, change.origin, change.actor) == ("link", "link", None)
    assert AuditEntry.objects.get(action="customer.consent").changes == {
        "consent_email": [True, False],
        "source": "link",
    }
    # The next marketing email is skipped as unsubscribed.
    again = message_queue(customer_id=member.pk, channel="email", kind="promo", purpose="marketing", text="x", now=NOON)
    assert again.skip_reason == "unsubscribed"


def test_the_rfc_8058_one_click_post_works_without_a_csrf_token(gateway, member):
    url = f"/messaging/unsubscribe/{unsubscribe_token(customer_id=member.pk, channel='email')}/"
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.consent_email is False
    # Twice is harmless: nothing more is written.
    Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert ConsentChange.objects.filter(customer=member, channel="email", granted=False).count() == 1


def test_an_altered_link_is_refused(client, member):
    token = unsubscribe_token(customer_id=member.pk, channel="email")
    other = unsubscribe_token(customer_id=member.pk + 1, channel="email")
    forged = other.split(":")[0] + ":" + token.split(":", 1)[1]  # another customer's id with this signature
    for bad in (forged, "nonsense", token[:-2] + "xx"):
        response = Client(enforce_csrf_checks=True).post(f"/messaging/unsubscribe/{bad}/")
        assert response.status_code == 400
        assert (
            "This unsubscribe link is not valid. Please use the link from the latest message."
            in response.content.decode()
        )
    member.refresh_from_db()
    assert member.consent_email is True
    assert Message.objects.count() == 0


def test_opening_the_link_again_after_unsubscribing_says_so_and_asks_nothing(member):
    url = f"/messaging/unsubscribe/{unsubscribe_token(customer_id=member.pk, channel='email')}/"
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url).status_code == 200
    again = browser.get(url)
    page = again.content.decode()
    assert again.status_code == 200
    assert "You are already unsubscribed from marketing messages by email to a***@example.com." in page
    assert "<form" not in page and "Stop marketing messages" not in page
    # A second POST (the mail client's one-click again) writes nothing and says the same.
    assert "You are already unsubscribed" in browser.post(url).content.decode()
    assert ConsentChange.objects.filter(customer=member, channel="email", granted=False).count() == 1
    assert AuditEntry.objects.filter(action="customer.consent").count() == 1


def test_the_sms_link_names_the_channel_in_lower_case_running_text(member):
    url = f"/messaging/unsubscribe/{unsubscribe_token(customer_id=member.pk, channel='sms')}/"
    page = Client().get(url).content.decode()
    assert "Stop marketing messages by SMS to ***6789?" in page
    done = Client().post(url).content.decode()
    assert "You are unsubscribed: we will send no more marketing messages by SMS to ***6789." in done
    member.refresh_from_db()
    assert (member.consent_email, member.consent_sms) == (True, False)


def test_a_bad_link_does_not_speak_of_email(member):
    token = unsubscribe_token(customer_id=member.pk, channel="sms")
    response = Client().get(f"/messaging/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This unsubscribe link is not valid. Please use the link from the latest message." in page
    assert "email" not in page.lower()


@pytest.mark.parametrize("bad", [False, True])
def test_the_customer_page_shows_the_shop_and_nothing_of_the_staff_site(settings, member, bad):
    settings.MESSAGING_SHOP_NAME = "Лавка у дома"
    token = unsubscribe_token(customer_id=member.pk, channel="email")
    response = Client().get(f"/messaging/unsubscribe/{token + 'x' if bad else token}/")
    page = response.content.decode()
    assert '<span class="navbar-brand mb-0 h1" id="shop-name">Лавка у дома</span>' in page
    assert "<title>Unsubscribe · Лавка у дома</title>" in page
    assert "Boomerang" not in page and "↩" not in page and "<a " not in page  # no link anywhere, none to staff


def test_without_a_shop_name_the_page_has_no_header(settings, member):
    settings.MESSAGING_SHOP_NAME = ""
    page = Client().get(f"/messaging/unsubscribe/{unsubscribe_token(customer_id=member.pk, channel='email')}/")
    text = page.content.decode()
    assert 'id="shop-name"' not in text and "Boomerang" not in text and "<a " not in text
