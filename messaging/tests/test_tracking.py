"""Opens and clicks (issue #14): the open pixel of an email, tracked links in emails and SMS, and the
messages an unsubscribe or a STOP came through. Messages are sent the way the app sends them (message_queue,
message_send; SMS through the real loopback gateway of provider.py), and the pixel and links are followed
through the site's own URLs without logging in."""

import re
import threading

import pytest
from django.core import mail
from django.db import connection

from customers.services import customer_erase
from messaging.models import ConsentChange, Message
from messaging.rules import sms_size
from messaging.services import inbound_reply, message_queue, message_send, unsubscribe_by_link
from messaging.services.tracking import click_token, message_open_record, open_token
from messaging.views import PIXEL_GIF

from .conftest import local

NOON = local("2026-03-02 12:00")
SITE = "https://loyalty.example.com"
SALE, TERMS = "https://shop.example.com/sale?from=mail&utm=spring", "http://shop.example.com/terms"


def send_email(customer, *, text=f"Spring sale: {SALE}. Terms: {TERMS}", purpose="marketing") -> Message:
    message = message_queue(
        customer_id=customer.pk, channel="email", kind="spring_sale", purpose=purpose, subject="Sale", text=text,
        now=NOON,
    )  # fmt: skip
    assert message_send(message_id=message.pk, now=NOON) == "sent"
    message.refresh_from_db()
    return message


def paths(text: str, kind: str) -> list[str]:
    """The site's tracking paths ("/m/c/<token>/") of `kind` ("c" or "o") in a text, in order."""
    return re.findall(rf"{re.escape(SITE)}(/m/{kind}/[^/\s\"]+/)", text)


def history(message) -> list[tuple[str, str]]:
    return list(message.status_changes.order_by("at", "id").values_list("status", "reason"))


def test_an_email_is_sent_with_tracked_links_and_an_html_part_with_the_open_pixel(gateway, member):
    message = send_email(member)
    assert message.links == [SALE, TERMS]
    (email,) = mail.outbox
    sale, terms = paths(email.body, "c")
    # The text part: the links replaced by the tracked ones, the sentence's full stop kept after the link.
    assert email.body.startswith(f"Spring sale: {SITE}{sale}. Terms: {SITE}{terms}\n\n--\nUnsubscribe: ")
    # The unsubscribe link is not tracked: it is the one in List-Unsubscribe.
    assert email.body.endswith(email.extra_headers["List-Unsubscribe"][1:-1])
    [(html, mime)] = email.alternatives
    assert mime == "text/html"
    # The HTML part shows the links as written, each leading to its tracked address, and ends with the pixel.
    assert f'<a href="{SITE}{sale}">{SALE.replace("&", "&amp;")}</a>' in html
    assert f'<a href="{SITE}{terms}">{TERMS}</a>' in html
    [pixel] = paths(html, "o")
    assert f'<img src="{SITE}{pixel}" width="1" height="1" alt=""' in html
    assert "anna" not in pixel and "anna" not in sale  # nothing of the customer in the addresses


def test_the_open_pixel_counts_every_load_and_records_the_first_open_once(gateway, member, client):
    message = send_email(member)
    [pixel] = paths(mail.outbox[0].alternatives[0][0], "o")
    first = client.get(pixel)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/gif" and first.content == PIXEL_GIF
    assert "no-cache" in first["Cache-Control"] and "no-store" in first["Cache-Control"]
    message.refresh_from_db()
    opened_at = message.opened_at
    assert (opened_at is not None, message.open_count) == (True, 1)
    assert client.get(pixel).status_code == 200
    message.refresh_from_db()
    assert (message.opened_at, message.open_count) == (opened_at, 2)
    assert [row for row in history(message) if row[0] == "opened"] == [("opened", "opened")]


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature altered
        lambda token: "2" + token[1:],  # another message's id under this one's signature
        lambda token: "garbage",
    ],
)
def test_a_forged_pixel_token_still_gets_the_gif_but_counts_nothing(gateway, member, client, forge):
    message = send_email(member)
    response = client.get(f"/m/o/{forge(open_token(message.pk))}/")
    assert (response.status_code, response["Content-Type"], response.content) == (200, "image/gif", PIXEL_GIF)
    message.refresh_from_db()
    assert (message.opened_at, message.open_count) == (None, 0)
    assert "opened" not in [status for status, _ in history(message)]


def test_a_click_redirects_to_the_exact_link_counts_and_counts_as_the_open(gateway, member, client):
    message = send_email(member)
    sale, terms = paths(mail.outbox[0].body, "c")
    response = client.get(sale)
    assert response.status_code == 302
    assert response["Location"] == SALE
    assert "no-cache" in response["Cache-Control"]
    assert client.get(terms)["Location"] == TERMS
    message.refresh_from_db()
    assert (message.click_count, message.clicked_at is not None) == (2, True)
    # Images were blocked (no pixel loaded): the click is the first open.
    assert (message.opened_at, message.open_count) == (message.clicked_at, 0)
    events = [row for row in history(message) if row[0] in ("opened", "clicked")]
    assert events == [("clicked", "clicked shop.example.com"), ("opened", "opened (a link was followed)")]
    assert client.head(sale).status_code == 302  # a link checker's HEAD redirects without counting
    message.refresh_from_db()
    assert message.click_count == 2


def test_a_forged_or_foreign_click_token_is_a_404_and_never_redirects(gateway, member, client):
    message = send_email(member)
    good = click_token(message.pk, 0)
    for token in (good[:-1] + ("x" if good[-1] != "x" else "y"), click_token(message.pk, 5), "1.0.abc", "…"):
        response = client.get(f"/m/c/{token}/")
        assert response.status_code == 404, token
        assert "Location" not in response
        assert "This link is not valid." in response.content.decode()
    message.refresh_from_db()
    assert (message.click_count, message.clicked_at) == (0, None)


def test_an_sms_with_a_link_gets_a_short_tracked_link_that_works(gateway, member, client):
    sms = message_queue(
        customer_id=member.pk, channel="sms", kind="spring_sale", purpose="marketing",
        text=f"Spring sale -20% until Sunday: {SALE} Reply STOP to opt out", now=NOON,
    )  # fmt: skip
    assert message_send(message_id=sms.pk, now=NOON) == "sent"
    sent = gateway.requests[0]["body"]["text"]
    [path] = paths(sent, "c")
    assert sent == f"Spring sale -20% until Sunday: {SITE}{path} Reply STOP to opt out"
    # /m/c/ + "<id>.<index>.<10 characters of signature>" + "/": 24 characters up to id 916 132 831.
    assert len(path) <= 24 and len(path) < len(SALE)
    assert sms_size(sent).segments == 1
    assert client.get(path)["Location"] == SALE
    sms.refresh_from_db()
    assert (sms.click_count, sms.opened_at) == (1, None)  # an SMS has no opens


def test_an_erased_customers_tracked_links_lead_nowhere(gateway, member, client, marketing_user):
    send_email(member)
    [sale, _terms] = paths(mail.outbox[0].body, "c")
    customer_erase(customer=member, actor=marketing_user)
    assert client.get(sale).status_code == 404


def test_an_erased_customers_open_pixel_records_nothing(gateway, member, client, marketing_user):
    """Issue #14 (tester): the pixel still counted opens after erasure. It still answers the image."""
    message = send_email(member)
    [pixel] = paths(mail.outbox[0].alternatives[0][0], "o")
    customer_erase(customer=member, actor=marketing_user)
    response = client.get(pixel)
    assert (response.status_code, response["Content-Type"], response.content) == (200, "image/gif", PIXEL_GIF)
    assert len(response.content) == 42
    message.refresh_from_db()
    assert (message.open_count, message.opened_at) == (0, None)
    assert "opened" not in [status for status, _reason in history(message)]


def test_the_unsubscribe_link_and_a_stop_reply_name_the_message_they_came_through(gateway, member):
    email = send_email(member)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"][1:-1]
    unsubscribe_by_link(token=link.rstrip("/").rsplit("/", 1)[1], now=local("2026-03-03 10:00"))
    sms_early = message_queue(
        customer_id=member.pk, channel="sms", kind="points_earned", purpose="service", text="+50", now=NOON
    )
    message_send(message_id=sms_early.pk, now=NOON)
    sms_late = message_queue(
        customer_id=member.pk, channel="sms", kind="spring_sale", purpose="marketing", text="Sale", now=NOON
    )
    message_send(message_id=sms_late.pk, now=local("2026-03-02 12:05"))
    assert inbound_reply(
        channels=["sms"], sender="+79123456789", text="STOP", provider="gateway", now=local("2026-03-03 11:00")
    )
    withdrawals = ConsentChange.objects.filter(customer=member, granted=False).order_by("at")
    assert [(c.channel, c.source, c.message_id) for c in withdrawals] == [
        ("email", "link", email.pk),
        ("sms", "stop", sms_late.pk),  # the latest SMS sent before the reply
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles, schedules)
def test_two_opens_at_once_record_one_first_open_and_count_two(gateway, member):
    message = send_email(member)
    token, barrier, errors = open_token(message.pk), threading.Barrier(2), []

    def load():
        try:
            barrier.wait()
            message_open_record(token=token)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    message.refresh_from_db()
    assert message.open_count == 2
    assert [row for row in history(message) if row[0] == "opened"] == [("opened", "opened")]
