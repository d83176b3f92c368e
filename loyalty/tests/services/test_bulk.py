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


# --- points_credit_bulk_sql: the rows a SELECT names (a campaign's daily grants) -----------------------------


def credit_sql(rows: list[tuple[int, int]], *, expires_at=None, now=T) -> dict:
    """Credit (customer id, points) rows through points_credit_bulk_sql, each entry's id from the sequence."""
    values = ", ".join(["(%s, %s)"] * len(rows))
    params = [value for row in rows for value in row]
    next_id = services.ledger_entry_next_id_sql()
    sql = f"SELECT {next_id} AS entry_id, customer_id, points FROM (VALUES {values}) AS v(customer_id, points)"  # noqa: S608
    with transaction.atomic():
        return services.points_credit_bulk_sql(
            credits_sql=sql, credits_params=params, kind="bonus", reason="Campaign", source="campaign:1",
            expires_at=expires_at, now=now,
        )  # fmt: skip


@pytest.mark.django_db
def test_the_sql_bulk_credit_writes_entries_lots_and_balances_and_settles_debts_first(customer):
    first = services.purchase_record(customer_id=customer.pk, amount=D("1000.00"), now=T).purchase  # earns 50
    services.purchase_record(customer_id=customer.pk, amount=D("200.00"), redeem_points=50, now=T)  # earns 7
    services.purchase_refund(purchase_id=first.pk, now=T)  # 43 owed
    boris = customer_enrol(name="Boris", phone="+7 900 111-22-33")  # no account yet
    expires = local_midnight(dt.date(2026, 3, 8))
    assert credit_sql([(customer.pk, 100), (boris.pk, 30), (boris.pk, 20)], expires_at=expires) == {
        "entries": 3,
        "points": 150,
    }
    account = PointsAccount.objects.get(pk=customer.pk)
    assert (account.balance, account.points_owed) == (57, 0)
    assert PointsAccount.objects.get(pk=boris.pk).balance == 50
    entries = LedgerEntry.objects.filter(source="campaign:1").order_by("id")
    assert [(e.customer_id, e.kind, e.points, e.expires_at) for e in entries] == [
        (customer.pk, "bonus", 100, expires), (boris.pk, "bonus", 30, expires), (boris.pk, "bonus", 20, expires),
    ]  # fmt: skip
    assert [lot.remaining for lot in PointsLot.objects.filter(entry__in=entries).order_by("entry_id")] == [57, 30, 20]
    assert ledger_problems() == []


@pytest.mark.django_db
@pytest.mark.parametrize("points", [0, -5, 10**16])
def test_the_sql_bulk_credit_refuses_bad_points_and_writes_nothing(customer, points):
    with pytest.raises(InvalidInput, match="whole number above zero"):
        credit_sql([(customer.pk, 10), (customer.pk, points)])
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_the_sql_bulk_credit_refuses_an_unknown_customer_and_points_born_dead(customer):
    with pytest.raises(UnknownCustomer):
        credit_sql([(customer.pk, 10), (999_999, 10)])
    with pytest.raises(ValueError, match="must not expire"):
        credit_sql([(customer.pk, 10)], expires_at=T)
    assert not LedgerEntry.objects.exists()
