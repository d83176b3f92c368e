"""The management commands: seed_demo, run_daily, verify_ledger."""

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer
from loyalty.models import LedgerEntry, PointsAccount, PointsLot, Purchase, Refund, SpendDay
from loyalty.rules import local_day, local_midnight
from loyalty.selectors import ledger_problems
from loyalty.tests.helpers import T, balance, buy, run_daily

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "purchases": Purchase.objects.count(),
        "refunds": Refund.objects.count(),
        "entries": LedgerEntry.objects.count(),
    }


def _lot_mismatches() -> list[tuple[int, int, int]]:
    remaining = (
        PointsLot.objects.filter(customer_id=OuterRef("pk"))
        .values("customer_id")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    return list(
        PointsAccount.objects.annotate(lots=Coalesce(Subquery(remaining), 0))
        .exclude(balance=F("lots"))
        .values_list("customer_id", "balance", "lots")
    )


def test_seed_demo_loads_a_consistent_history_through_the_services_once_unless_forced(monkeypatch, t0):
    # The plan is anchored to today; pin "now" so that the data set is the same whatever the calendar says.
    monkeypatch.setattr(timezone, "now", lambda: t0)
    out = StringIO()
    call_command("seed_demo", customers=60, stdout=out)

    assert Customer.objects.count() == 60
    assert "Seeded 60 customers" in out.getvalue()
    assert Purchase.objects.filter(origin="seed_demo").count() > 30
    assert Purchase.objects.filter(redeemed_points__gt=0).exists()
    assert Refund.objects.exists()
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EARN).exists()
    # The expiry job ran as the history passed each midnight, so expiries carry their own dates.
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPIRE, created_at__lt=t0).exists()
    # The ledger agrees with itself: cached balance = Σ entries = Σ remaining points in lots.
    assert PointsAccount.objects.exists()
    assert ledger_problems() == []
    assert _lot_mismatches() == []

    before = _counts()
    out = StringIO()
    call_command("seed_demo", customers=60, stdout=out)
    assert out.getvalue().strip() == "Demo data already present (60 customers); use --force to add anyway"
    assert _counts() == before

    # --force adds to what is there: the same seed draws the same people, who get new phones and emails.
    call_command("seed_demo", customers=5, force=True, stdout=StringIO())
    assert Customer.objects.count() == 65
    assert ledger_problems() == []
    assert _lot_mismatches() == []


def test_seed_demo_rolls_the_whole_load_back_when_the_ledger_does_not_add_up(monkeypatch, t0, settings):
    from loyalty.management.commands import seed_demo

    monkeypatch.setattr(timezone, "now", lambda: t0)
    settings.DEBUG = True  # the load turns the query log off; it must come back on, even after an error
    real_daily_run = seed_demo.daily_run

    def daily_run_after_a_bad_write(**kwargs):
        first = PointsAccount.objects.order_by("pk").values("pk")[:1]
        PointsAccount.objects.filter(pk__in=first).update(balance=F("balance") + 1)
        return real_daily_run(**kwargs)

    monkeypatch.setattr(seed_demo, "daily_run", daily_run_after_a_bad_write)
    with pytest.raises(CommandError, match="the ledger does not add up for these customers"):
        call_command("seed_demo", customers=20, stdout=StringIO())

    assert _counts() == {"customers": 0, "purchases": 0, "refunds": 0, "entries": 0}
    assert settings.DEBUG is True


class TestRunDaily:
    def test_run_daily_command(self, customer, t0):
        buy(customer, "1000.00", now=t0 - dt.timedelta(days=365))  # burns at 2026-03-01 00:00
        call_command("run_daily", "--date", "2026-03-01")
        call_command("run_daily", "--date", "2026-03-01")
        assert balance(customer) == 0
        assert LedgerEntry.objects.filter(kind="expire").count() == 1


class TestVerifyLedger:
    def test_healthy(self, customer, capsys):
        buy(customer, "1000.00", now=T)
        call_command("verify_ledger")
        assert "ledger OK" in capsys.readouterr().out

    def test_reports_a_cached_balance_that_differs(self, customer, capsys):
        buy(customer, "1000.00", now=T)
        PointsAccount.objects.filter(pk=customer.pk).update(balance=70)
        with pytest.raises(CommandError, match="1 customer"):
            call_command("verify_ledger")
        assert f"customer {customer.pk}: balance 70, entries 50, lots 50" in capsys.readouterr().out

    def test_reports_points_owed_that_no_refund_explains(self, customer, capsys):
        buy(customer, "1000.00", now=T)
        PointsAccount.objects.filter(pk=customer.pk).update(points_owed=5)
        with pytest.raises(CommandError):
            call_command("verify_ledger")
        assert "points owed 5, refunds say 0" in capsys.readouterr().out

    def test_reports_a_dead_lot_after_the_job_ran(self, customer, capsys):
        buy(customer, "1000.00", now=T)
        run_daily(dt.date(2026, 3, 5))
        PointsLot.objects.update(expires_at=local_midnight(dt.date(2026, 3, 4)))  # a lot the job missed
        with pytest.raises(CommandError):
            call_command("verify_ledger")
        assert "50 points in lots that expired by 2026-03-05" in capsys.readouterr().out

    def test_reports_a_spend_total_that_differs_from_the_purchases(self, customer, capsys):
        buy(customer, "1000.00", now=T)
        SpendDay.objects.filter(customer=customer).update(spend=D("1.00"))
        SpendDay.objects.create(customer=customer, day=dt.date(2020, 1, 1), spend=D("5.00"), purchases=1)
        with pytest.raises(CommandError, match="2 day"):
            call_command("verify_ledger")
        out = capsys.readouterr().out
        assert (
            f"customer {customer.pk}, {local_day(T)}: spend total 1.00 (1 purchases), purchases say 1000.00 (1)" in out
        )
        assert f"customer {customer.pk}, 2020-01-01: spend total 5.00 (1 purchases), purchases say 0 (0)" in out
