"""Refund, expiry and retry stories that must never lose, keep or double a point (issue #9).

Every number was worked out by hand. Default settings unless a test says otherwise: 5 % cashback,
30 % cap, 1 point = 1.00, 365-day lifetime, shop zone Europe/Moscow.

The stories that cross the ledger's modules (dead lots, what the screens say) are here; the others are
with the service they exercise: test_purchases, test_refunds, test_expiry, test_program, test_daily
(loyalty/tests/services), core/tests/test_idempotency, api/tests/test_views, loyalty/tests/test_commands.
"""

import datetime as dt

import pytest

from loyalty import services
from loyalty.exceptions import InsufficientPoints
from loyalty.models import LedgerEntry, LotDebit
from loyalty.rules import local_midnight
from loyalty.selectors import points_summary
from loyalty.tests.helpers import T, account, assert_ledger_consistent, at, balance, bonus, buy, refund, run_daily

Kind = LedgerEntry.Kind


pytestmark = pytest.mark.django_db


class TestCase4DeadLotsPayForNothing:
    def test_a_deduction_after_midnight_takes_live_points_before_the_job_runs(self, customer, marketing_user):
        day = dt.date(2026, 3, 2)
        bonus(customer, 100, now=T, expires_at=local_midnight(day))
        bonus(customer, 100, now=T, use_lifetime=False)
        entry = services.points_adjust(
            customer_id=customer.pk, points=-100, reason="correction", actor=marketing_user, now=at(day, 0, 10)
        )
        taken = list(LotDebit.objects.filter(entry=entry).values_list("lot__expires_at", flat=True))
        assert taken == [None]  # the never-burning lot paid
        run_daily(day)
        assert balance(customer) == 0
        assert_ledger_consistent(customer)

    def test_a_deduction_larger_than_the_live_points_is_refused(self, customer, marketing_user):
        day = dt.date(2026, 3, 2)
        bonus(customer, 100, now=T, expires_at=local_midnight(day))
        bonus(customer, 100, now=T, use_lifetime=False)
        with pytest.raises(InsufficientPoints, match="Cannot deduct 150 points: the customer has 100."):
            services.points_adjust(
                customer_id=customer.pk, points=-150, reason="x", actor=marketing_user, now=at(day, 0, 10)
            )

    def test_a_refund_reversal_never_takes_dead_points(self, customer):
        day = dt.date(2026, 3, 2)
        first = buy(customer, "1000.00", now=T).purchase  # 50
        buy(customer, "200.00", redeem=50, now=T)  # spends them, earns 7
        bonus(customer, 100, now=T, expires_at=local_midnight(day))
        result = refund(first, now=at(day, 0, 10))
        assert (result.refund.points_reversed, result.refund.points_shortfall, result.balance_after) == (7, 43, 0)
        run_daily(day)
        assert (balance(customer), account(customer).points_owed) == (0, 43)
        assert (
            not LotDebit.objects.filter(lot__expires_at=local_midnight(day)).exclude(entry__kind=Kind.EXPIRE).exists()
        )
        assert_ledger_consistent(customer)

    def test_the_balance_shown_counts_only_live_points(self, customer):
        day = dt.date(2026, 3, 2)
        bonus(customer, 100, now=T, expires_at=local_midnight(day))
        bonus(customer, 30, now=T, use_lifetime=False)
        summary = points_summary(customer.pk, now=at(day, 0, 10))
        assert (summary.balance, summary.available) == (30, 30)


class TestWhatTheCashierIsTold:
    def test_the_receipt_shows_points_that_paid_what_was_owed(self, customer, client, cashier_user):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        later = buy(customer, "1000.00", now=T).purchase  # earns 50: 43 pay what is owed
        client.force_login(cashier_user)
        page = client.get(f"/cashier/purchase/{later.pk}/").content.decode()
        assert 'id="points-earned">+50<' in page and 'id="owed-settled">−43<' in page
        assert 'id="new-balance">7<' in page

    def test_a_refund_says_what_came_back_dead_and_what_paid_the_debt(self, customer, client, cashier_user):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        purchase = buy(customer, "400.00", redeem=100, now=T).purchase  # earns 15
        client.force_login(cashier_user)
        with_dead = client.post(
            f"/cashier/purchase/{purchase.pk}/refund/", {"scope": "rest", "idempotency_key": "r-1"}, follow=True
        ).content.decode()
        # The refund is recorded now (the test client's clock), long after 5 March: the 100 come back dead.
        assert "100 returned points had already expired and burnt at once." in with_dead
        assert balance(customer) == 0

    def test_refunding_a_purchase_twice_says_it_is_refunded_already(self, customer):
        purchase = buy(customer, "100.00", now=T).purchase
        refund(purchase, now=T)
        with pytest.raises(Exception, match="This purchase has been refunded in full already."):
            refund(purchase, now=T)

    def test_the_customer_page_lists_only_live_lots(self, customer, client, marketing_user):
        bonus(customer, 77, now=T, expires_at=local_midnight(dt.date(2026, 3, 2)))  # dead by now, no job ran
        bonus(customer, 33, now=T, use_lifetime=False)
        client.force_login(marketing_user)
        page = client.get(f"/customers/{customer.pk}/").content.decode()
        assert 'id="balance">33<' in page
        assert ">77<" not in page
