"""A customer unsubscribes in a real browser, from the link of a marketing email, without logging in."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from customers.models import Customer
from messaging.models import ConsentChange
from messaging.services import message_queue, message_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_customer_unsubscribes_from_the_link_in_an_email(page, settings, customer_factory):
    settings.MESSAGING_SITE_URL = page.base_url
    anna = customer_factory(name="Anna", phone="+7 912 345-67-89", email="anna@example.com", consent_email=True)
    message = message_queue(customer_id=anna.pk, channel="email", kind="promo", purpose="marketing", text="Sale")
    message_send(message_id=message.pk)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"][1:-1]
    page.goto(link)
    expect(page.locator("main")).to_contain_text("Stop marketing messages by email to a***@example.com?")
    assert Customer.objects.get(pk=anna.pk).consent_email is True
    page.click("main button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(
        "You are unsubscribed: we will send no more marketing messages by email to a***@example.com."
    )
    assert Customer.objects.get(pk=anna.pk).consent_email is False
    assert ConsentChange.objects.filter(customer_id=anna.pk, channel="email", granted=False, source="link").count() == 1
    page.goto(link)  # the link again: nothing to confirm
    expect(page.locator(".alert-info")).to_have_text(
        "You are already unsubscribed from marketing messages by email to a***@example.com."
    )
    expect(page.locator("main button")).to_have_count(0)
