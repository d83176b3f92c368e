"""20 concurrent purchases through the API (real threads, separate connections) redeeming against one
balance never overspend, and give the same outcome as the same requests one after another."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from loyalty import services
from loyalty.models import PointsAccount, Purchase
from loyalty.selectors import ledger_problems

ATTEMPTS = 20
REDEEM = 150  # on a 1 000.00 check: under the 30 % cap, so only the balance limits it


def purchase(key: str, customer_id: int, idempotency_key: str) -> tuple[int, dict]:
    client = APIClient()  # one per thread: each thread's requests use that thread's own connection
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(
        "/api/v1/purchases/",
        {"customer": customer_id, "amount": "1000.00", "redeem_points": REDEEM},
        format="json",
        headers={"Idempotency-Key": idempotency_key},
    )
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_concurrent_api_purchases_never_overspend(customer_factory, api_client_factory):
    cache.clear()
    key = api_client_factory(name="load").key
    serial_customer = customer_factory(name="Serial")
    racing_customer = customer_factory(name="Racing")
    for c in (serial_customer, racing_customer):
        services.points_award(customer_id=c.pk, points=1000, reason="opening balance")

    serial = [purchase(key, serial_customer.pk, f"serial-{i}")[0] for i in range(ATTEMPTS)]

    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = purchase(key, racing_customer.pk, f"race-{index}")
            with lock:
                outcomes.append(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert len(outcomes) == ATTEMPTS
    statuses = sorted(status for status, _body in outcomes)
    assert set(statuses) == {201, 400}
    assert statuses == sorted(serial)  # as many succeed as one after another: 1 000 points, 150 each, +42 back
    refused = [body for status, body in outcomes if status == 400]
    assert all(body["max_redeem_points"] < REDEEM for body in refused)
    serial_balance = PointsAccount.objects.get(pk=serial_customer.pk).balance
    racing_balance = PointsAccount.objects.get(pk=racing_customer.pk).balance
    assert racing_balance == serial_balance >= 0
    assert Purchase.objects.filter(customer=racing_customer).count() == statuses.count(201)
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_batches_with_the_same_new_customers_in_opposite_orders_never_deadlock(
    customer_factory, api_client_factory
):
    """Customers without a points account yet, sent in two batches at once, X then Y and Y then X: each
    batch creates the missing accounts in id order before it locks them, so neither waits for the other in
    a circle (a tester saw a deadlock, a 500, ten times in ten)."""
    import datetime as dt

    from django.utils import timezone

    cache.clear()
    key = api_client_factory(name="tills").key
    for round_ in range(6):
        x, y = customer_factory(), customer_factory()
        assert not PointsAccount.objects.filter(pk__in=[x.pk, y.pk]).exists()
        occurred = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
        barrier = threading.Barrier(2)
        statuses: list[int] = []
        errors: list[BaseException] = []

        def batch(first, second, tag, barrier=barrier, statuses=statuses, errors=errors, occurred=occurred):
            try:
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
                items = [
                    {"customer": c.pk, "amount": "100.00", "occurred_at": occurred, "idempotency_key": f"{tag}-{n}"}
                    for n, c in enumerate((first, second))
                ]
                barrier.wait(timeout=30)
                statuses.append(
                    client.post("/api/v1/purchases/batch/", {"purchases": items}, format="json").status_code
                )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=batch, args=(x, y, f"a{round_}")),
            threading.Thread(target=batch, args=(y, x, f"b{round_}")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == [] and statuses == [200, 200], (round_, statuses, errors)
        assert {a.balance for a in PointsAccount.objects.filter(pk__in=[x.pk, y.pk])} == {10}  # 2 × 5 each
    assert ledger_problems() == []
