"""The django-q2 cluster (a real Cluster: sentinel, scheduler, workers in their own processes, the ORM
broker) runs the daily campaign job from its schedule: loyalty's `loyalty.run_daily` schedule runs the
daily jobs, which announce DailyRunFinished; campaigns' subscriber queues campaigns_daily_task, and a
worker grants today's birthday."""

import datetime as dt
import signal
import time

import pytest
from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.conf import Conf
from django_q.models import Schedule

from campaigns.models import Campaign, CampaignGrant
from customers.services import customer_enrol
from loyalty.models import PointsAccount, ProgramSettings


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles, schedules)
def test_the_cluster_runs_the_daily_campaigns_from_the_schedule(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # the test settings run tasks inline; here the cluster runs them
    ProgramSettings.objects.get_or_create(pk=1)
    now = timezone.now()
    today = timezone.localdate(now)
    born = dt.date(1992, today.month, today.day)  # 1992 is a leap year: any day has its date
    anna = customer_enrol(name="Anna", phone="+7 901 000-00-01", birthday=born)
    campaign = Campaign.objects.create(
        name="Birthday", kind=Campaign.Kind.BIRTHDAY, status=Campaign.Status.ACTIVE, points=300,
        holdout_percent=0, starts_at=now - dt.timedelta(days=1), created_at=now, updated_at=now,
    )  # fmt: skip
    Schedule.objects.exclude(name="loyalty.run_daily").delete()  # only the daily job
    schedule = Schedule.objects.get(name="loyalty.run_daily")
    schedule.next_run = now - dt.timedelta(minutes=1)
    schedule.save()
    connections.close_all()  # the cluster's processes are forked: they must not share this connection
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    cluster = Cluster(get_broker())
    try:
        cluster.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if CampaignGrant.objects.filter(campaign=campaign).exists():
                break
            time.sleep(0.5)
    finally:
        cluster.stop()
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
        connections.close_all()
    grant = CampaignGrant.objects.get(campaign=campaign)
    assert (grant.customer_id, grant.occasion, grant.points) == (anna.pk, f"birthday:{today.year}", 300)
    assert PointsAccount.objects.get(pk=anna.pk).balance == 300
    schedule.refresh_from_db()
    assert schedule.next_run > now  # the schedule itself ran (and moved to tomorrow)
