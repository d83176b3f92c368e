"""Recording purchases (loyalty.services.ledger.purchases): cashback on the paid part, the redemption cap,
bad input, retries and receipts recorded once, bounds, and the moment taken under the account lock.

The TestCase… classes are issue #9's hand-worked stories (their default settings: loyalty/tests/helpers.py).
"""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.exceptions import IdempotencyConflict
from loyalty import services
from loyalty.exceptions import DuplicateReceipt, InvalidInput, RedeemTooMuch, UnknownCustomer
from loyalty.models import LedgerEntry, PointsAccount, Purchase, Tier
from loyalty.selectors import points_summary, purchase_quote
from loyalty.tests.helpers import T, assert_ledger_consistent, balance, bonus, buy, refund

pytestmark = pytest.mark.django_db


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


def test_customers_are_independent(program, t0, customer_factory):
    anna = customer_factory(name="Anna")
    boris = customer_factory(name="Boris")
    buy(anna, "1000.00", now=t0)
    buy(boris, "3000.00", now=t0)
    assert (balance(anna), balance(boris)) == (50, 150)


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
        assert_ledger_consistent(customer)

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


class TestTheMomentIsTakenUnderTheLock:
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
    def test_a_till_that_waited_for_the_lock_past_midnight_does_not_spend_dead_points(self, program, customer_factory):

        from loyalty.exceptions import RedeemTooMuch

        customer = customer_factory(name="Anna")
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
        assert_ledger_consistent(customer)


# Issue #16: 19 and 23 at first, then 18 and 22 (a status read twice, balance_after written apart), then 13 and
# 16: the versions read once per purchase, no look-up of the key before its INSERT (core.idempotency), the
# spendable lots read with the dead ones, no boosts savepoint when no boost runs, the spend query as SQL; then
# 12 and 13: an entry and its lot in one statement, a debit's entry, lots and LotDebit rows in one; then 7 and 8:
# the account and tier status locks, the lots, the versions and the tier spend in one call, the balance and the
# purchase dates in one UPDATE (ledger.purchase_sql); then 6 and 7: the purchase's INSERT adds its spend to the
# day's running total in the same statement.
PLAIN, REDEEMING = 6, 7


class TestStatementsPerPurchase:
    """Issue #16: the statements one purchase issues, pinned (a new read or write on the purchase path shows
    here). A returning customer, no lines, no boosts running: BEGIN … COMMIT included."""

    @pytest.mark.parametrize(("redeem", "statements"), [(0, PLAIN), (10, REDEEMING)])
    def test_a_purchase_issues_a_known_number_of_statements(self, customer, t0, redeem, statements):
        from django.test.utils import CaptureQueriesContext

        buy(customer, "1000.00", now=t0 - dt.timedelta(days=1))
        with CaptureQueriesContext(connection) as queries:
            result = services.purchase_record(
                customer_id=customer.pk, amount="1000.00", redeem_points=redeem, idempotency_key="k", now=t0
            )
        assert result.purchase.balance_after == balance(customer)
        assert len(queries) == statements, "\n".join(q["sql"][:120] for q in queries)
