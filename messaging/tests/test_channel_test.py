"""A staff member's test message (the console's "send a test to me"): the only message without a customer,
through the real outbox, tried once, its address not kept."""

import pytest

from messaging.exceptions import MessagingError
from messaging.models import Message
from messaging.services import message_queue
from messaging.services.channel_test import channel_test_send

pytestmark = pytest.mark.django_db


def test_only_a_service_test_with_an_address_goes_to_no_customer():
    for bad in ({"kind": "points_earned"}, {"purpose": "marketing"}, {"address": ""}):
        with pytest.raises(MessagingError):
            message_queue(**{"customer_id": None, "channel": "sms", "kind": "test", "purpose": "service",
                             "text": "x", "address": "+79123456789", **bad})  # fmt: skip
    assert not Message.objects.exists()


def test_a_staff_test_ignores_quiet_hours_and_keeps_no_phone(settings, user_factory, capsys):
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "console", "messenger": "console"}
    settings.MESSAGING_QUIET_HOURS_START, settings.MESSAGING_QUIET_HOURS_END = 0, 23  # quiet almost all day
    staff = user_factory(username="maria")
    message = channel_test_send(channel="sms", phone="+7 912 345-67-89", actor=staff)
    assert (message.status, message.customer_id, message.address, message.attempts) == ("sent", None, "", 1)
    printed = capsys.readouterr().out
    assert "***6789" in printed and "912345" not in printed  # the console provider masks the number
    with pytest.raises(MessagingError) as refused:
        channel_test_send(channel="sms", phone="not a phone", actor=staff)
    assert refused.value.field == "phone"
    assert Message.objects.count() == 1
