"""Opens and clicks (issue #14: "measured: opens (a tracking pixel) and clicks (signed redirect links)").

- **Opens.** Every email carries an HTML part whose last element is a 1×1 GIF at
  MESSAGING_SITE_URL + /m/o/<token>/, the token a django.core.signing signature of the message's id (salt
  OPEN_SALT; no customer data). Loading it records the first open (`Message.opened_at`) and counts it
  (`open_count`). Following a tracked link of an email counts as opened too (images may be blocked).
- **Clicks.** When a message is claimed for sending its http(s) links are stored, in order, on the
  message (`Message.links`); the text sent has each replaced by MESSAGING_SITE_URL + /m/c/<token>/, the
  token naming (message id, position) with a truncated signature (CLICK_SALT, CLICK_SIGNATURE_CHARS), so
  that it stays short enough for an SMS. Following it redirects to the stored link (only to the links
  stored for that message: never an open redirect) and records the first click (`clicked_at`) and counts
  it (`click_count`). The unsubscribe link is not replaced.

The first open and the first click of a message are also rows of its history ("opened", "clicked
<host>"). Both are recorded race-safely: `UPDATE … SET opened_at = now WHERE id = … AND opened_at IS
NULL` decides which request was first, the count is `count + 1` in the database. Customers' own actions,
like delivery reports, are recorded in the message's history, not in the staff audit log.
"""

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .. import rules
from ..models import Channel, Message, MessageStatusChange

OPEN_SALT = "messaging.open"
CLICK_SALT = "messaging.click"
# Characters of the click token's signature (URL-safe base64 of an HMAC-SHA256, truncated): 10 characters
# are 60 bits, far beyond guessing through HTTP requests, and a forged token could only count a click or
# redirect to a link already stored for that message anyway.
CLICK_SIGNATURE_CHARS = 10


def open_token(message_id: int) -> str:
    """The pixel's token: the message id in base 62 signed with SECRET_KEY and OPEN_SALT ("1Z:<43 chars>")."""
    return signing.Signer(salt=OPEN_SALT).sign(signing.b62_encode(message_id))


def open_token_read(token: str) -> int | None:
    """The message id an open token names, or None for a token not signed by this site (or altered)."""
    try:
        return signing.b62_decode(signing.Signer(salt=OPEN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def open_url(message_id: int) -> str:
    """The absolute address of a message's open pixel: MESSAGING_SITE_URL + /m/o/<token>/."""
    return _absolute(reverse("tracking:open", args=[open_token(message_id)]))


def click_token(message_id: int, index: int) -> str:
    """The token of the message's link number `index` (0-based): "<id in base 62>.<index in base 62>.
    <CLICK_SIGNATURE_CHARS characters of signature>", e.g. "4c92.0.Xk3f9Qm0aB" (18 characters for any id
    below 62^5 = 916 132 832 and fewer than 62 links)."""
    value = f"{signing.b62_encode(message_id)}.{signing.b62_encode(index)}"
    return f"{value}.{_click_signature(value)}"


def click_token_read(token: str) -> tuple[int, int] | None:
    """(message id, link index) a click token names, or None for a malformed, altered or foreign token."""
    value, _dot, signature = token.rpartition(".")
    if not value or not constant_time_compare(signature, _click_signature(value)):
        return None
    message, _dot, index = value.partition(".")
    try:
        return signing.b62_decode(message), signing.b62_decode(index)
    except ValueError:
        return None


def click_url(message_id: int, index: int) -> str:
    """The absolute tracked address of the message's link `index`: MESSAGING_SITE_URL + /m/c/<token>/
    (MESSAGING_SITE_URL plus 24 characters; see click_token)."""
    return _absolute(reverse("tracking:click", args=[click_token(message_id, index)]))


def links_tracked(text: str) -> list[str]:
    """The links of `text` that get a tracked address (rules.links_find), in order: all its http(s) links
    but the unsubscribe link (MESSAGING_SITE_URL + /messaging/unsubscribe/…), which must work as it is."""
    unsubscribe = _absolute(reverse("messaging:unsubscribe", args=["x"]))[: -len("x/")]
    return [link for link in rules.links_find(text) if not link.startswith(unsubscribe)]


def link_target(token: str) -> str | None:
    """The stored link a click token stands for (nothing recorded), or None (bad token, no such link)."""
    parsed = click_token_read(token)
    if parsed is None:
        return None
    message_id, index = parsed
    links = Message.objects.filter(pk=message_id).values_list("links", flat=True).first() or []
    return links[index] if 0 <= index < len(links) else None


def message_open_record(*, token: str, now: dt.datetime | None = None) -> bool:
    """The open pixel was loaded: count it (`open_count` + 1) and, the first time, record the moment
    (`opened_at`) and an "opened" history row. Returns False (nothing recorded) for a bad or forged token,
    a message that does not exist, or a message to a customer whose personal data was erased
    (`Customer.erased_at`; issue #14: an erased person is not tracked any more, as their links lead nowhere)."""
    message_id = open_token_read(token)
    if message_id is None:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        tracked = Message.objects.filter(pk=message_id).exclude(customer__erased_at__isnull=False)
        if not tracked.update(open_count=F("open_count") + 1):
            return False
        _first_open(message_id, now, reason="opened")
    return True


def message_click_record(*, token: str, now: dt.datetime | None = None) -> str | None:
    """A tracked link was followed: the stored link it stands for (to redirect to), after counting the
    click (`click_count` + 1) and, the first time, recording the moment (`clicked_at`) and a "clicked
    <host>" history row. An email's click also counts as its open when none was recorded (images blocked).
    None, with nothing recorded, for a bad or forged token or a link the message does not have (an erased
    customer's messages keep no links)."""
    parsed = click_token_read(token)
    if parsed is None:
        return None
    message_id, index = parsed
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.filter(pk=message_id).values("links", "channel").first()
        links = (message or {}).get("links") or []
        if not 0 <= index < len(links):
            return None
        link = links[index]
        Message.objects.filter(pk=message_id).update(click_count=F("click_count") + 1)
        if Message.objects.filter(pk=message_id, clicked_at__isnull=True).update(clicked_at=now):
            host = urlsplit(link).hostname or ""
            MessageStatusChange.objects.create(
                message_id=message_id, status=MessageStatusChange.Event.CLICKED, reason=f"clicked {host}"[:500], at=now
            )
        if message["channel"] == Channel.EMAIL:
            _first_open(message_id, now, reason="opened (a link was followed)")
    return link


def _first_open(message_id: int, now: dt.datetime, *, reason: str) -> None:
    """Record the message's first open at `now` unless one is recorded (the conditional UPDATE decides)."""
    if Message.objects.filter(pk=message_id, opened_at__isnull=True).update(opened_at=now):
        MessageStatusChange.objects.create(
            message_id=message_id, status=MessageStatusChange.Event.OPENED, reason=reason, at=now
        )


def _click_signature(value: str) -> str:
    return signing.Signer(salt=CLICK_SALT).signature(value)[:CLICK_SIGNATURE_CHARS]


def _absolute(path: str) -> str:
    return settings.MESSAGING_SITE_URL.rstrip("/") + path
