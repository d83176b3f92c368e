"""Events: `loyalty` announces purchases after commit; `customers` hands opening balances to the ledger."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction

from customers import events as customer_events
from customers.imports import SAMPLE_CSV, customers_import
from customers.models import Customer
from loyalty import events, services
from loyalty.models import LedgerEntry
from loyalty.tests.helpers import run_daily


@pytest.fixture
def received():
    seen: list[events.PurchaseRecorded] = []
    events.purchase_recorded_subscribe(seen.append)
    yield seen
    events.purchase_recorded_unsubscribe(seen.append)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_a_purchase_is_announced_once_after_it_commits(customer, received):
    result = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"), idempotency_key="k-1")
    assert received == [
        events.PurchaseRecorded(
            purchase_id=result.purchase.pk, customer_id=customer.pk, points_earned=50, points_redeemed=0
        )
    ]
    services.purchase_record(customer_id=customer.pk, amount=D("1000.00"), idempotency_key="k-1")  # a retry
    assert len(received) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_a_purchase_rolled_back_is_never_announced(customer, received):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.purchase_record(customer_id=customer.pk, amount=D("1000.00"))
        raise RuntimeError("the till's own transaction failed")
    assert received == []
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_a_failing_subscriber_does_not_undo_the_purchase_or_stop_the_others(customer, received, caplog):
    def broken(event):
        raise ValueError("campaign engine down")

    events.purchase_recorded_subscribe(broken)
    try:
        events.purchase_recorded_subscribe(received.append)  # registered once only
        result = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"))
    finally:
        events.purchase_recorded_unsubscribe(broken)
    assert [e.purchase_id for e in received] == [result.purchase.pk]
    assert LedgerEntry.objects.get(purchase=result.purchase).points == 50
    assert "campaign engine down" in caplog.text


@pytest.mark.django_db
def test_opening_balances_without_a_ledger_import_nothing(program, monkeypatch):
    monkeypatch.setattr(customer_events, "_opening_balances_subscribers", [])
    with pytest.raises(RuntimeError, match="no ledger subscribed"):
        customers_import(content=SAMPLE_CSV.encode(), file_name="c.csv", dry_run=False, now=dt.datetime.now(dt.UTC))
    assert not Customer.objects.exists()
    assert not LedgerEntry.objects.exists()


@pytest.fixture
def runs():
    seen: list[events.DailyRunFinished] = []
    events.daily_run_finished_subscribe(seen.append)
    yield seen
    events.daily_run_finished_unsubscribe(seen.append)


def test_the_daily_run_is_announced_after_it_is_done(customer, runs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(dt.date(2026, 3, 2))
    assert runs == [events.DailyRunFinished(as_of=dt.date(2026, 3, 2))]


def test_a_failing_daily_run_subscriber_is_logged_and_the_others_still_run(
    customer, runs, django_capture_on_commit_callbacks, caplog
):
    def broken(event):
        raise RuntimeError("boom")

    events.daily_run_finished_subscribe(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = run_daily(dt.date(2026, 3, 2))
    finally:
        events.daily_run_finished_unsubscribe(broken)
    assert result["date"] == "2026-03-02"
    assert runs == [events.DailyRunFinished(as_of=dt.date(2026, 3, 2))]
    assert "failed for the daily run of 2026-03-02" in caplog.text


@pytest.fixture
def received_inside():
    """A subscriber called inside the purchase's transaction: records the event and whether it ran in one."""
    from django.db import connection

    seen: list[tuple[events.PurchaseRecorded, bool]] = []

    def inside(event):
        seen.append((event, connection.in_atomic_block))

    events.purchase_recorded_subscribe(inside, in_transaction=True)
    yield seen
    events.purchase_recorded_unsubscribe(inside)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_an_in_transaction_subscriber_runs_inside_the_purchase_and_not_on_a_retry(customer, received_inside):
    result = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"), idempotency_key="k-1")
    expected = events.PurchaseRecorded(
        purchase_id=result.purchase.pk, customer_id=customer.pk, points_earned=50, points_redeemed=0
    )
    assert received_inside == [(expected, True)]
    services.purchase_record(customer_id=customer.pk, amount=D("1000.00"), idempotency_key="k-1")  # a retry
    assert len(received_inside) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_what_an_in_transaction_subscriber_writes_rolls_back_with_the_purchase(customer):
    from django_q.models import OrmQ

    def queue(event):
        OrmQ.objects.create(key="test", payload=f"purchase {event.purchase_id}", lock=event_time)

    event_time = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    events.purchase_recorded_subscribe(queue, in_transaction=True)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.purchase_record(customer_id=customer.pk, amount=D("1000.00"))
            raise RuntimeError("the till's own transaction failed")
        assert not OrmQ.objects.exists()
        result = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"))
    finally:
        events.purchase_recorded_unsubscribe(queue)
    assert list(OrmQ.objects.values_list("payload", flat=True)) == [f"purchase {result.purchase.pk}"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_a_failing_in_transaction_subscriber_does_not_undo_the_purchase(customer, received, caplog):
    from django.db import connection

    def broken(event):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # a failed statement: only its savepoint rolls back

    events.purchase_recorded_subscribe(broken, in_transaction=True)
    try:
        result = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"))
    finally:
        events.purchase_recorded_unsubscribe(broken)
    assert [e.purchase_id for e in received] == [result.purchase.pk]
    assert LedgerEntry.objects.get(purchase=result.purchase).points == 50
    assert "subscriber" in caplog.text and "failed for purchase" in caplog.text
