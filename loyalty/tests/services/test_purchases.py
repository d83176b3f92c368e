import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from core.models import AuditEntry
from customers.services import customer_enrol
from loyalty import services
from loyalty.exceptions import (
    AdjustmentTooLarge,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    RedeemTooMuch,
    RefundTooMuch,
    UnknownCustomer,
    UnknownPurchase,
)
from loyalty.models import LedgerEntry, PointsAccount, PointsLot, Purchase, Refund, Tier
from loyalty.rules import local_midnight
from loyalty.selectors import ledger_problems, points_summary, purchase_quote

pytestmark = pytest.mark.django_db


def balance(customer) -> int:
    return PointsAccount.objects.get(pk=customer.pk).balance


def assert_ledger_consistent(customer):
    entries = LedgerEntry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"] or 0
    lots = PointsLot.objects.filter(customer=customer).aggregate(s=Sum("remaining"))["s"] or 0
    assert balance(customer) == entries == lots
    assert ledger_problems() == []


def run_daily(day: dt.date) -> dict:
    """The daily jobs for `day`, run at 00:15 that day (the schedule's time)."""
    return services.daily_run(as_of=day, now=local_midnight(day) + dt.timedelta(minutes=15))


def buy(customer, amount, redeem=0, **kwargs):
    return services.purchase_record(customer_id=customer.pk, amount=amount, redeem_points=redeem, **kwargs)


class TestPurchase:
    def test_earns_cashback_on_the_paid_part(self, customer, t0):
        result = buy(customer, "1000.00", now=t0)
        assert result.purchase.earned_points == 50
        assert result.purchase.paid_amount == D("1000.00")
        assert result.balance_after == 50
        assert customer.__class__.objects.get(pk=customer.pk).last_purchase_at == t0
        assert_ledger_consistent(customer)

    def test_redeem_up_to_the_cap_and_no_cashback_on_points(self, customer, t0):
        services.points_award(customer_id=customer.pk, points=1000, reason="gift", now=t0)
        quote = purchase_quote(customer_id=customer.pk, amount=D("1000.00"), now=t0)
        assert (quote.max_redeem_points, quote.earn_points) == (300, 50)
        result = buy(customer, "1000.00", redeem=300, now=t0)
        assert result.purchase.paid_amount == D("700.00")
        assert result.purchase.earned_points == 35
        assert result.balance_after == 1000 - 300 + 35
        assert_ledger_consistent(customer)

    def test_cap_is_limited_by_available_points(self, customer, t0):
        services.points_award(customer_id=customer.pk, points=120, reason="gift", now=t0)
        with pytest.raises(RedeemTooMuch) as exc:
            buy(customer, "1000.00", redeem=121, now=t0)
        assert exc.value.max_redeem_points == 120
        assert "at most 120" in exc.value.message
        assert Purchase.objects.count() == 0
        assert balance(customer) == 120

    def test_redeeming_above_the_cap_is_refused_and_changes_nothing(self, customer, t0):
        services.points_award(customer_id=customer.pk, points=5000, reason="gift", now=t0)
        with pytest.raises(RedeemTooMuch) as exc:
            buy(customer, "1000.00", redeem=301, now=t0)
        assert exc.value.max_redeem_points == 300
        assert Purchase.objects.count() == 0
        assert balance(customer) == 5000
        assert_ledger_consistent(customer)

    @pytest.mark.parametrize("amount", ["-100", "0", "abc", "", None, "10.001", 12.5])
    def test_bad_amount_is_refused_and_changes_nothing(self, customer, amount):
        with pytest.raises(InvalidInput):
            buy(customer, amount)
        assert Purchase.objects.count() == 0 and LedgerEntry.objects.count() == 0

    @pytest.mark.parametrize("redeem", ["-1", "1.5", "lots", -10])
    def test_bad_redeem_points_are_refused(self, customer, redeem):
        with pytest.raises(InvalidInput):
            buy(customer, "100.00", redeem=redeem)
        assert Purchase.objects.count() == 0

    def test_unknown_customer(self, program):
        for bad_id in (999999, "abc", None):
            with pytest.raises(UnknownCustomer):
                services.purchase_record(customer_id=bad_id, amount="100.00")
        assert Purchase.objects.count() == 0

    def test_replay_with_the_same_key_earns_once(self, customer, t0):
        first = buy(customer, "1000.00", idempotency_key="pos-7-0001", now=t0)
        again = buy(customer, "1000.00", idempotency_key="pos-7-0001", now=t0 + dt.timedelta(seconds=3))
        assert again.replayed and not first.replayed
        assert again.purchase.pk == first.purchase.pk
        assert again.balance_after == first.balance_after == 50
        assert Purchase.objects.count() == 1
        assert balance(customer) == 50

    def test_same_key_with_another_body_is_a_conflict(self, customer):
        buy(customer, "1000.00", idempotency_key="pos-7-0002")
        with pytest.raises(IdempotencyConflict):
            buy(customer, "999.00", idempotency_key="pos-7-0002")
        assert Purchase.objects.count() == 1

    def test_lines_are_stored(self, customer):
        result = buy(
            customer,
            "1500.00",
            lines=[{"sku": "A1", "category": "coffee", "amount": "500.00"}, {"category": "bakery", "amount": "1000"}],
        )
        assert [(line.category, line.amount) for line in result.purchase.lines.order_by("id")] == [
            ("coffee", D("500.00")),
            ("bakery", D("1000.00")),
        ]

    def test_bad_line_amount_changes_nothing(self, customer):
        with pytest.raises(InvalidInput, match="Line 2 amount"):
            buy(customer, "100.00", lines=[{"amount": "50"}, {"amount": "-1"}])
        assert Purchase.objects.count() == 0

    def test_activation_delay_keeps_points_pending(self, customer, program, t0):
        program.activation_delay_days = 14
        program.save()
        buy(customer, "2000.00", now=t0)
        summary = points_summary(customer.pk, now=t0 + dt.timedelta(days=13))
        assert (summary.balance, summary.available, summary.pending) == (100, 0, 100)
        with pytest.raises(RedeemTooMuch):
            buy(customer, "1000.00", redeem=1, now=t0 + dt.timedelta(days=13))
        later = points_summary(customer.pk, now=t0 + dt.timedelta(days=14))
        assert (later.available, later.pending) == (100, 0)
        buy(customer, "1000.00", redeem=100, now=t0 + dt.timedelta(days=14))
        assert_ledger_consistent(customer)

    def test_new_settings_apply_to_the_next_purchase_only(self, customer, program, t0):
        Tier.objects.all().delete()  # without tiers the program's own cashback applies
        first = buy(customer, "1000.00", now=t0)
        program.base_cashback_percent = D("10")
        program.save()
        second = buy(customer, "1000.00", now=t0)
        first.purchase.refresh_from_db()
        assert (first.purchase.earned_points, second.purchase.earned_points) == (50, 100)
        assert first.purchase.cashback_percent == D("5.00")


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

    def test_run_daily_command(self, customer, t0):
        buy(customer, "1000.00", now=t0 - dt.timedelta(days=365))  # burns at 2026-03-01 00:00
        call_command("run_daily", "--date", "2026-03-01")
        call_command("run_daily", "--date", "2026-03-01")
        assert balance(customer) == 0
        assert LedgerEntry.objects.filter(kind="expire").count() == 1


class TestAdjustment:
    def test_adjustment_needs_a_reason_and_respects_the_limit(self, customer, marketing_user):
        with pytest.raises(InvalidInput, match="reason"):
            services.points_adjust(customer_id=customer.pk, points=10, reason="  ", actor=marketing_user)
        with pytest.raises(AdjustmentTooLarge):
            services.points_adjust(customer_id=customer.pk, points=10001, reason="x", actor=marketing_user)
        with pytest.raises(InvalidInput):
            services.points_adjust(customer_id=customer.pk, points=0, reason="x", actor=marketing_user)
        assert LedgerEntry.objects.count() == 0

    def test_adjustment_is_recorded_with_staff_user_and_audited(self, customer, marketing_user):
        entry = services.points_adjust(
            customer_id=customer.pk, points=250, reason="Complaint #12", actor=marketing_user
        )
        assert (entry.kind, entry.points, entry.actor, entry.reason) == (
            "adjustment",
            250,
            marketing_user,
            "Complaint #12",
        )
        services.points_adjust(customer_id=customer.pk, points=-50, reason="Correction", actor=marketing_user)
        assert balance(customer) == 200
        audit = AuditEntry.objects.filter(action="points.adjust").order_by("id")
        assert [a.changes["points"] for a in audit] == [250, -50]
        assert all(a.actor == marketing_user for a in audit)
        assert_ledger_consistent(customer)

    def test_cannot_deduct_more_than_the_balance(self, customer, marketing_user):
        services.points_adjust(customer_id=customer.pk, points=30, reason="x", actor=marketing_user)
        with pytest.raises(InsufficientPoints, match="has 30"):
            services.points_adjust(customer_id=customer.pk, points=-31, reason="x", actor=marketing_user)
        assert balance(customer) == 30


class TestAppendOnly:
    def test_database_refuses_to_update_or_delete_entries(self, customer):
        buy(customer, "1000.00")
        entry = LedgerEntry.objects.get()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(points=5000)
        # Raw SQL bypasses every Python-side guard (the ORM's PROTECT foreign keys, admin permissions).
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM loyalty_ledgerentry WHERE id = %s", [entry.pk])
        assert LedgerEntry.objects.get().points == 50

    def test_balance_cannot_go_negative_even_bypassing_services(self, customer):
        buy(customer, "1000.00")
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsAccount.objects.filter(pk=customer.pk).update(balance=-1)


def test_customers_are_independent(program, t0):
    anna = customer_enrol(name="Anna", phone="+79123456789")
    boris = customer_enrol(name="Boris", phone="+79123456780")
    buy(anna, "1000.00", now=t0)
    buy(boris, "3000.00", now=t0)
    assert (balance(anna), balance(boris)) == (50, 150)


class TestProgramSettings:
    def test_change_is_audited_with_old_and_new_values(self, program, marketing_user):
        services.program_settings_update(
            actor=marketing_user, base_cashback_percent=D("7.5"), redeem_cap_percent=D("30")
        )
        entry = AuditEntry.objects.get(action="settings.update")
        assert entry.actor == marketing_user
        assert entry.changes == {"base_cashback_percent": ["5.00", "7.50"]}  # as stored; 30 == 30.00: no change

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("base_cashback_percent", D("101"), "less than or equal to 100"),
            ("redeem_cap_percent", D("0"), "greater than or equal to 0.01"),
            ("point_value", D("0"), "greater than or equal to 0.01"),
        ],
    )
    def test_invalid_values_are_refused_and_change_nothing(self, program, marketing_user, field, value, message):
        with pytest.raises(InvalidInput, match=message):
            services.program_settings_update(actor=marketing_user, **{field: value})
        program.refresh_from_db()
        assert (program.base_cashback_percent, program.redeem_cap_percent, program.point_value) == (
            D("5.00"),
            D("30.00"),
            D("1.00"),
        )
        assert not AuditEntry.objects.filter(action="settings.update").exists()


def test_migrations_create_roles_and_the_daily_schedule(db):
    from django.contrib.auth.models import Group
    from django_q.models import Schedule

    cashiers = set(Group.objects.get(name="Cashiers").permissions.values_list("codename", flat=True))
    marketing = set(Group.objects.get(name="Marketing").permissions.values_list("codename", flat=True))
    assert cashiers == {"use_cashier"}
    assert {"change_programsettings", "adjust_points", "view_customer", "view_dashboard"} <= marketing
    assert "use_cashier" not in marketing
    schedule = Schedule.objects.get(name="loyalty.run_daily")
    assert (schedule.func, schedule.schedule_type) == ("loyalty.tasks.run_daily_task", "D")


def test_daily_task_runs_the_daily_jobs(customer):
    from loyalty.tasks import run_daily_task

    assert run_daily_task()["balance_mismatches"] == 0


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
