"""Refunds (loyalty.services.ledger.refunds): earned points taken back and redeemed points returned in
proportion, shortfalls owed rather than minted, returned points keeping their lots' expiry, retries, and
purchases that belong to their API client.

The TestCase… classes are issue #9's hand-worked stories (their default settings: loyalty/tests/helpers.py).
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from core.exceptions import IdempotencyConflict
from loyalty import services
from loyalty.exceptions import InvalidInput, RefundTooMuch, UnknownPurchase
from loyalty.models import LedgerEntry, PointsLot, Refund
from loyalty.rules import local_midnight
from loyalty.selectors import points_summary
from loyalty.tests.helpers import T, account, assert_ledger_consistent, at, balance, bonus, buy, refund, run_daily

Kind = LedgerEntry.Kind


pytestmark = pytest.mark.django_db


class TestRefund:
    def test_full_refund_reverses_earned_and_returns_redeemed(self, customer, t0):
        services.points_award(customer_id=customer.pk, points=500, reason="gift", now=t0)
        purchase = buy(customer, "1000.00", redeem=300, now=t0).purchase  # earns 35
        assert balance(customer) == 235
        result = services.purchase_refund(purchase_id=purchase.pk, now=t0)
        assert (result.refund.amount, result.refund.points_reversed, result.refund.points_returned) == (
            D("1000.00"),
            35,
            300,
        )
        assert result.balance_after == 500
        assert_ledger_consistent(customer)

    def test_partial_refunds_in_proportion_then_the_rest(self, customer, t0):
        purchase = buy(customer, "1000.00", now=t0).purchase  # 50 points
        first = services.purchase_refund(purchase_id=purchase.pk, amount="333.33", now=t0)
        assert first.refund.points_reversed == 16  # floor(50 × 333.33 / 1000)
        rest = services.purchase_refund(purchase_id=purchase.pk, now=t0)
        assert rest.refund.amount == D("666.67")
        assert rest.refund.points_reversed == 34
        assert balance(customer) == 0
        purchase.refresh_from_db()
        assert purchase.refunded_amount == D("1000.00")
        assert_ledger_consistent(customer)

    def test_refunding_more_than_remains_is_refused(self, customer, t0):
        purchase = buy(customer, "1000.00", now=t0).purchase
        services.purchase_refund(purchase_id=purchase.pk, amount="600.00", now=t0)
        with pytest.raises(RefundTooMuch) as exc:
            services.purchase_refund(purchase_id=purchase.pk, amount="400.01", now=t0)
        assert "400.00" in exc.value.message
        services.purchase_refund(purchase_id=purchase.pk, now=t0)
        with pytest.raises(RefundTooMuch):
            services.purchase_refund(purchase_id=purchase.pk, now=t0)
        assert Refund.objects.count() == 2
        assert_ledger_consistent(customer)

    @pytest.mark.parametrize("amount", ["-1", "0", "x"])
    def test_bad_refund_amount(self, customer, amount):
        purchase = buy(customer, "100.00").purchase
        with pytest.raises(InvalidInput):
            services.purchase_refund(purchase_id=purchase.pk, amount=amount)
        assert Refund.objects.count() == 0

    def test_unknown_purchase(self, program):
        with pytest.raises(UnknownPurchase):
            services.purchase_refund(purchase_id=424242)

    def test_spent_points_leave_a_shortfall_not_a_negative_balance(self, customer, t0):
        purchase = buy(customer, "10000.00", now=t0).purchase  # 500 points
        buy(customer, "2000.00", redeem=500, now=t0)  # spends them all (cap 600), earns 75
        assert balance(customer) == 75
        result = services.purchase_refund(purchase_id=purchase.pk, now=t0)
        assert result.refund.points_reversed == 75
        assert result.refund.points_shortfall == 425
        assert balance(customer) == 0
        assert_ledger_consistent(customer)
        # The shortfall is settled: a later refund does not try to take those points again.
        purchase.refresh_from_db()
        assert purchase.points_reversed == 500

    def test_refund_replay_and_conflict(self, customer, t0):
        purchase = buy(customer, "1000.00", now=t0).purchase
        first = services.purchase_refund(purchase_id=purchase.pk, amount="100.00", idempotency_key="r-1", now=t0)
        again = services.purchase_refund(purchase_id=purchase.pk, amount="100.00", idempotency_key="r-1", now=t0)
        assert again.replayed and again.refund.pk == first.refund.pk
        assert again.balance_after == first.balance_after == 45
        with pytest.raises(IdempotencyConflict):
            services.purchase_refund(purchase_id=purchase.pk, amount="200.00", idempotency_key="r-1", now=t0)
        assert Refund.objects.count() == 1

    def test_returned_points_keep_their_original_expiry(self, customer, t0):
        gift = services.points_award(customer_id=customer.pk, points=300, reason="gift", now=t0)
        purchase = buy(customer, "1000.00", redeem=300, now=t0 + dt.timedelta(days=30)).purchase
        services.purchase_refund(purchase_id=purchase.pk, now=t0 + dt.timedelta(days=31))
        returned = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND_RETURN)
        assert returned.expires_at == gift.expires_at


def test_points_returned_after_their_expiry_are_dead_at_once_and_a_second_run_changes_nothing(customer, t0):
    # Found by the property test: a refund returned points whose original expiry had passed, and a second
    # run for the same date crashed on a duplicate key. Returned points past their expiry now expire in the
    # refund itself, so no run has anything left to do.
    gift = services.points_award(customer_id=customer.pk, points=300, reason="gift", now=t0)
    purchase = buy(customer, "1000.00", redeem=300, now=t0 + dt.timedelta(days=300)).purchase
    burn_day = gift.expires_at.date()
    run_daily(burn_day)
    refund = services.purchase_refund(purchase_id=purchase.pk, now=gift.expires_at + dt.timedelta(hours=2))
    # The 35 earned are reversed; the 300 come back with the gift's passed expiry and burn at once.
    assert (refund.refund.points_returned, refund.refund.points_reversed, refund.balance_after) == (300, 35, 0)
    assert balance(customer) == 0
    assert run_daily(burn_day)["expired_points"] == 0
    assert_ledger_consistent(customer)


class TestCase1RefundReturnsBeforeItReverses:
    def test_returned_points_pay_the_reversal_no_shortfall(self, customer):
        bonus(customer, 100, now=T)
        first = buy(customer, "1000.00", redeem=100, now=T).purchase
        assert first.earned_points == 45
        second = buy(customer, "150.00", redeem=45, now=T + dt.timedelta(minutes=1))
        assert (second.purchase.earned_points, second.balance_after) == (5, 5)
        result = refund(first, now=T + dt.timedelta(minutes=2))
        r = result.refund
        assert (r.points_returned, r.points_reversed, r.points_shortfall) == (100, 45, 0)
        assert result.balance_after == 60 == balance(customer)
        assert account(customer).points_owed == 0
        assert_ledger_consistent(customer)

    def test_partial_refund_too(self, customer):
        # Sibling: half of the same refund returns 50, reverses 22 (floor 22.5), and owes nothing.
        bonus(customer, 100, now=T)
        first = buy(customer, "1000.00", redeem=100, now=T).purchase
        buy(customer, "150.00", redeem=45, now=T)
        result = refund(first, "500.00", now=T)
        assert (result.refund.points_returned, result.refund.points_reversed, result.refund.points_shortfall) == (
            50,
            22,
            0,
        )
        assert result.balance_after == 5 + 50 - 22
        assert_ledger_consistent(customer)


class TestCase2RefundsNeverMintPoints:
    def test_shortfall_is_owed_and_returned_points_pay_it(self, customer):
        first = buy(customer, "1000.00", now=T).purchase  # earns 50
        second = buy(customer, "200.00", redeem=50, now=T).purchase  # paid 150, earns 7
        assert second.earned_points == 7
        one = refund(first, now=T)
        assert (one.refund.points_reversed, one.refund.points_shortfall, one.balance_after) == (7, 43, 0)
        assert account(customer).points_owed == 43
        two = refund(second, now=T)
        assert (two.refund.points_returned, two.refund.points_reversed, two.refund.points_shortfall) == (50, 7, 0)
        assert balance(customer) == 0
        assert account(customer).points_owed == 0
        assert_ledger_consistent(customer)

    def test_the_cycle_repeated_makes_nothing(self, customer):
        for _round in range(3):
            first = buy(customer, "1000.00", now=T).purchase
            second = buy(customer, "200.00", redeem=first.earned_points, now=T).purchase
            refund(first, now=T)
            refund(second, now=T)
        assert (balance(customer), account(customer).points_owed) == (0, 0)
        assert_ledger_consistent(customer)

    def test_later_cashback_pays_what_is_owed_first(self, customer):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        later = buy(customer, "1000.00", now=T + dt.timedelta(days=1))  # earns 50: 43 settle what is owed
        assert later.balance_after == 7
        assert account(customer).points_owed == 0
        settled = LedgerEntry.objects.get(kind=Kind.OWED_SETTLED)
        assert settled.points == -43
        assert_ledger_consistent(customer)

    def test_a_bonus_and_a_positive_adjustment_pay_it_too(self, customer, marketing_user):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        bonus(customer, 30, now=T)
        assert (balance(customer), account(customer).points_owed) == (0, 13)
        services.points_adjust(customer_id=customer.pk, points=20, reason="goodwill", actor=marketing_user, now=T)
        assert (balance(customer), account(customer).points_owed) == (7, 0)
        assert_ledger_consistent(customer)

    def test_owed_points_come_back_through_a_refund_even_after_they_expired(self, customer):
        # 50 earned on 2025-03-01 (burning 2026-03-01) pay a second purchase (earning 7); the first is refunded:
        # 7 taken, 43 owed. The second is refunded after the burn date: the 50 come back dead, yet 43 of them are
        # exactly the points owed and settle the debt; nothing is left and nothing is owed, as if neither happened.
        first = buy(customer, "1000.00", now=at(dt.date(2025, 3, 1))).purchase
        second = buy(customer, "200.00", redeem=50, now=at(dt.date(2025, 3, 1))).purchase
        assert refund(first, now=at(dt.date(2025, 6, 1))).refund.points_shortfall == 43
        result = refund(second, now=at(dt.date(2026, 3, 5)))
        assert (result.refund.points_returned, result.refund.points_reversed, result.refund.points_shortfall) == (
            50,
            0,
            0,
        )
        assert (balance(customer), account(customer).points_owed) == (0, 0)
        assert_ledger_consistent(customer)

    def test_returned_points_settle_their_own_debt_before_turning_back_into_substitutes(self, customer, program):
        # Found by a hypothesis run. A earns 50 (burning 2026-03-01) that pay B; B earns 7 that never burn. A's
        # refund takes those 7 in place of its 50 and leaves 43 owed. B is refunded after A's points died: of the 50
        # that come back, 43 settle A's debt (they are the very points owed) and 7 turn back into B's 7, which B's
        # own refund then takes back. Nothing is left and nothing is owed.
        first = buy(customer, "1000.00", now=at(dt.date(2025, 3, 1))).purchase
        program.points_lifetime_days = None
        program.save()
        second = buy(customer, "200.00", redeem=50, now=at(dt.date(2025, 3, 1))).purchase
        one = refund(first, now=at(dt.date(2025, 6, 1)))
        assert (one.refund.points_reversed, one.refund.points_shortfall) == (7, 43)
        two = refund(second, now=at(dt.date(2026, 3, 5)))
        assert (two.refund.points_returned, two.refund.points_reversed, two.refund.points_shortfall) == (50, 7, 0)
        assert (balance(customer), account(customer).points_owed) == (0, 0)
        assert_ledger_consistent(customer)

    def test_owed_points_show_on_the_customer_page_the_till_and_in_the_api(self, customer, client, marketing_user):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)
        from api.selectors import customer_card

        assert customer_card(customer)["points_owed"] == 43
        client.force_login(marketing_user)
        page = client.get(f"/customers/{customer.pk}/").content.decode()
        assert "Points owed" in page and 'id="owed">43<' in page


class TestCase3ExpiredCashbackIsNotTakenTwice:
    def test_refund_after_the_earned_points_expired_takes_nothing(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50, burn 2026-08-10
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        assert run_daily(dt.date(2026, 8, 10))["expired_points"] == 50
        result = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (result.refund.points_reversed, result.refund.points_expired, result.refund.points_shortfall) == (
            0,
            50,
            0,
        )
        assert result.balance_after == 100 == balance(customer)
        assert_ledger_consistent(customer)

    def test_same_without_the_nightly_job(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        result = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (result.refund.points_reversed, result.balance_after) == (0, 100)
        assert_ledger_consistent(customer)

    def test_partly_spent_then_expired_takes_back_only_what_was_used(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50
        buy(customer, "100.00", redeem=30, now=at(dt.date(2025, 9, 1)))  # uses 30 of them, earns 3
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        run_daily(dt.date(2026, 8, 10))  # the other 20 burn
        result = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (result.refund.points_reversed, result.refund.points_expired) == (30, 20)
        assert result.balance_after == 3 + 100 - 30
        assert_ledger_consistent(customer)

    def test_half_refunded_before_expiry_and_the_rest_after(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50
        half = refund(purchase, "500.00", now=at(dt.date(2026, 1, 10)))
        assert half.refund.points_reversed == 25
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        run_daily(dt.date(2026, 8, 10))  # the other 25 burn
        rest = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (rest.refund.points_reversed, rest.refund.points_expired, rest.balance_after) == (0, 25, 100)
        assert_ledger_consistent(customer)

    def test_no_refund_leaves_fewer_points_than_if_the_purchase_had_not_happened(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50
        half = refund(purchase, "100.00", now=at(dt.date(2026, 8, 12)))  # after the 50 expired (no job)
        assert (half.refund.points_reversed, half.refund.points_expired) == (0, 5)
        bonus(customer, 100, now=at(dt.date(2026, 8, 13)))
        rest = refund(purchase, now=at(dt.date(2026, 8, 14)))
        assert (rest.refund.points_reversed, rest.refund.points_expired, rest.balance_after) == (0, 45, 100)
        assert_ledger_consistent(customer)


class TestCase5ReturnsKeepTheExpiryOfTheirLots:
    def test_lot_by_lot(self, customer):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        bonus(customer, 1, now=T, use_lifetime=False)
        purchase = buy(customer, "400.00", redeem=101, now=T).purchase
        refund(purchase, now=T)
        returned = sorted(
            LedgerEntry.objects.filter(kind=Kind.REFUND_RETURN).values_list("points", "expires_at"),
            key=lambda row: row[0],
        )
        assert returned == [(1, None), (100, burn)]
        assert_ledger_consistent(customer)

    def test_a_partial_refund_returns_the_longest_lived_points_first(self, customer):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        bonus(customer, 20, now=T, use_lifetime=False)
        purchase = buy(customer, "400.00", redeem=120, now=T).purchase
        refund(purchase, "100.00", now=T)  # returns floor(120 × 100 / 400) = 30: the 20 never-burning, then 10
        returned = list(
            LedgerEntry.objects.filter(kind=Kind.REFUND_RETURN).order_by("id").values_list("points", "expires_at")
        )
        assert returned == [(20, None), (10, burn)]
        refund(purchase, now=T)
        assert (
            LedgerEntry.objects.filter(kind=Kind.REFUND_RETURN, expires_at=burn).aggregate(s=Sum("points"))["s"] == 100
        )
        assert_ledger_consistent(customer)

    def test_returned_points_past_their_expiry_expire_at_once(self, customer):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        purchase = buy(customer, "400.00", redeem=100, now=T).purchase  # earns 15
        result = refund(purchase, now=at(dt.date(2026, 3, 6)))
        assert (result.refund.points_returned, result.refund.points_reversed, result.balance_after) == (100, 15, 0)
        assert not PointsLot.objects.filter(remaining__gt=0).exists()
        assert_ledger_consistent(customer)

    def test_earned_points_spent_elsewhere_come_back_as_the_points_that_replaced_them(self, customer):
        # A 1000.00 purchase earns 50 (burning 2027-03-01); they pay a second purchase; a 100-point bonus that
        # never burns comes; the first purchase is refunded (its 50 are taken from the bonus); then the second is
        # refunded: the 50 that come back are the bonus's again (never burning), not the first purchase's.
        first = buy(customer, "1000.00", now=T).purchase
        second = buy(customer, "200.00", redeem=50, now=T).purchase  # earns 7
        bonus(customer, 100, now=T, use_lifetime=False)
        refund(first, now=T)  # 50 reversed: 7 of the second's cashback, 43 of the bonus (soonest expiry first)
        refund(second, now=T)  # 50 return, 7 reversed
        summary_later = points_summary(customer.pk, now=at(dt.date(2027, 3, 2)))
        assert (balance(customer), summary_later.balance) == (100, 100)
        assert_ledger_consistent(customer)


class TestCase12PurchasesBelongToTheirApiClient:
    def test_another_clients_purchase_is_unknown(self, customer, api_client_factory):
        shop, till = api_client_factory(name="web-shop").client, api_client_factory(name="till-2").client
        own = buy(customer, "1000.00", now=T, api_client=shop).purchase
        with pytest.raises(UnknownPurchase):
            refund(own, now=T, api_client=till)
        assert refund(own, "100.00", now=T, api_client=shop).refund.points_reversed == 5
        counter = buy(customer, "500.00", now=T).purchase  # the till's, not an API client's
        with pytest.raises(UnknownPurchase):
            refund(counter, now=T, api_client=shop)
