"""The django-q2 cluster itself (a real Cluster: sentinel, pusher, workers in their own processes, the ORM
broker) picks up the send tasks queued after commit and sends them through the loopback gateway."""

import signal
import time

import pytest
from django.db import connections
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule

from loyalty.models import ProgramSettings
from messaging.models import Message
from messaging.services import message_queue


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles, schedules)
def test_the_cluster_sends_queued_messages(gateway, settings, customer_factory, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # the test settings run tasks inline; here the cluster runs them
    settings.MESSAGING_QUIET_HOURS_START = settings.MESSAGING_QUIET_HOURS_END = 0  # any hour of the real clock
    Schedule.objects.all().delete()  # only the tasks this test queues
    ProgramSettings.objects.get_or_create(pk=1)
    people = [customer_factory(consent_sms=True) for _ in range(2)]
    messages = [
        message_queue(customer_id=p.pk, channel="sms", kind="test", purpose="marketing", text=f"Hi {n}")
        for n, p in enumerate(people)
    ]
    assert OrmQ.objects.count() == 2  # queued after commit, not run
    assert gateway.requests == []
    connections.close_all()  # the cluster's processes are forked: they must not share this connection
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    cluster = Cluster(get_broker())
    try:
        cluster.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if Message.objects.filter(status="sent").count() == 2:
                break
            time.sleep(0.2)
    finally:
        cluster.stop()
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
        connections.close_all()
    sent = {m.pk: m for m in Message.objects.all()}
    assert [sent[m.pk].status for m in messages] == ["sent", "sent"]
    assert sorted(r["body"]["text"] for r in gateway.requests) == ["Hi 0", "Hi 1"]
    assert sorted(r["body"]["key"] for r in gateway.requests) == sorted(str(m.key) for m in messages)
    assert OrmQ.objects.count() == 0
