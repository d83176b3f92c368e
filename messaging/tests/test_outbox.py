"""Sending through a real HTTP gateway on loopback (messaging/tests/provider.py): quiet hours, the frequency
cap, retries with backoff, and exactly-once sending when a try times out or a task runs twice."""

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.db import connection

from messaging.models import Message
from messaging.services import message_queue, message_send, outbox_dispatch

from .conftest import local

NOON = local("2026-03-02 12:00")


def queue_sms(customer, *, now=NOON, purpose="marketing", text="Hello from the shop", **kwargs) -> Message:
    return message_queue(
        customer_id=customer.pk, channel="sms", kind="test", purpose=purpose, text=text, now=now, **kwargs
    )


def history(message) -> list[tuple[str, str]]:
    return list(message.status_changes.order_by("at", "id").values_list("status", "reason"))


def test_an_sms_goes_to_the_gateway_signed_with_its_own_key(
    gateway, member, django_capture_on_commit_callbacks, settings
):
    # the send task runs on the real clock: no quiet hours, or this test fails after 21:00 Moscow time
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the send task (django-q2 sync in tests)
        message = queue_sms(member)
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert (message.status, message.provider, message.provider_message_id, message.attempts) == (
        "sent",
        "gateway",
        "gw-1",
        1,
    )
    [request] = gateway.requests
    assert request["signature_ok"]
    assert request["body"] == {
        "key": str(message.key),
        "channel": "sms",
        "to": "+79123456789",
        "text": "Hello from the shop",
    }
    assert request["headers"]["Idempotency-Key"] == str(message.key)
    assert [status for status, _reason in history(message)] == ["queued", "sending", "sent"]
    # Sent is final for the sender: running the task again sends nothing.
    assert message_send(message_id=message.pk) == "sent"
    assert len(gateway.requests) == 1


def test_an_sms_at_night_waits_for_the_morning_but_an_email_does_not(gateway, member):
    night = local("2026-03-01 23:30")
    sms = queue_sms(member, now=night)
    assert (sms.status, sms.held_reason) == ("queued", "quiet hours")
    assert sms.next_attempt_at == local("2026-03-02 09:00")
    assert history(sms) == [("queued", "queued"), ("queued", "held until 2026-03-02 09:00 (quiet hours)")]
    # The dispatcher leaves it alone before 09:00 and sends it at 09:00 (shop time).
    assert outbox_dispatch(now=local("2026-03-02 08:59")) == []
    assert message_send(message_id=sms.pk, now=local("2026-03-02 08:59")) == "queued"  # a stray task: not due
    assert gateway.requests == []
    assert outbox_dispatch(now=local("2026-03-02 09:00")) == [sms.pk]  # runs the task (sync in tests)
    sms.refresh_from_db()
    assert (sms.status, sms.sent_at) == ("sent", local("2026-03-02 09:00"))
    assert len(gateway.requests) == 1
    email = message_queue(
        customer_id=member.pk, channel="email", kind="test", purpose="service", subject="Hi", text="Hi", now=night
    )
    assert email.next_attempt_at is None
    assert message_send(message_id=email.pk, now=night) == "sent"
    assert mail.outbox[0].to == ["anna@example.com"]


def test_a_message_queued_in_the_day_but_sent_after_21_is_held_then(gateway, member):
    sms = queue_sms(member, now=local("2026-03-01 20:59"))
    assert message_send(message_id=sms.pk, now=local("2026-03-01 21:00")) == "queued"
    sms.refresh_from_db()
    assert (sms.next_attempt_at, sms.attempts, gateway.requests) == (local("2026-03-02 09:00"), 0, [])


def test_the_frequency_cap_counts_marketing_messages_of_the_last_days(gateway, member):
    sent = [queue_sms(member, now=NOON + dt.timedelta(hours=h)) for h in range(3)]
    assert [m.status for m in sent] == ["queued"] * 3
    fourth = queue_sms(member, now=NOON + dt.timedelta(hours=3))
    assert (fourth.status, fourth.skip_reason) == ("skipped", "frequency_cap")
    # Other channels count too; a service notice is never capped; a skipped message does not count.
    email = message_queue(customer_id=member.pk, channel="email", kind="k", purpose="marketing", text="x", now=NOON)
    assert email.skip_reason == "frequency_cap"
    assert queue_sms(member, purpose="service", now=NOON + dt.timedelta(hours=4)).status == "queued"
    # 7 days after the first one, one place is free again (the first has left the window) …
    later = queue_sms(member, now=NOON + dt.timedelta(days=7, minutes=1))
    assert later.status == "queued"
    # … and only one: the second and third are still within it.
    assert queue_sms(member, now=NOON + dt.timedelta(days=7, minutes=2)).skip_reason == "frequency_cap"


def test_a_failing_gateway_is_retried_with_backoff_then_the_message_fails(gateway, member):
    gateway.mode = "fail"
    sms = queue_sms(member)
    assert message_send(message_id=sms.pk, now=NOON) == "queued"
    sms.refresh_from_db()
    assert (sms.attempts, sms.error, sms.next_attempt_at) == (
        1,
        "provider gateway answered HTTP 500",
        NOON + dt.timedelta(seconds=60),
    )
    # Not before its time …
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=59)) == []
    # … then 60 s, then 120 s later (MESSAGING_RETRY_SECONDS doubling); the third try is the last (MAX_ATTEMPTS 3).
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=60)) == [sms.pk]
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.next_attempt_at) == ("queued", 2, NOON + dt.timedelta(seconds=180))
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=180)) == [sms.pk]
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.error) == ("failed", 3, "provider gateway answered HTTP 500")
    assert sms.failed_at == NOON + dt.timedelta(seconds=180)
    assert [r["body"]["key"] for r in gateway.requests] == [str(sms.key)] * 3
    assert history(sms)[-1] == ("failed", "provider gateway answered HTTP 500")
    assert ("queued", "provider gateway answered HTTP 500; retry in 120 s") in history(sms)
    assert outbox_dispatch(now=NOON + dt.timedelta(days=1)) == []  # failed is final


def test_a_refusal_fails_at_once(gateway, member):
    gateway.mode = "reject"
    sms = queue_sms(member)
    assert message_send(message_id=sms.pk, now=NOON) == "failed"
    sms.refresh_from_db()
    assert sms.error.startswith("provider gateway refused the message: HTTP 400")
    assert len(gateway.requests) == 1


def test_a_retry_after_a_timeout_does_not_send_twice(gateway, member):
    """The gateway takes 1 s, the client waits 0.5 s: the first try times out although the gateway sends the
    SMS. The retry carries the same key, so the gateway answers the first id and sends nothing again."""
    gateway.mode, gateway.delay = "slow", 1.0
    sms = queue_sms(member)
    assert message_send(message_id=sms.pk, now=NOON) == "queued"
    sms.refresh_from_db()
    assert sms.error == "provider gateway did not answer within 0.5 s"
    deadline = time.monotonic() + 5
    while not gateway.delivered and time.monotonic() < deadline:  # the gateway finishes its work
        time.sleep(0.05)
    assert gateway.delivered == [str(sms.key)]
    gateway.mode = "ok"
    assert message_send(message_id=sms.pk, now=NOON + dt.timedelta(seconds=60)) == "sent"
    sms.refresh_from_db()
    assert (sms.provider_message_id, sms.attempts) == ("gw-1", 2)
    assert [r["headers"]["Idempotency-Key"] for r in gateway.requests] == [str(sms.key)] * 2
    assert gateway.delivered == [str(sms.key)]  # one SMS reached the phone


def test_a_task_run_again_while_the_first_run_holds_the_message_sends_nothing(gateway, member):
    """django-q2 re-runs a task whose worker timed out or died. While the first run's claim stands the
    second finds nothing to do; after MESSAGING_CLAIM_SECONDS (300) the message is taken over and sent
    with its key."""
    sms = queue_sms(member)
    Message.objects.filter(pk=sms.pk).update(status="sending", claimed_at=NOON, attempts=1)  # a run that died
    assert message_send(message_id=sms.pk, now=NOON + dt.timedelta(seconds=10)) == "sending"
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=299)) == []
    assert gateway.requests == []
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=300)) == [sms.pk]
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("sent", 2)
    assert history(sms)[-2] == ("sending", "attempt 2 (the previous attempt did not finish)")
    assert [r["body"]["key"] for r in gateway.requests] == [str(sms.key)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles, schedules)
def test_two_workers_at_once_send_one_sms(gateway, customer_factory, settings):
    """Two runs of the same task in two threads (two database connections) against a slow gateway: one
    claims and sends, the other finds the message taken."""
    from loyalty.models import ProgramSettings

    # queueing runs the send task on the real clock (transaction=True: on commit at once): no quiet hours
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0
    ProgramSettings.objects.get_or_create(pk=1)
    person = customer_factory(consent_sms=True)
    sms = queue_sms(person)
    gateway.mode, gateway.delay = "slow", 0.3
    results, start = [], threading.Barrier(2)

    def worker():
        try:
            start.wait()
            results.append(message_send(message_id=sms.pk, now=NOON))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in (["sending", "sent"], ["sent", "sent"])
    assert len(gateway.requests) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("sent", 1)


def test_a_marketing_email_carries_the_one_click_unsubscribe(gateway, member):
    marketing = message_queue(
        customer_id=member.pk,
        channel="email",
        kind="promo",
        purpose="marketing",
        subject="Sale",
        text="Big sale",
        now=NOON,
    )
    service = message_queue(
        customer_id=member.pk, channel="email", kind="points", purpose="service", subject="Points", text="+50", now=NOON
    )
    message_send(message_id=marketing.pk, now=NOON)
    message_send(message_id=service.pk, now=NOON)
    promo, notice = mail.outbox
    link = promo.extra_headers["List-Unsubscribe"]
    assert link.startswith("<https://loyalty.example.com/messaging/unsubscribe/") and link.endswith("/>")
    assert promo.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert promo.body == f"Big sale\n\n--\nUnsubscribe: {link[1:-1]}"
    assert promo.extra_headers["Message-ID"] == f"<{marketing.key}@localhost>"
    assert "List-Unsubscribe" not in notice.extra_headers and notice.body == "+50"
    marketing.refresh_from_db()
    assert (marketing.status, marketing.provider, marketing.provider_message_id) == (
        "sent",
        "email",
        f"<{marketing.key}@localhost>",
    )


def test_consent_withdrawn_after_queueing_stops_the_send(gateway, member):
    from messaging.services import consent_set

    sms = queue_sms(member)
    consent_set(customer_id=member.pk, channel="sms", granted=False, source="link", origin="link")
    assert message_send(message_id=sms.pk, now=NOON) == "skipped"
    sms.refresh_from_db()
    assert (sms.skip_reason, sms.attempts, gateway.requests) == ("unsubscribed", 0, [])


def test_a_gateway_that_is_down_is_retried(gateway, member):
    gateway.stop()
    sms = queue_sms(member)
    assert message_send(message_id=sms.pk, now=NOON) == "queued"
    sms.refresh_from_db()
    assert sms.error == "provider gateway unreachable: ConnectionError"
    assert "+7912" not in sms.error  # the address is not in the error


def test_the_console_provider_prints_the_sms_with_the_number_masked(gateway, settings, member, capsys):
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "console", "messenger": "console"}
    sms = queue_sms(member, text="Your 50 points are waiting")
    assert message_send(message_id=sms.pk, now=NOON) == "sent"
    sms.refresh_from_db()
    assert (sms.provider, sms.provider_message_id) == ("console", str(sms.key))
    assert capsys.readouterr().out == f"--- sms to ***6789 (key {sms.key})\nYour 50 points are waiting\n"


def test_a_mail_server_that_refuses_connections_is_retried(gateway, settings, member):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    email = message_queue(customer_id=member.pk, channel="email", kind="k", purpose="service", text="x", now=NOON)
    assert message_send(message_id=email.pk, now=NOON) == "queued"
    email.refresh_from_db()
    assert (email.error, email.attempts) == ("mail server error: ConnectionRefusedError", 1)


def test_an_unconfigured_provider_fails_the_message_instead_of_retrying_forever(gateway, settings, member):
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "nobody", "messenger": "console"}
    sms = queue_sms(member)
    assert message_send(message_id=sms.pk, now=NOON) == "failed"
    sms.refresh_from_db()
    assert (sms.error, sms.attempts) == ("no provider configured for the channel", 0)


def test_a_message_whose_last_attempt_never_finished_fails(gateway, member):
    sms = queue_sms(member)
    Message.objects.filter(pk=sms.pk).update(status="sending", claimed_at=NOON, attempts=3)  # MAX_ATTEMPTS is 3
    assert message_send(message_id=sms.pk, now=NOON + dt.timedelta(seconds=300)) == "failed"
    sms.refresh_from_db()
    assert (sms.error, gateway.requests) == ("the last attempt did not finish", [])


def test_erasing_a_customer_erases_their_messages(gateway, member, marketing_user):
    from customers.services import customer_erase

    sms = queue_sms(member, text="Anna, your points")
    message_send(message_id=sms.pk, now=NOON)
    held = queue_sms(member, now=local("2026-03-02 23:00"), purpose="service")
    customer_erase(customer=member, actor=marketing_user, origin="console")
    for message in (sms, held):
        message.refresh_from_db()
        assert (message.address, message.text) == ("", "(erased)")
    assert message_send(message_id=held.pk, now=local("2026-03-03 09:00")) == "skipped"
    held.refresh_from_db()
    assert held.skip_reason == "no_address"
    assert len(gateway.requests) == 1


def test_a_dedupe_key_queues_once(gateway, member):
    first = queue_sms(member, purpose="service", dedupe_key="points_burning:1:2026-12-12")
    again = queue_sms(member, purpose="service", dedupe_key="points_burning:1:2026-12-12", text="other")
    assert again.pk == first.pk and Message.objects.count() == 1


def test_a_message_queued_by_a_person_is_audited(gateway, member, marketing_user):
    from core.models import AuditEntry

    sms = queue_sms(member, actor=marketing_user, origin="console")
    entry = AuditEntry.objects.get(action="message.queue")
    assert (entry.actor, entry.object_id, entry.origin) == (marketing_user, str(sms.pk), "console")
    assert entry.changes == {
        "customer": member.pk,
        "message": sms.pk,
        "channel": "sms",
        "kind": "test",
        "status": "queued",
    }
    queue_sms(member)  # the system's own messages are not audited
    assert AuditEntry.objects.filter(action="message.queue").count() == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [({"channel": "pigeon"}, "unknown_channel"), ({"purpose": "spam"}, "invalid"), ({"text": "  "}, "invalid")],
)
def test_bad_input_is_refused_and_writes_nothing(gateway, member, changes, code):
    from messaging.exceptions import MessagingError

    arguments = {"channel": "sms", "kind": "k", "purpose": "service", "text": "Hi", **changes}
    with pytest.raises(MessagingError) as refused:
        message_queue(customer_id=member.pk, now=NOON, **arguments)
    assert refused.value.code == code
    assert Message.objects.count() == 0


def test_deferred_messages_go_out_in_batches_through_the_dispatcher(gateway, settings, member, customer_factory):
    settings.MESSAGING_DISPATCH_BATCH = 2
    others = [customer_factory(consent_sms=True) for _ in range(2)]
    messages = [queue_sms(person, purpose="service", defer=True) for person in (member, *others)]
    assert [m.next_attempt_at for m in messages] == [NOON] * 3
    assert gateway.requests == []  # no task of their own
    assert outbox_dispatch(now=NOON) == [m.pk for m in messages]  # two batch tasks: 2 + 1 (run inline here)
    assert sorted(r["body"]["key"] for r in gateway.requests) == sorted(str(m.key) for m in messages)
    assert set(Message.objects.values_list("status", "dispatched_at")) == {("sent", None)}


def test_a_message_handed_out_is_not_handed_out_again_until_its_lease_ends(gateway, member, monkeypatch):
    from django_q.conf import Conf
    from django_q.models import OrmQ

    monkeypatch.setattr(Conf, "SYNC", False)  # the batch task waits on the queue: nobody claims the message
    sms = queue_sms(member, purpose="service", defer=True)
    assert outbox_dispatch(now=NOON) == [sms.pk]
    assert OrmQ.objects.count() == 1
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=60)) == []  # the next minute leaves it alone
    assert outbox_dispatch(now=NOON + dt.timedelta(seconds=300)) == [sms.pk]  # its task was lost: again
    assert OrmQ.objects.count() == 2 and gateway.requests == []


def test_a_russian_marketing_email_says_unsubscribe_in_russian(gateway, member):
    message = message_queue(
        customer_id=member.pk,
        channel="email",
        kind="promo",
        purpose="marketing",
        subject="Распродажа",
        text="Большая распродажа",
        language="ru",
        now=NOON,
    )
    message_send(message_id=message.pk, now=NOON)
    (email,) = mail.outbox
    link = email.extra_headers["List-Unsubscribe"][1:-1]
    assert email.body == f"Большая распродажа\n\n--\nОтписаться: {link}"
