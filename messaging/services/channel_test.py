""" "Send a test to me" (the console's channel settings, issue #14): a message of kind `test` to the member
of staff themselves, through the real outbox, so they see whether a channel's configuration works."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from customers.exceptions import InvalidPhone
from customers.rules import phone_normalize

from ..exceptions import MessagingError, UnknownChannel
from ..models import STAFF_TEST_KIND, Channel, Message
from .outbox import message_queue, message_send


def channel_test_send(
    *, channel: str, actor: Any, phone: str = "", origin: str = "console", now: dt.datetime | None = None
) -> Message:
    """Send a test message on `channel` to `actor` (the logged-in staff user): by email to their own
    `User.email`; by SMS or messenger to `phone` as they typed it (any format customers' phone_normalize
    reads). Queued with message_queue (no customer, kind "test", purpose service: audited as
    `message.queue`, without the address) and sent at once with message_send, in this request: one
    attempt, whatever the provider answers. The text is in the active language and names the shop
    (MESSAGING_SHOP_NAME) and the time sent. Returns the message, `sent` or `failed` (with the provider's
    error in `error`); its address is blanked after the attempt, the phone is neither stored nor logged.
    Raises UnknownChannel, MessagingError (on `phone`: no email on the account, a phone missing or not a
    phone number)."""
    if channel not in Channel.values:
        raise UnknownChannel(_("Unknown channel “%(channel)s”.") % {"channel": channel})
    if channel == Channel.EMAIL:
        address = (getattr(actor, "email", "") or "").strip()
        if not address:
            raise MessagingError(
                _("Your account has no email address: ask an administrator to add one, then send the test again."),
                field="phone",
            )
    else:
        try:
            address = phone_normalize(phone)
        except InvalidPhone as error:
            raise MessagingError(error.message, field="phone") from None
    now = now or timezone.now()
    shop = settings.MESSAGING_SHOP_NAME or _("Boomerang")
    when = formats.date_format(timezone.localtime(now), "DATETIME_FORMAT")
    text = _("Test message from %(shop)s, sent %(when)s. If you read this, the channel works.") % {
        "shop": shop,
        "when": when,
    }
    subject = _("Test message from %(shop)s") % {"shop": shop} if channel == Channel.EMAIL else ""
    message = message_queue(
        customer_id=None,
        address=address,
        channel=channel,
        kind=STAFF_TEST_KIND,
        purpose=Message.Purpose.SERVICE,
        text=text,
        subject=subject,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        actor=actor,
        origin=origin,
        now=now,
    )
    message_send(message_id=message.pk)
    message.refresh_from_db()
    return message
