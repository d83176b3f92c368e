"""Channel settings in the console (issue #14): each channel's configuration as the app sees it, secrets
masked, the rules in force, and "send a test to me" through the real outbox (a real HTTP gateway on
loopback for SMS, Django's in-memory mailbox for email): sent or failed with the error, audited, the
phone neither stored nor in a URL nor in the audit log."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command

from core.models import AuditEntry
from messaging.models import Message
from messaging.tests.provider import SECRET, Gateway

from .test_messages import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]

URL = "/messages/channels/"


@pytest.fixture
def gateway(settings):
    """The generic HTTPS provider for SMS and messengers, pointed at a real gateway on loopback whose URL
    carries a token in its query (to be masked); quiet hours that cover the whole day (a staff test
    ignores them)."""
    server = Gateway().start()
    settings.MESSAGING_PROVIDERS = {
        **settings.MESSAGING_PROVIDERS,
        "gateway": {
            "BACKEND": "messaging.channels.http.HttpProvider",
            "URL": server.url + "?token=abc123",
            "SECRET": SECRET,
            "TIMEOUT": 0.5,
        },
    }
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "gateway", "messenger": "console"}
    settings.MESSAGING_QUIET_HOURS_START, settings.MESSAGING_QUIET_HOURS_END = 0, 23
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Shop <noreply@shop.example>"
    settings.MESSAGING_SHOP_NAME = "Romashka"
    yield server
    server.stop()


def test_the_page_shows_each_channels_configuration_with_secrets_masked(console, gateway):
    response = console.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    shown = text(page)
    assert "django.core.mail.backends.locmem.EmailBackend" in shown and "Shop <noreply@shop.example>" in shown
    assert "http://127.0.0.1:" in shown and "/send?token=***" in shown
    assert "abc123" not in page and SECRET not in page
    assert "SECRET set (hidden)" in shown
    assert "Quiet hours 00:00–23:00 shop time" in shown
    assert "Frequency cap (all channels) 3 marketing messages per customer in 7 days" in shown
    assert page.count("Send a test to me") == 3


def test_an_unconfigured_https_provider_is_shown_as_not_working(console, settings):
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "http", "messenger": "nowhere"}
    settings.MESSAGING_PROVIDERS = {
        **settings.MESSAGING_PROVIDERS,
        "http": {"BACKEND": "messaging.channels.http.HttpProvider", "URL": "", "SECRET": "", "TIMEOUT": 10},
    }
    shown = text(console.get(URL).content.decode())
    assert "The HTTPS provider needs its URL and its secret" in shown
    assert "The provider “nowhere” is not in MESSAGING_PROVIDERS." in shown
    assert shown.count("Not working") == 2


def test_a_test_sms_goes_through_the_outbox_to_the_phone_typed_and_is_not_kept(console, gateway, marketing_user):
    response = console.post(URL, {"channel": "sms", "phone": "8 (912) 345-67-89"}, follow=True)
    assert response.status_code == 200
    message = Message.objects.get()
    shown = text(response.content.decode())
    assert f"Test message {message.pk} sent by SMS to +7 912 ***-**-89: accepted by gateway." in shown
    assert [r["body"]["to"] for r in gateway.requests] == ["+79123456789"]
    assert gateway.requests[0]["body"]["text"].startswith("Test message from Romashka, sent ")
    assert (message.status, message.kind, message.purpose, message.customer, message.address) == (
        "sent",
        "test",
        "service",
        None,
        "",
    )
    assert message.created_by == marketing_user
    entry = AuditEntry.objects.get(action="message.queue")
    assert entry.actor == marketing_user
    assert "345" not in str(entry.changes) and "345" not in entry.summary
    assert all("9123456789" not in url for url, _status in response.redirect_chain)


def test_a_failing_gateway_shows_the_error_at_once_and_does_not_retry(console, gateway):
    gateway.mode = "fail"
    shown = text(console.post(URL, {"channel": "sms", "phone": "+79123456789"}, follow=True).content.decode())
    message = Message.objects.get()
    assert f"Test message {message.pk} by SMS to +7 912 ***-**-89 failed: " in shown
    assert "HTTP 500" in message.error
    assert (message.status, message.attempts, message.address) == ("failed", 1, "")
    assert len(gateway.requests) == 1


def test_a_test_email_goes_to_the_staff_members_own_address(console, gateway, marketing_user):
    marketing_user.email = "maria@shop.example"
    marketing_user.save()
    shown = text(console.post(URL, {"channel": "email"}, follow=True).content.decode())
    assert "sent by Email to m***@shop.example" in shown
    assert [m.to for m in mail.outbox] == [["maria@shop.example"]]
    assert mail.outbox[0].subject == "Test message from Romashka"


def test_a_demo_user_can_send_a_test_email(client, gateway):
    """Issue #14 (tester): the demo users had no email, so "Send a test to me" by email could not be tried."""
    call_command("create_demo_users", "--force")
    marketing = User.objects.get(username="marketing")
    assert marketing.check_password("demo-pass-2026")
    client.force_login(marketing)
    shown = text(client.post(URL, {"channel": "email"}, follow=True).content.decode())
    assert "sent by Email to m***@example.com" in shown
    assert [m.to for m in mail.outbox] == [["marketing@example.com"]]


def test_bad_input_is_a_form_error_and_sends_nothing(console, gateway, marketing_user):
    marketing_user.email = ""
    marketing_user.save()
    no_email = console.post(URL, {"channel": "email"})
    assert no_email.status_code == 400 and "Your account has no email address" in text(no_email.content.decode())
    bad_phone = console.post(URL, {"channel": "sms", "phone": "12"})
    assert bad_phone.status_code == 400 and "is not a valid phone number" in text(bad_phone.content.decode())
    no_phone = console.post(URL, {"channel": "messenger", "phone": ""})
    assert no_phone.status_code == 400 and "Enter a phone number." in text(no_phone.content.decode())
    fax = console.post(URL, {"channel": "fax", "phone": "+79123456789"})
    assert fax.status_code == 400
    assert not Message.objects.exists() and gateway.requests == []


def test_the_staff_test_shows_in_the_outbox_without_a_customer(console, gateway):
    console.post(URL, {"channel": "messenger", "phone": "+79123456789"})
    message = Message.objects.get()
    listed = text(console.get("/messages/").content.decode())
    assert "Staff test" in listed
    detail = text(console.get(f"/messages/{message.pk}/").content.decode())
    assert "Staff test sent by marketing" in detail and "Test message from Romashka" in detail


def test_cashiers_get_403_and_anonymous_people_go_to_the_login_page(client, cashier_user, gateway):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(cashier_user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"channel": "sms", "phone": "+79123456789"}).status_code == 403
    assert not Message.objects.exists()


def test_sending_needs_the_csrf_token(marketing_user, gateway):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(marketing_user)
    assert strict.post(URL, {"channel": "sms", "phone": "+79123456789"}).status_code == 403
    assert not Message.objects.exists()
