"""Refund, expiry and retry stories that must never lose, keep or double a point (issue #9).

Every number was worked out by hand. Default settings unless a test says otherwise: 5 % cashback,
30 % cap, 1 point = 1.00, 365-day lifetime, shop zone Europe/Moscow.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from core.exceptions import IdempotencyConflict
from customers.models import Customer
from customers.services import customer_enrol
from loyalty import services
from loyalty.exceptions import DuplicateReceipt, InsufficientPoints, InvalidInput, UnknownPurchase
from loyalty.models import (
    LedgerEntry,
    LotDebit,
    PointsAccount,
    PointsLot,
    ProgramSettings,
    Purchase,
    Tier,
    TierStatus,
)
from loyalty.rules import local_midnight
from loyalty.selectors import ledger_problems, points_summary

pytestmark = pytest.mark.django_db

Kind = LedgerEntry.Kind


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return local_midnight(day) + dt.timedelta(hours=hour, minutes=minute)


def account(customer) -> PointsAccount:
    return PointsAccount.objects.get(pk=customer.pk)


def balance(customer) -> int:
    return account(customer).balance


def assert_consistent(customer) -> None:
    entries = LedgerEntry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"] or 0
    lots = PointsLot.objects.filter(customer=customer).aggregate(s=Sum("remaining"))["s"] or 0
    assert balance(customer) == entries == lots
    assert ledger_problems() == []


def buy(customer, amount, redeem=0, *, now, **kwargs):
    return services.purchase_record(customer_id=customer.pk, amount=amount, redeem_points=redeem, now=now, **kwargs)


def refund(purchase, amount=None, *, now, **kwargs):
    return services.purchase_refund(purchase_id=purchase.pk, amount=amount, now=now, **kwargs)


def bonus(customer, points, *, now, **kwargs):
    return services.points_award(customer_id=customer.pk, points=points, reason="bonus", now=now, **kwargs)


def run_daily(day: dt.date) -> dict:
    return services.daily_run(as_of=day, now=at(day, 0, 15))


T = at(dt.date(2026, 3, 1))


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
        assert_consistent(customer)

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
        assert_consistent(customer)


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
        assert_consistent(customer)

    def test_the_cycle_repeated_makes_nothing(self, customer):
        for _round in range(3):
            first = buy(customer, "1000.00", now=T).purchase
            second = buy(customer, "200.00", redeem=first.earned_points, now=T).purchase
            refund(first, now=T)
            refund(second, now=T)
        assert (balance(customer), account(customer).points_owed) == (0, 0)
        assert_consistent(customer)

    def test_later_cashback_pays_what_is_owed_first(self, customer):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        later = buy(customer, "1000.00", now=T + dt.timedelta(days=1))  # earns 50: 43 settle what is owed
        assert later.balance_after == 7
        assert account(customer).points_owed == 0
        settled = LedgerEntry.objects.get(kind=Kind.OWED_SETTLED)
        assert settled.points == -43
        assert_consistent(customer)

    def test_a_bonus_and_a_positive_adjustment_pay_it_too(self, customer, marketing_user):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        bonus(customer, 30, now=T)
        assert (balance(customer), account(customer).points_owed) == (0, 13)
        services.points_adjust(customer_id=customer.pk, points=20, reason="goodwill", actor=marketing_user, now=T)
        assert (balance(customer), account(customer).points_owed) == (7, 0)
        assert_consistent(customer)

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
        assert_consistent(customer)

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
        assert_consistent(customer)

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
        assert_consistent(customer)

    def test_same_without_the_nightly_job(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        result = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (result.refund.points_reversed, result.balance_after) == (0, 100)
        assert_consistent(customer)

    def test_partly_spent_then_expired_takes_back_only_what_was_used(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50
        buy(customer, "100.00", redeem=30, now=at(dt.date(2025, 9, 1)))  # uses 30 of them, earns 3
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        run_daily(dt.date(2026, 8, 10))  # the other 20 burn
        result = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (result.refund.points_reversed, result.refund.points_expired) == (30, 20)
        assert result.balance_after == 3 + 100 - 30
        assert_consistent(customer)

    def test_half_refunded_before_expiry_and_the_rest_after(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50
        half = refund(purchase, "500.00", now=at(dt.date(2026, 1, 10)))
        assert half.refund.points_reversed == 25
        bonus(customer, 100, now=at(dt.date(2026, 8, 5)))
        run_daily(dt.date(2026, 8, 10))  # the other 25 burn
        rest = refund(purchase, now=at(dt.date(2026, 8, 12)))
        assert (rest.refund.points_reversed, rest.refund.points_expired, rest.balance_after) == (0, 25, 100)
        assert_consistent(customer)

    def test_no_refund_leaves_fewer_points_than_if_the_purchase_had_not_happened(self, customer):
        purchase = buy(customer, "1000.00", now=at(dt.date(2025, 8, 10))).purchase  # 50
        half = refund(purchase, "100.00", now=at(dt.date(2026, 8, 12)))  # after the 50 expired (no job)
        assert (half.refund.points_reversed, half.refund.points_expired) == (0, 5)
        bonus(customer, 100, now=at(dt.date(2026, 8, 13)))
        rest = refund(purchase, now=at(dt.date(2026, 8, 14)))
        assert (rest.refund.points_reversed, rest.refund.points_expired, rest.balance_after) == (0, 45, 100)
        assert_consistent(customer)


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
        assert_consistent(customer)

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
        assert_consistent(customer)

    def test_the_balance_shown_counts_only_live_points(self, customer):
        day = dt.date(2026, 3, 2)
        bonus(customer, 100, now=T, expires_at=local_midnight(day))
        bonus(customer, 30, now=T, use_lifetime=False)
        summary = points_summary(customer.pk, now=at(day, 0, 10))
        assert (summary.balance, summary.available) == (30, 30)


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
        assert_consistent(customer)

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
        assert_consistent(customer)

    def test_returned_points_past_their_expiry_expire_at_once(self, customer):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        purchase = buy(customer, "400.00", redeem=100, now=T).purchase  # earns 15
        result = refund(purchase, now=at(dt.date(2026, 3, 6)))
        assert (result.refund.points_returned, result.refund.points_reversed, result.balance_after) == (100, 15, 0)
        assert not PointsLot.objects.filter(remaining__gt=0).exists()
        assert_consistent(customer)

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
        assert_consistent(customer)


class TestCase7OneWayToCheckIdempotencyKeys:
    def test_adjustment_key_for_another_customer_is_a_conflict(self, customer, marketing_user):
        other = customer_enrol(name="Boris", phone="+79120000001")
        first = services.points_adjust(
            customer_id=customer.pk, points=10, reason="x", actor=marketing_user, idempotency_key="adj-1"
        )
        again = services.points_adjust(
            customer_id=customer.pk, points=10, reason="x", actor=marketing_user, idempotency_key="adj-1"
        )
        assert again.pk == first.pk
        with pytest.raises(IdempotencyConflict):
            services.points_adjust(
                customer_id=other.pk, points=10, reason="x", actor=marketing_user, idempotency_key="adj-1"
            )
        with pytest.raises(IdempotencyConflict):
            services.points_adjust(
                customer_id=customer.pk, points=11, reason="x", actor=marketing_user, idempotency_key="adj-1"
            )
        assert (balance(customer), PointsAccount.objects.filter(pk=other.pk).exists()) == (10, False)

    def test_award_key(self, customer):
        other = customer_enrol(name="Boris", phone="+79120000001")
        first = bonus(customer, 10, now=T, idempotency_key="welcome-1")
        assert bonus(customer, 10, now=T + dt.timedelta(hours=1), idempotency_key="welcome-1").pk == first.pk
        with pytest.raises(IdempotencyConflict):
            bonus(other, 10, now=T, idempotency_key="welcome-1")
        with pytest.raises(IdempotencyConflict):
            bonus(customer, 20, now=T, idempotency_key="welcome-1")
        assert balance(customer) == 10

    def test_enrolment_key(self, program):
        first = customer_enrol(name="Anna", phone="+79120000001", idempotency_key="enrol-1")
        assert customer_enrol(name="Anna", phone="8 912 000-00-01", idempotency_key="enrol-1").pk == first.pk
        with pytest.raises(IdempotencyConflict):
            customer_enrol(name="Anna", phone="+79120000002", idempotency_key="enrol-1")
        assert Customer.objects.count() == 1

    def test_the_console_says_so_in_words(self, customer, client, marketing_user):
        client.force_login(marketing_user)
        url = f"/customers/{customer.pk}/adjust/"
        assert client.post(url, {"points": "10", "reason": "x", "idempotency_key": "k1"}).status_code == 302
        response = client.post(url, {"points": "20", "reason": "x", "idempotency_key": "k1"})
        assert response.status_code == 400
        assert "This key was already used for a request with different details." in response.content.decode()
        assert balance(customer) == 10


class TestCase8TheDailyJobsDate:
    def test_a_future_date_is_refused(self, customer):
        with pytest.raises(InvalidInput, match="is in the future"):
            services.daily_run(as_of=dt.date(2026, 3, 2), now=T)

    def test_the_command_refuses_tomorrow(self, customer):
        from django.utils import timezone

        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        buy(customer, "1000.00", now=timezone.now() - dt.timedelta(days=1))
        with pytest.raises(CommandError, match="is in the future"):
            call_command("run_daily", "--date", tomorrow.isoformat())
        assert balance(customer) == 50 and not LedgerEntry.objects.filter(kind=Kind.EXPIRE).exists()

    def test_a_replay_for_an_earlier_date_keeps_newer_tier_decisions(self, customer):
        buy(customer, "60000.00", now=at(dt.date(2025, 8, 1)))
        gold, silver = Tier.objects.get(code="gold"), Tier.objects.get(code="silver")
        assert TierStatus.objects.get(pk=customer.pk).tier == gold
        run_daily(dt.date(2026, 8, 2))  # the purchase left the 365-day window: below since
        result = run_daily(dt.date(2026, 9, 2))  # the 30-day grace is over: one tier down
        assert result["tiers_downgraded"] == 1
        assert TierStatus.objects.get(pk=customer.pk).tier == silver
        replay = services.daily_run(as_of=dt.date(2026, 1, 15), now=at(dt.date(2026, 9, 3)))
        assert "tiers_skipped" in replay and replay["tiers_upgraded"] == 0
        assert TierStatus.objects.get(pk=customer.pk).tier == silver


SETTINGS = dict(
    currency="RUB",
    point_value="1.00",
    base_cashback_percent="5",
    redeem_cap_percent="30",
    points_lifetime_days="365",
    activation_delay_days="0",
    tier_window_days="365",
    tier_grace_days="30",
    manual_adjustment_limit="10000",
    max_purchase_amount="10000000.00",
)


class TestCase9And13SettingsThatBreakPurchasesAreRefused:
    @pytest.mark.parametrize("lifetime", [10, 14])
    def test_lifetime_not_longer_than_the_activation_delay(self, program, marketing_user, lifetime):
        with pytest.raises(InvalidInput, match="must be longer than the activation delay") as exc:
            services.program_settings_update(
                actor=marketing_user, points_lifetime_days=lifetime, activation_delay_days=14
            )
        assert exc.value.field == "points_lifetime_days"
        assert ProgramSettings.objects.get().points_lifetime_days == 365

    @pytest.mark.parametrize(
        "field", ["points_lifetime_days", "activation_delay_days", "tier_window_days", "tier_grace_days"]
    )
    def test_day_counts_are_bounded_to_100_years(self, program, marketing_user, field):
        with pytest.raises(InvalidInput, match="less than or equal to 36500"):
            services.program_settings_update(actor=marketing_user, **{field: 3_000_000})
        buy(customer_enrol(name="A", phone="+79120000001"), "100.00", now=T)  # purchases still work

    def test_the_largest_bound_still_computes(self, program, marketing_user):
        services.program_settings_update(
            actor=marketing_user, points_lifetime_days=36500, activation_delay_days=36499, tier_window_days=36500
        )
        result = buy(customer_enrol(name="A", phone="+79120000001"), "1000.00", now=T)
        assert result.purchase.earned_points == 50

    def test_the_database_refuses_them_too(self, program):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramSettings.objects.filter(pk=1).update(tier_grace_days=3_000_000)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramSettings.objects.filter(pk=1).update(points_lifetime_days=5, activation_delay_days=5)

    def test_the_settings_page_shows_the_reason(self, client, marketing_user, program):
        client.force_login(marketing_user)
        response = client.post("/settings/", SETTINGS | {"points_lifetime_days": "7", "activation_delay_days": "14"})
        assert response.status_code == 400
        assert "must be longer than the activation delay" in response.content.decode()
        response = client.post("/settings/", SETTINGS | {"tier_grace_days": "3000000"})
        assert response.status_code == 400
        assert ProgramSettings.objects.get().tier_grace_days == 30


class TestCase10Overflow:
    def test_a_check_above_the_largest_purchase_is_refused(self, customer, program):
        program.point_value = D("0.01")
        program.save()
        with pytest.raises(InvalidInput, match="above the largest purchase") as exc:
            buy(customer, "9999999999.99", now=T)
        assert exc.value.field == "amount"
        assert Purchase.objects.count() == 0

    def test_the_largest_check_at_the_smallest_point_value_fits(self, customer, program):
        program.point_value = D("0.01")
        program.base_cashback_percent = D("100")
        program.max_purchase_amount = D("9999999999.99")
        program.save()
        Tier.objects.update(cashback_percent=D("100"))
        result = buy(customer, "9999999999.99", now=T)
        assert result.purchase.earned_points == 999_999_999_999
        assert balance(customer) == 999_999_999_999
        refund(result.purchase, now=T)
        assert balance(customer) == 0
        assert_consistent(customer)

    def test_points_beyond_any_check_are_a_clear_error(self, customer):
        with pytest.raises(InvalidInput, match="too large"):
            buy(customer, "100.00", redeem=10**16, now=T)


class TestCase11AReceiptIsRecordedOnce:
    def test_at_the_till(self, customer):
        first = buy(customer, "1000.00", now=T, external_id="R-1", idempotency_key="till:a", origin="cashier")
        with pytest.raises(DuplicateReceipt) as exc:
            buy(customer, "1000.00", now=T, external_id="R-1", idempotency_key="till:b", origin="cashier")
        assert exc.value.id == first.purchase.pk
        replay = buy(customer, "1000.00", now=T, external_id="R-1", idempotency_key="till:a", origin="cashier")
        assert replay.replayed and replay.purchase.pk == first.purchase.pk
        assert balance(customer) == 50

    def test_the_till_form_says_so(self, customer, client, cashier_user):
        client.force_login(cashier_user)
        url = f"/cashier/customer/{customer.pk}/purchase/"
        form = {"amount": "1000.00", "redeem_points": "0", "external_id": "R-7"}
        assert client.post(url, form | {"idempotency_key": "a"}).status_code == 302
        response = client.post(url, form | {"idempotency_key": "b"})
        assert response.status_code == 400
        assert "Receipt R-7 was already recorded as purchase" in response.content.decode()
        assert balance(customer) == 50


class TestCase12PurchasesBelongToTheirApiClient:
    def test_another_clients_purchase_is_unknown(self, customer):
        from api.services import api_client_create

        shop, till = api_client_create(name="web-shop").client, api_client_create(name="till-2").client
        own = buy(customer, "1000.00", now=T, api_client=shop).purchase
        with pytest.raises(UnknownPurchase):
            refund(own, now=T, api_client=till)
        assert refund(own, "100.00", now=T, api_client=shop).refund.points_reversed == 5
        counter = buy(customer, "500.00", now=T).purchase  # the till's, not an API client's
        with pytest.raises(UnknownPurchase):
            refund(counter, now=T, api_client=shop)


class TestCase6ExpiryUnderConcurrentWriters:
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
    def test_a_customer_whose_due_lots_a_till_expired_while_the_job_waited(self, program):
        import threading

        from loyalty.services.ledger.core import account_lock

        customer = customer_enrol(name="Anna", phone="+79120000001")
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
        assert_consistent(customer)


class TestTheMomentIsTakenUnderTheLock:
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
    def test_a_till_that_waited_for_the_lock_past_midnight_does_not_spend_dead_points(self, program):
        import threading

        from django.utils import timezone

        from loyalty.exceptions import RedeemTooMuch

        customer = customer_enrol(name="Anna", phone="+79120000001")
        dies_at = timezone.now() + dt.timedelta(seconds=1)
        bonus(customer, 100, now=timezone.now(), expires_at=dies_at)
        locked, outcome = threading.Event(), {}

        def other_till():
            try:
                with transaction.atomic():
                    PointsAccount.objects.select_for_update().get(pk=customer.pk)
                    locked.set()
                    while timezone.now() <= dies_at:  # holds the lock until the points have died
                        threading.Event().wait(0.05)
            finally:
                connection.close()

        def this_till():
            try:
                services.purchase_record(customer_id=customer.pk, amount="1000.00", redeem_points=100)
                outcome["result"] = "recorded"
            except RedeemTooMuch as exc:
                outcome["result"] = exc.max_redeem_points
            finally:
                connection.close()

        holder = threading.Thread(target=other_till)
        holder.start()
        assert locked.wait(10)
        till = threading.Thread(target=this_till)  # asks while the points are alive, gets the lock after
        till.start()
        holder.join()
        till.join()
        assert outcome["result"] == 0  # refused: at the moment it got the lock, no live point was left
        assert points_summary(customer.pk).balance == 0 and not Purchase.objects.exists()
        assert_consistent(customer)


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


class TestOverTheApi:
    @pytest.fixture
    def clients(self, program):
        from django.core.cache import cache
        from rest_framework.test import APIClient

        from api.services import api_client_create

        cache.clear()
        result = {}
        for name in ("web-shop", "till-2"):
            created = api_client_create(name=name)
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {created.key}")
            result[name] = api
        return result

    @staticmethod
    def post(api, url, body, key):
        return api.post(url, body, format="json", headers={"Idempotency-Key": key})

    def test_a_receipt_retried_with_a_new_key_is_409_with_the_purchase_id(self, clients, customer):
        shop = clients["web-shop"]
        body = {"customer": customer.pk, "amount": "1000.00", "external_id": "R-000123"}
        first = self.post(shop, "/api/v1/purchases/", body, "k-1")
        assert first.status_code == 201
        retry = self.post(shop, "/api/v1/purchases/", body, "k-2")
        assert retry.status_code == 409
        assert retry.json()["id"] == first.json()["id"] and retry.json()["code"] == "duplicate_receipt"
        replay = self.post(shop, "/api/v1/purchases/", body, "k-1")
        assert (replay.status_code, replay.json(), replay.headers["Idempotent-Replayed"]) == (201, first.json(), "true")
        other_client = self.post(clients["till-2"], "/api/v1/purchases/", body, "k-1")  # its own receipt numbers
        assert other_client.status_code == 201
        assert balance(customer) == 100

    def test_another_clients_purchase_is_404_for_refunds(self, clients, customer):
        shop, till = clients["web-shop"], clients["till-2"]
        created = self.post(shop, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"}, "k-1").json()
        response = self.post(till, f"/api/v1/purchases/{created['id']}/refund/", {}, "r-1")
        assert response.status_code == 404
        assert response.json() == {"detail": f"Purchase {created['id']} does not exist.", "code": "not_found"}
        counter = buy(customer, "500.00", now=T).purchase  # recorded at the till, outside the API
        assert self.post(shop, f"/api/v1/purchases/{counter.pk}/refund/", {}, "r-2").status_code == 404
        assert balance(customer) == 75
        assert self.post(shop, f"/api/v1/purchases/{created['id']}/refund/", {}, "r-3").status_code == 201

    def test_enrolment_with_a_key_is_replayed_or_409(self, clients):
        shop = clients["web-shop"]
        first = self.post(shop, "/api/v1/customers/", {"name": "Anna", "phone": "+79120000001"}, "e-1")
        again = self.post(shop, "/api/v1/customers/", {"name": "Anna", "phone": "+79120000001"}, "e-1")
        assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
        other = self.post(shop, "/api/v1/customers/", {"name": "Boris", "phone": "+79120000002"}, "e-1")
        assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
        assert Customer.objects.count() == 1

    def test_an_amount_above_the_largest_purchase_is_400(self, clients, customer):
        response = self.post(
            clients["web-shop"], "/api/v1/purchases/", {"customer": customer.pk, "amount": "9999999999.99"}, "k-1"
        )
        assert response.status_code == 400
        assert response.json()["amount"] == [
            "Amount is above the largest purchase the program accepts (10,000,000.00\u00a0₽)."
        ]
        too_many = self.post(
            clients["web-shop"],
            "/api/v1/purchases/",
            {"customer": customer.pk, "amount": "100.00", "redeem_points": 10**19},
            "k-2",
        )
        assert too_many.status_code == 400 and "redeem_points" in too_many.json()


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
            f"/cashier/purchase/{purchase.pk}/refund/", {"amount": "", "idempotency_key": "r-1"}, follow=True
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


class TestTheApiSaysItToo:
    @pytest.fixture
    def api(self, program):
        from django.core.cache import cache
        from rest_framework.test import APIClient

        from api.services import api_client_create

        cache.clear()
        created = api_client_create(name="web-shop")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {created.key}")
        api.client_row = created.client
        return api

    def test_refund_body_counts_dead_returns_and_debt_payments(self, api, customer):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        purchase = buy(customer, "400.00", redeem=100, now=T, api_client=api.client_row).purchase
        response = api.post(
            f"/api/v1/purchases/{purchase.pk}/refund/", {}, format="json", headers={"Idempotency-Key": "r-1"}
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["points_returned"], body["points_returned_expired"], body["points_reversed"]) == (100, 100, 15)
        assert (body["points_owed_settled"], body["balance_after"]) == (0, 0)

    def test_the_quote_refuses_what_the_purchase_would_refuse(self, api, customer):
        response = api.post(
            "/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "10000000.01"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid" and "largest purchase" in response.json()["detail"]

    def test_purchase_body_says_how_much_cashback_paid_what_was_owed_and_a_replay_says_the_same(self, api, customer):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        body = {"customer": customer.pk, "amount": "1000.00"}
        response = api.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "p-1"})
        again = api.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "p-1"})
        assert response.status_code == again.status_code == 201
        assert (response.json()["earned_points"], response.json()["points_owed_settled"]) == (50, 43)
        assert response.json()["balance_after"] == 7
        assert again.json() == response.json() and again.headers["Idempotent-Replayed"] == "true"
