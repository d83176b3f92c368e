"""The ledger's one bulk credit (`points_credit_bulk`), used by the customer import for opening balances."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction

from customers.services import customer_enrol
from loyalty import services
from loyalty.exceptions import InvalidInput, UnknownCustomer
from loyalty.models import LedgerEntry, PointsAccount, PointsLot
from loyalty.rules import local_midnight
from loyalty.selectors import ledger_problems, points_summary

T = local_midnight(dt.date(2026, 3, 1)) + dt.timedelta(hours=12)


def credit(credits: dict, **kwargs) -> int:
    with transaction.atomic():
        return services.points_credit_bulk(credits=credits, kind="import", reason="import", now=T, **kwargs)


@pytest.mark.django_db
def test_credits_each_customer_one_entry_and_one_lot_with_the_program_lifetime(customer, marketing_user):
    boris = customer_enrol(name="Boris", phone="+7 900 111-22-33")
    assert credit({customer.pk: 350, boris.pk: 1200}, source="import:7", actor=marketing_user) == 1550
    assert points_summary(customer.pk, now=T).balance == 350
    assert points_summary(boris.pk, now=T).balance == 1200
    entry = LedgerEntry.objects.get(customer=boris)
    assert (entry.kind, entry.points, entry.reason, entry.source, entry.actor) == (
        "import", 1200, "import", "import:7", marketing_user
    )  # fmt: skip
    # The default program: points live 365 days, from the start of the day of the credit (local time).
    assert entry.expires_at == local_midnight(dt.date(2027, 3, 1))
    assert PointsLot.objects.get(entry=entry).remaining == 1200
    assert ledger_problems() == []


@pytest.mark.django_db
def test_an_existing_balance_grows_and_a_debt_is_paid_first(customer):
    first = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"), now=T).purchase  # earns 50
    services.purchase_record(customer_id=customer.pk, amount=D("200.00"), redeem_points=50, now=T)  # earns 7
    services.purchase_refund(purchase_id=first.pk, now=T)  # takes 7 back, 43 owed
    assert PointsAccount.objects.get(pk=customer.pk).points_owed == 43
    other = customer_enrol(name="Vera", phone="+7 900 111-22-44")
    services.purchase_record(customer_id=other.pk, amount=D("400.00"), now=T)  # earns 20

    credit({customer.pk: 100, other.pk: 5})

    account = PointsAccount.objects.get(pk=customer.pk)
    assert (account.balance, account.points_owed) == (57, 0)  # 100 − 43 owed
    assert PointsAccount.objects.get(pk=other.pk).balance == 25
    assert ledger_problems() == []


@pytest.mark.django_db
@pytest.mark.parametrize("points", [0, -5, 1.5, "10", True, 10**16])
def test_points_that_are_not_a_whole_number_above_zero_change_nothing(customer, points):
    with pytest.raises(InvalidInput, match="whole number above zero"):
        credit({customer.pk: points})
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_an_unknown_customer_refuses_the_whole_credit(customer):
    with pytest.raises(UnknownCustomer):
        credit({customer.pk: 10, 999_999: 10})
    assert not LedgerEntry.objects.exists()
    assert not PointsAccount.objects.filter(balance__gt=0).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_outside_a_transaction_it_refuses_to_run(customer):
    with pytest.raises(RuntimeError, match="inside a transaction"):
        services.points_credit_bulk(credits={customer.pk: 10}, kind="import", reason="import")
    assert not LedgerEntry.objects.exists()


def test_the_import_refuses_opening_balances_the_ledger_would_refuse():
    from customers.imports.results import OPENING_BALANCE_MAX
    from loyalty.rules import MAX_POINTS

    assert OPENING_BALANCE_MAX == MAX_POINTS
