"""Expiry (loyalty.services.ledger.expiry): points die after their lifetime, soonest expiry is spent first,
a second run changes nothing, and the nightly job and a till never expire the same lot twice.

The TestCase… classes are issue #9's hand-worked stories (their default settings: loyalty/tests/helpers.py).
"""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from loyalty import services
from loyalty.exceptions import RedeemTooMuch
from loyalty.models import LedgerEntry, PointsLot
from loyalty.rules import local_midnight
from loyalty.selectors import points_summary
from loyalty.tests.helpers import T, assert_ledger_consistent, at, balance, bonus, buy, run_daily

Kind = LedgerEntry.Kind


pytestmark = pytest.mark.django_db


class TestExpiry:
    def test_points_expire_after_their_lifetime_and_twice_changes_nothing(self, customer, t0):
        buy(customer, "1000.00", now=t0)  # 50 points, 2026-03-01, burn at 2027-03-01 00:00
        buy(customer, "2000.00", now=t0 + dt.timedelta(days=10))  # 100 points
        lot = PointsLot.objects.order_by("id").first()
        assert lot.expires_at == local_midnight(dt.date(2027, 3, 1))
        assert run_daily(dt.date(2027, 2, 28))["expired_points"] == 0
        assert balance(customer) == 150
        result = run_daily(dt.date(2027, 3, 1))
        assert (result["expired_points"], result["expired_customers"], result["balance_mismatches"]) == (50, 1, 0)
        assert balance(customer) == 100
        again = run_daily(dt.date(2027, 3, 1))
        assert again["expired_points"] == 0
        assert LedgerEntry.objects.filter(kind="expire").count() == 1
        assert_ledger_consistent(customer)

    def test_expired_points_are_not_spendable_before_the_job_runs(self, customer, t0):
        buy(customer, "1000.00", now=t0)
        after = local_midnight(dt.date(2027, 3, 1)) + dt.timedelta(hours=1)
        assert points_summary(customer.pk, now=after).available == 0
        with pytest.raises(RedeemTooMuch):
            buy(customer, "1000.00", redeem=1, now=after)

    def test_partly_spent_lot_expires_only_its_remainder(self, customer, t0):
        buy(customer, "10000.00", now=t0)  # 500
        buy(customer, "1000.00", redeem=200, now=t0)  # spends 200 of the first lot, earns 40
        run_daily(dt.date(2027, 3, 1))
        assert LedgerEntry.objects.get(kind="expire").points == -340
        assert balance(customer) == 0
        assert_ledger_consistent(customer)

    def test_soonest_expiry_is_spent_first(self, customer, t0):
        services.points_award(customer_id=customer.pk, points=100, reason="never expires", use_lifetime=False, now=t0)
        buy(customer, "2000.00", now=t0)  # 100 points expiring in a year
        buy(customer, "1000.00", redeem=100, now=t0)
        remaining = list(PointsLot.objects.order_by("id").values_list("entry__kind", "remaining"))
        # The never-expiring bonus is untouched; the expiring lot paid; the new purchase earned 45.
        assert remaining == [("bonus", 100), ("earn", 0), ("earn", 45)]


class TestCase6ExpiryUnderConcurrentWriters:
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
    def test_a_customer_whose_due_lots_a_till_expired_while_the_job_waited(self, program, customer_factory):

        from loyalty.services.ledger.core import account_lock

        customer = customer_factory(name="Anna")
        day = dt.date(2026, 3, 2)
        bonus(customer, 100, now=T, expires_at=local_midnight(day))
        bonus(customer, 30, now=T, use_lifetime=False)
        locked, release = threading.Event(), threading.Event()

        def till():
            try:
                with transaction.atomic():
                    account_lock(customer.pk, now=at(day, 0, 5))  # expires the 100 itself, holds the lock
                    locked.set()
                    release.wait(10)
            finally:
                connection.close()

        thread = threading.Thread(target=till)
        thread.start()
        assert locked.wait(10)
        timer = threading.Timer(0.5, release.set)
        timer.start()
        result = services.points_expire_due(as_of=day, now=at(day, 0, 15))  # waits for the till's lock
        thread.join()
        assert result == {"customers": 0, "points": 0}
        assert balance(customer) == 30
        assert LedgerEntry.objects.filter(kind=Kind.EXPIRE).aggregate(s=Sum("points"))["s"] == -100
        assert_ledger_consistent(customer)
