"""20 concurrent redemptions (real threads, separate connections) against one balance."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from loyalty import services
from loyalty.exceptions import RedeemTooMuch
from loyalty.models import PointsAccount, Purchase
from loyalty.selectors import ledger_problems

ATTEMPTS = 20
REDEEM = 150  # on a 1 000.00 check: under the 30 % cap, so only the balance limits it


def redeem_once(customer_id: int) -> bool:
    try:
        services.purchase_record(customer_id=customer_id, amount=D("1000.00"), redeem_points=REDEEM)
        return True
    except RedeemTooMuch:
        return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_concurrent_redemptions_match_a_serial_run_and_never_overspend(customer_factory):
    serial_customer = customer_factory(name="Serial")
    racing_customer = customer_factory(name="Racing")
    for c in (serial_customer, racing_customer):
        services.points_award(customer_id=c.pk, points=1000, reason="opening balance")

    serial_successes = sum(redeem_once(serial_customer.pk) for _ in range(ATTEMPTS))

    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=30)
            ok = redeem_once(racing_customer.pk)
            with lock:
                outcomes.append(ok)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert len(outcomes) == ATTEMPTS
    # Only some redemptions fit the balance (1 000 points, 150 each, each purchase earning 42 back).
    assert 0 < serial_successes < ATTEMPTS
    assert sum(outcomes) == serial_successes
    serial_balance = PointsAccount.objects.get(pk=serial_customer.pk).balance
    racing_balance = PointsAccount.objects.get(pk=racing_customer.pk).balance
    assert racing_balance == serial_balance >= 0
    assert Purchase.objects.filter(customer=racing_customer).count() == serial_successes
    assert ledger_problems() == []
