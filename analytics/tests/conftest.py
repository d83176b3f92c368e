"""The story the analytics tests compute their figures on (test_selectors works every one out by hand).

Program for this story: 5 % cashback (Bronze, the entry tier), Silver from 2 500.00 of qualifying spend
at 7 %, 30 % cap, 1 point = 1.00, points live 30 days (they burn at the start of day D + 30) and become
spendable 2 days after they are credited. Shop zone Europe/Moscow; every moment is noon unless said.

Report: 2026-03-01..2026-03-31 (31 days) → E = 2026-04-01 00:00; the previous period is
2026-01-29..2026-02-28 → E' = 2026-03-01 00:00.

    Jan 05  A joins                      Jan 06  D joins
    Jan 07  D buys 600.00   (+30, burns Feb 06)
    Jan 10  A buys 1000.00  (+50, burns Feb 09)
    Feb 01  B joins
    Feb 06  daily run: D's 30 expire      Feb 09  daily run: A's 50 expire
    Feb 10  B buys 3000.00  (Bronze: +150, burns Mar 12); spend 3000 ≥ 2500 → Silver after it
    Mar 02  C joins
    Mar 03  B buys 1000.00  (Silver 7 %: +70, burns Apr 02)
    Mar 04  B's Mar 03 purchase refunded in full (−70): it no longer counts anywhere
    Mar 05  A buys 2000.00  (Bronze: +100, burns Apr 04); spend 1000 + 2000 = 3000 → Silver after it
    Mar 10  C buys 800.00   (+40, burns Apr 09)
    Mar 12  daily run: B's 150 expire
    Mar 15  E joins (never buys)
    Mar 20  A buys 500.00 paying 100 points (from the Mar 05 lot); paid 400.00, Silver 7 % → +28
    Mar 25  C buys 1200.00  (+60); Mar 26 refund of 200.00 → floor(60 × 200 / 1200) = 10 reversed
    Mar 31 18:00  D buys 400.00 (+20, spendable only from Apr 02 18:00: pending at E)
"""

import datetime as dt
from decimal import Decimal

import pytest

from loyalty.models import ProgramSettings, Tier
from loyalty.tests.helpers import at, buy, refund, run_daily

D = Decimal
MAR_1, MAR_31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


@pytest.fixture
def story(program, customer_factory):
    ProgramSettings.objects.filter(pk=1).update(points_lifetime_days=30, activation_delay_days=2)
    Tier.objects.filter(code="silver").update(threshold=D("2500.00"))
    a = customer_factory(name="A", now=at(day(1, 5)))
    d = customer_factory(name="D", now=at(day(1, 6)))
    buy(d, D("600.00"), now=at(day(1, 7)))
    buy(a, D("1000.00"), now=at(day(1, 10)))
    b = customer_factory(name="B", now=at(day(2, 1)))
    assert run_daily(day(2, 6))["expired_points"] == 30
    assert run_daily(day(2, 9))["expired_points"] == 50
    buy(b, D("3000.00"), now=at(day(2, 10)))
    c = customer_factory(name="C", now=at(day(3, 2)))
    b_refunded = buy(b, D("1000.00"), now=at(day(3, 3))).purchase
    assert b_refunded.earned_points == 70  # Silver's 7 %
    refund(b_refunded, now=at(day(3, 4)))
    buy(a, D("2000.00"), now=at(day(3, 5)))
    buy(c, D("800.00"), now=at(day(3, 10)))
    assert run_daily(day(3, 12))["expired_points"] == 150
    customer_factory(name="E", now=at(day(3, 15)))
    a_redeemed = buy(a, D("500.00"), redeem=100, now=at(day(3, 20))).purchase
    assert (a_redeemed.paid_amount, a_redeemed.earned_points) == (D("400.00"), 28)
    c_partly = buy(c, D("1200.00"), now=at(day(3, 25))).purchase
    assert refund(c_partly, D("200.00"), now=at(day(3, 26))).refund.points_reversed == 10
    buy(d, D("400.00"), now=at(day(3, 31), 18))
