"""Helpers shared by the ledger's tests (and by the screens' tests that check a balance).

The TestCase… classes (loyalty/tests/services: test_purchases, test_refunds, test_expiry, test_program,
test_daily, ledger/test_exactness; core/tests/test_idempotency) are refund, expiry and retry stories that must
never lose, keep or double a point (issue #9). Every number was worked out by hand. Default settings unless a test says otherwise:
5 % cashback, 30 % cap, 1 point = 1.00, 365-day lifetime, shop zone Europe/Moscow. They start at `T` and name
their moments with `at`; `buy`, `refund` and `bonus` are the ledger's services for one customer.
"""

import datetime as dt

from django.db.models import Sum

from loyalty import services
from loyalty.models import LedgerEntry, PointsAccount, PointsLot
from loyalty.rules import local_midnight
from loyalty.selectors import ledger_problems


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return local_midnight(day) + dt.timedelta(hours=hour, minutes=minute)


T = at(dt.date(2026, 3, 1))


def account(customer) -> PointsAccount:
    return PointsAccount.objects.get(pk=customer.pk)


def balance(customer) -> int:
    return account(customer).balance


def assert_ledger_consistent(customer) -> None:
    entries = LedgerEntry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"] or 0
    lots = PointsLot.objects.filter(customer=customer).aggregate(s=Sum("remaining"))["s"] or 0
    assert balance(customer) == entries == lots
    assert ledger_problems() == []


def buy(customer, amount, redeem=0, **kwargs):
    return services.purchase_record(customer_id=customer.pk, amount=amount, redeem_points=redeem, **kwargs)


def refund(purchase, amount=None, *, now, **kwargs):
    return services.purchase_refund(purchase_id=purchase.pk, amount=amount, now=now, **kwargs)


def bonus(customer, points, *, now, **kwargs):
    return services.points_award(customer_id=customer.pk, points=points, reason="bonus", now=now, **kwargs)


def run_daily(day: dt.date) -> dict:
    """The daily jobs for `day`, run at 00:15 that day (the schedule's time)."""
    return services.daily_run(as_of=day, now=at(day, 0, 15))


# The program's default settings as the settings form posts them.
SETTINGS_FORM = {
    "currency": "RUB",
    "point_value": "1.00",
    "base_cashback_percent": "5",
    "redeem_cap_percent": "30",
    "points_lifetime_days": "365",
    "activation_delay_days": "0",
    "tier_window_days": "365",
    "tier_grace_days": "30",
    "manual_adjustment_limit": "10000",
    "max_purchase_amount": "10000000.00",
    "boost_combine": "best",
    "boost_cap_percent": "20",
}
