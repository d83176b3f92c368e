"""The daily run's chunks in parallel (settings.CAMPAIGNS_DAILY_WORKERS, PostgreSQL, campaigns without a
points budget): the same grants, ledger, balances and messages as the serial run, committed chunk by chunk
on the workers' own connections; a budgeted campaign stays serial. Transactional tests: the workers'
connections must see the customers, so nothing may sit in an uncommitted test transaction."""

import datetime as dt
import itertools
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, CampaignGrant
from campaigns.rules import in_holdout
from campaigns.services import daily
from campaigns.services.daily import campaigns_daily_run
from customers.services import customer_enrol
from loyalty.models import LedgerEntry, PointsAccount, PointsLot, ProgramSettings
from loyalty.rules import local_midnight
from loyalty.selectors import ledger_problems
from messaging.models import Message, MessageTemplate

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keep migration data (tiers, roles)
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="parallel chunks are PostgreSQL's"),
]

D = Decimal
DAY = dt.date(2026, 6, 10)
NOW = local_midnight(DAY) + dt.timedelta(hours=12)
_phones = itertools.count(7_100_000)


def people(n: int) -> list:
    ProgramSettings.objects.get_or_create(pk=1)
    return [
        customer_enrol(
            name="Test", phone=f"+7 901 {next(_phones):07d}", consent_sms=i % 3 == 0, now=NOW - dt.timedelta(days=400)
        )
        for i in range(n)
    ]


def broadcast(**fields) -> Campaign:
    start = local_midnight(dt.date(2026, 1, 1))
    values = {
        "name": "Broadcast", "kind": Campaign.Kind.BROADCAST, "status": Campaign.Status.ACTIVE, "starts_at": start,
        "points": 40, "holdout_percent": D("20"), "channels": ["sms"], "created_at": start, "updated_at": start,
        **fields,
    }  # fmt: skip
    c = Campaign.objects.create(**values)
    MessageTemplate.objects.create(
        kind=c.message_kind, channel="sms", language="en", body="{points} points", updated_at=timezone.now()
    )
    return c


def snapshot(c: Campaign) -> dict:
    """What a customer and the results page would see, by customer id."""
    grants = CampaignGrant.objects.filter(campaign=c).order_by("customer_id")
    return {
        "grants": list(grants.values_list("customer_id", "holdout", "points", "expires_at")),
        "entries": sorted(
            LedgerEntry.objects.filter(source=c.ledger_source).values_list("customer_id", "points", "expires_at")
        ),
        "lots": sorted(PointsLot.objects.filter(entry__source=c.ledger_source).values_list("customer_id", "remaining")),
        "balances": sorted(PointsAccount.objects.filter(balance__gt=0).values_list("pk", "balance")),
        "messages": sorted(Message.objects.filter(kind=c.message_kind).values_list("customer_id", "status")),
    }


def test_parallel_chunks_grant_exactly_what_the_serial_run_grants(settings, monkeypatch):
    monkeypatch.setattr(daily, "CHUNK", 4)  # 23 customers: 6 chunks
    crowd = people(23)
    held = {p.pk for p in crowd}

    settings.CAMPAIGNS_DAILY_WORKERS = 1
    serial = broadcast(name="Serial")
    serial_counts = campaigns_daily_run(as_of=DAY, now=NOW)["campaigns"][str(serial.pk)]

    settings.CAMPAIGNS_DAILY_WORKERS = 3
    assert daily._parallel_workers(Campaign.objects.get(pk=serial.pk), chunks=6) == 3
    parallel = broadcast(name="Parallel")
    threads = []
    chunk_grant = daily._chunk_grant

    def chunk_grant_seen(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return chunk_grant(*args, **kwargs)

    monkeypatch.setattr(daily, "_chunk_grant", chunk_grant_seen)
    parallel_counts = campaigns_daily_run(as_of=DAY, now=NOW)["campaigns"][str(parallel.pk)]
    assert len(threads) == 6 and all(name.startswith("campaign-chunk") for name in threads)

    treated = [pk for pk in held if not in_holdout(parallel.pk, pk, D("20"))]
    assert parallel_counts["granted"] == len(treated)
    assert parallel_counts["holdout"] == 23 - len(treated)
    assert parallel_counts["points"] == 40 * len(treated)
    parallel.refresh_from_db()
    assert parallel.points_granted == 40 * len(treated)
    assert parallel.status == Campaign.Status.FINISHED
    # Serial and parallel differ only by the holdout, which is per campaign: compare each to its own split.
    for c, counts in ((serial, serial_counts), (parallel, parallel_counts)):
        shot = snapshot(c)
        expected_treated = sorted(pk for pk in held if not in_holdout(c.pk, pk, D("20")))
        assert [g[0] for g in shot["grants"] if not g[1]] == expected_treated
        assert [e[0] for e in shot["entries"]] == expected_treated
        assert all(points == 40 for _, points, _ in shot["entries"])
        assert [lot[0] for lot in shot["lots"]] == expected_treated
        sms = [pk for pk in expected_treated if crowd[[p.pk for p in crowd].index(pk)].consent_sms]
        assert [m[0] for m in shot["messages"] if m[1] != Message.Status.SKIPPED] == sms
        assert len(shot["messages"]) == len(expected_treated)
        assert counts["messages"]["queued"] + counts["messages"]["held"] == len(sms)
    both = {pk: 0 for pk in held}
    for c in (serial, parallel):
        for pk in held:
            if not in_holdout(c.pk, pk, D("20")):
                both[pk] += 40
    assert dict(snapshot(parallel)["balances"]) == {pk: b for pk, b in both.items() if b}
    assert ledger_problems() == []


def test_a_second_parallel_run_for_the_date_grants_nothing(settings, monkeypatch):
    monkeypatch.setattr(daily, "CHUNK", 3)
    settings.CAMPAIGNS_DAILY_WORKERS = 2
    people(10)
    c = broadcast(points=25, holdout_percent=D("0"))
    first = campaigns_daily_run(as_of=DAY, now=NOW)["campaigns"][str(c.pk)]
    assert (first["granted"], first["points"]) == (10, 250)
    Campaign.objects.filter(pk=c.pk).update(status=Campaign.Status.ACTIVE)  # as if it had not finished
    again = campaigns_daily_run(as_of=DAY, now=NOW)["campaigns"][str(c.pk)]
    assert (again["granted"], again["holdout"], again["points"]) == (0, 0, 0)
    assert LedgerEntry.objects.filter(source=c.ledger_source).count() == 10
    assert sum(PointsAccount.objects.values_list("balance", flat=True)) == 250


def test_a_budgeted_or_single_chunk_campaign_runs_serially(settings):
    settings.CAMPAIGNS_DAILY_WORKERS = 4
    people(1)
    c = broadcast(budget_points=1000)
    assert daily._parallel_workers(c, chunks=10) == 1  # the budget is spent in customer-id order
    c.budget_points = None
    assert daily._parallel_workers(c, chunks=1) == 1
    assert daily._parallel_workers(c, chunks=10) == 4
    assert daily._parallel_workers(c, chunks=3) == 3
    settings.CAMPAIGNS_DAILY_WORKERS = 1
    assert daily._parallel_workers(c, chunks=10) == 1
    assert connection.vendor == "postgresql"


def test_a_paused_campaign_stops_its_parallel_chunks(settings, monkeypatch):
    monkeypatch.setattr(daily, "CHUNK", 2)
    settings.CAMPAIGNS_DAILY_WORKERS = 2
    people(8)
    c = broadcast(holdout_percent=D("0"))
    Campaign.objects.filter(pk=c.pk).update(status=Campaign.Status.PAUSED)
    counts = daily.campaign_daily_grant(campaign_id=c.pk, as_of=DAY, now=NOW)
    assert (counts["granted"], counts["points"]) == (0, 0)
    assert not CampaignGrant.objects.filter(campaign=c).exists()
