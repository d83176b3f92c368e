"""A purchase's opening reads and closing writes in one statement each on PostgreSQL
(loyalty.services.ledger.purchase_sql, issue #16): the same results as the usual path, one statement at a
time (taken on SQLite, for an account another transaction holds, for a customer without an account), and
never a stale read: lots, tier status and spend as committed before the lock was granted, the program's
rules as changed by another process."""

import datetime as dt
import os
import subprocess
import sys
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.versions import caches_clear
from loyalty import services
from loyalty.exceptions import RedeemTooMuch, UnknownCustomer
from loyalty.models import LedgerEntry, PointsAccount, Purchase, Tier, TierChange, TierStatus
from loyalty.selectors import qualifying_spend
from loyalty.services.ledger import purchase_sql, purchases
from loyalty.tests.helpers import assert_ledger_consistent, balance, bonus, buy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the folded statements are PostgreSQL's"
)


@pytest.fixture(params=["opening", "usual"])
def path(request, monkeypatch):
    """Each test twice: with the opening statement (PostgreSQL), and with the usual path forced."""
    if request.param == "usual":
        monkeypatch.setattr(purchase_sql, "_purchase_open", lambda *args, **kwargs: None)
    elif connection.vendor != "postgresql":
        pytest.skip("the opening statement is PostgreSQL's")
    return request.param


@pytest.fixture
def spend_checked(monkeypatch):
    """Every purchase's tier upgrade is checked: the spend it decides by equals qualifying_spend read at that
    point (inside the purchase's transaction, this purchase recorded), as the usual path reads it. Returns the
    list of (spend, purchases) the upgrades were given (None: they read it themselves)."""
    given = []
    upgrade = purchases.tier_upgrade_on_purchase

    def checked(**kwargs):
        qualifying = kwargs.get("qualifying")
        given.append(qualifying)
        if qualifying is not None:
            assert qualifying == qualifying_spend(kwargs["customer_id"], now=kwargs["now"], program=kwargs["program"])
        return upgrade(**kwargs)

    monkeypatch.setattr(purchases, "tier_upgrade_on_purchase", checked)
    return given


def tier_of(customer) -> str | None:
    status = TierStatus.objects.filter(pk=customer.pk).select_related("tier").first()
    return status.tier.code if status and status.tier else None


@postgresql_only
@pytest.mark.parametrize("redeem", [0, 10])
def test_one_opening_statement_and_one_closing_statement(customer, t0, monkeypatch, redeem):
    """The account and tier status locks, the lots, the versions and the tier spend: one call instead of five; the
    balance and the customer's purchase dates: one UPDATE (the other as a WITH), on either path."""
    bonus(customer, 100, now=t0 - dt.timedelta(days=2))
    buy(customer, "1000.00", now=t0 - dt.timedelta(days=1))

    def statements(now):
        with CaptureQueriesContext(connection) as queries:
            buy(customer, "1000.00", redeem=redeem, now=now)
        return [q["sql"] for q in queries]

    opened = statements(t0)
    monkeypatch.setattr(purchase_sql, "_purchase_open", lambda *args, **kwargs: None)
    usual = statements(t0 + dt.timedelta(minutes=1))
    assert len(usual) - len(opened) == 4, "\n".join(sql[:100] for sql in usual)
    assert sum("loyalty_purchase_open" in sql for sql in opened) == 1
    for table in ("core_cacheversion", "loyalty_tierstatus", "loyalty_spendday", "FROM loyalty_pointslot"):
        assert not any(table in sql and "INSERT" not in sql for sql in opened), table
    for sqls in (opened, usual):
        assert [sql[:40] for sql in sqls if "UPDATE customers_customer" in sql] == [
            "WITH also AS (UPDATE customers_customer "
        ]
        assert not any("UPDATE loyalty_pointsaccount" in sql and "WITH also" not in sql for sql in sqls)


class TestSameResultEitherWay:
    def test_an_expired_lot_and_a_redeem(self, customer, program, t0, path):
        bonus(customer, 100, now=t0 - dt.timedelta(days=400))  # 365-day lifetime: dead at t0
        bonus(customer, 200, now=t0 - dt.timedelta(days=40))  # the first lot still alive then
        with pytest.raises(RedeemTooMuch) as refused:
            buy(customer, "1000.00", redeem=201, now=t0)
        assert refused.value.max_redeem_points == 200  # the dead lot does not pay
        result = buy(customer, "1000.00", redeem=150, now=t0)
        assert (result.purchase.paid_amount, result.purchase.earned_points) == (D("850.00"), 42)
        assert result.balance_after == balance(customer) == 200 - 150 + 42
        kinds = list(LedgerEntry.objects.filter(customer=customer, created_at=t0).values_list("kind", "points"))
        assert sorted(kinds) == sorted([("expire", -100), ("redeem", -150), ("earn", 42)])
        assert_ledger_consistent(customer)

    def test_only_expired_points_and_no_redeem(self, customer, t0, path):
        bonus(customer, 100, now=t0 - dt.timedelta(days=400))
        result = buy(customer, "1000.00", now=t0)
        assert result.balance_after == balance(customer) == 50
        assert LedgerEntry.objects.filter(customer=customer, kind="expire").get().points == -100
        assert_ledger_consistent(customer)

    def test_tier_upgrade_at_the_exact_threshold(self, customer, t0, path, spend_checked, customer_factory):
        buy(customer, "10000.00", now=t0)
        crossing = buy(customer, "5000.00", now=t0 + dt.timedelta(hours=1))  # 15 000.00: Silver's threshold
        assert tier_of(customer) == "silver"
        change = TierChange.objects.get(customer=customer, purchase=crossing.purchase)
        assert (change.from_tier.code, change.spend) == ("bronze", D("15000.00"))
        short = customer_factory(name="Short")
        buy(short, "10000.00", now=t0)
        buy(short, "4999.99", now=t0 + dt.timedelta(hours=1))
        assert tier_of(short) == "bronze"
        assert (path == "usual") == (spend_checked[-1] is None)

    def test_points_paid_part_does_not_count_towards_the_threshold(self, customer, t0, path, spend_checked):
        bonus(customer, 3000, now=t0 - dt.timedelta(days=1))
        buy(customer, "10000.00", redeem=3000, now=t0)  # 7 000.00 paid
        buy(customer, "7999.99", now=t0 + dt.timedelta(hours=1))
        assert tier_of(customer) == "bronze"
        buy(customer, "0.01", now=t0 + dt.timedelta(hours=2))
        assert tier_of(customer) == "silver"

    def test_purchase_count_threshold_ignores_purchases_paid_with_points(self, customer, t0, path, spend_checked):
        Tier.objects.filter(code="silver").update(min_purchases=3)
        bonus(customer, 300, now=t0 - dt.timedelta(days=1))
        buy(customer, "20000.00", now=t0)
        buy(customer, "100.00", redeem=30, now=t0)  # paid 70.00: counts
        buy(customer, "10.00", redeem=3, now=t0)  # paid 7.00: counts
        assert tier_of(customer) == "silver"
        other = buy(customer, "1.00", now=t0)
        assert other.purchase.cashback_percent == D("7.00")

    @pytest.mark.parametrize("window_days", [None, 0, 1, 30, 365])
    @pytest.mark.parametrize(
        "late", [None, dt.timedelta(0), dt.timedelta(hours=5), dt.timedelta(days=1), dt.timedelta(days=29, hours=23)]
    )
    def test_the_spend_decided_by_equals_qualifying_spend(
        self, customer, program, t0, path, spend_checked, window_days, late
    ):
        """Every window (lifetime, today only, a day, a month, a year) and purchases late by up to its edge: the
        spend the upgrade decides by is what qualifying_spend reads with the purchase recorded."""
        program.tier_window_days = window_days
        program.save()
        now = t0 + dt.timedelta(days=40)
        for days in (60, 31, 30, 29, 1, 0):
            buy(customer, "1000.00", now=now - dt.timedelta(days=days, hours=1))
        result = buy(customer, "2000.00", now=now, occurred_at=None if late is None else now - late)
        assert result.purchase.created_at == now - (late or dt.timedelta(0))
        assert (spend_checked[-1] is not None) == (path == "opening")


class TestNeverStale:
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers)
    def test_a_purchase_after_a_change_in_another_process_reads_the_new_rules(self, program, customer_factory):
        """This process holds the rules; another one changes the point value and the tier window; the next
        purchase here earns by the new value and decides its tier over the new window (its spend read again)."""
        customer = customer_factory(name="Anna")
        now = timezone.now()
        buy(customer, "10000.00", now=now - dt.timedelta(days=40))
        assert buy(customer, "100.00", now=now - dt.timedelta(days=1)).purchase.earned_points == 5
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        }
        change = (
            "import django; django.setup()\n"
            "from decimal import Decimal\n"
            "from loyalty.services import program_settings_update\n"
            "program_settings_update(point_value=Decimal('2.00'), tier_window_days=30, actor=None)\n"
            "print('done')\n"
        )
        if connection.vendor != "postgresql":
            pytest.skip("another process needs the PostgreSQL test database")
        out = subprocess.run([sys.executable, "-c", change], cwd=ROOT, env=env, capture_output=True, text=True)
        assert out.stdout.strip() == "done", out.stderr
        crossing = buy(customer, "5000.00", now=now)  # 15 100.00 over 365 days, 5 100.00 over 30
        assert crossing.purchase.earned_points == 125  # 5 % of 5 000.00, 2.00 a point
        assert tier_of(customer) == "bronze"
        assert TierChange.objects.filter(customer=customer, reason="upgrade_purchase").count() == 0

    @postgresql_only  # SQLite locks the whole database: no second writer waits on a row
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)
    def test_a_purchase_that_waited_for_the_account_reads_what_the_holder_committed(self, program, customer_factory):
        """Another transaction holds the account while it awards points and records a purchase; the purchase
        that waited for it redeems those points and counts that purchase towards its tier."""
        customer = customer_factory(name="Anna")
        now = timezone.now()
        buy(customer, "1.00", now=now - dt.timedelta(days=1))
        locked, outcome = threading.Event(), {}

        def holder():
            try:
                with transaction.atomic():
                    PointsAccount.objects.select_for_update().get(pk=customer.pk)
                    locked.set()
                    threading.Event().wait(0.5)  # the other till asks meanwhile
                    bonus(customer, 300, now=now)
                    buy(customer, "10000.00", now=now)
            finally:
                connection.close()

        def till():
            try:
                outcome["result"] = buy(customer, "5300.00", redeem=300)
            except Exception as exc:  # noqa: BLE001 - reported below
                outcome["result"] = exc
            finally:
                connection.close()

        first = threading.Thread(target=holder)
        first.start()
        assert locked.wait(10)
        second = threading.Thread(target=till)
        second.start()
        first.join()
        second.join()
        result = outcome["result"]
        assert not isinstance(result, Exception), result
        assert result.purchase.redeemed_points == 300
        assert tier_of(customer) == "silver"  # 1.00 + 10 000.00 + 5 000.00 paid
        change = TierChange.objects.get(customer=customer, reason="upgrade_purchase")
        assert (change.spend, change.purchase) == (D("15001.00"), result.purchase)
        assert_ledger_consistent(customer)


class TestTheUsualPathStillServes:
    def test_first_purchase_of_a_process_reads_the_spend_itself(self, customer, t0, spend_checked):
        buy(customer, "10000.00", now=t0)
        caches_clear()  # nothing held: the window is not known before the versions are read
        buy(customer, "5000.00", now=t0)
        assert tier_of(customer) == "silver"
        assert spend_checked[-1] is None

    def test_a_customer_without_an_account_gets_one(self, customer, t0):
        PointsAccount.objects.filter(pk=customer.pk).delete()
        result = buy(customer, "1000.00", now=t0)
        assert result.balance_after == balance(customer) == 50
        assert_ledger_consistent(customer)

    @pytest.mark.parametrize("customer_id", ["abc", None, -1, 999_999_999])
    def test_unknown_customers(self, program, customer_id):
        with pytest.raises(UnknownCustomer):
            services.purchase_record(customer_id=customer_id, amount="10.00")
        assert not Purchase.objects.exists()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tills_buying_for_one_customer_at_once_cross_the_threshold_once_at_its_exact_spend(program, customer_factory):
    """Eight tills at once for one customer (each purchase locks the account without waiting, or waits on the
    usual path): 2 000.00 each paying 100 points, so the eighth brings the spend to 15 200.00 and upgrades to
    Silver, once, at that exact spend, and every redeem is paid from points that were there."""
    customer = customer_factory(name="Anna")
    bonus(customer, 800, now=timezone.now())
    start, results = threading.Barrier(8), []

    def till():
        try:
            start.wait(10)
            results.append(buy(customer, "2000.00", redeem=100))
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)
        finally:
            connection.close()

    tills = [threading.Thread(target=till) for _i in range(8)]
    for thread in tills:
        thread.start()
    for thread in tills:
        thread.join()
    assert [r for r in results if isinstance(r, Exception)] == []
    assert tier_of(customer) == "silver"
    change = TierChange.objects.get(customer=customer, reason="upgrade_purchase")
    assert change.spend == D("15200.00")  # the 8th purchase: 8 × 1 900.00 paid
    assert balance(customer) == 800 - 8 * 100 + 8 * 95
    assert_ledger_consistent(customer)
