"""Upgrading a database that holds data from before the ledger-exactness migrations keeps every row and
brings it inside the new rules: forgotten shortfalls become points owed, twice-recorded receipts are told
apart, and settings that would break purchases are mended before the constraints arrive."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("customers", "0003_audit_created_at_default"), ("loyalty", "0009_import_jobs")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upgrade_keeps_every_row_and_brings_it_inside_the_new_rules():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Customer, PointsAccount = old.get_model("customers", "Customer"), old.get_model("loyalty", "PointsAccount")
    Purchase, Refund = old.get_model("loyalty", "Purchase"), old.get_model("loyalty", "Refund")
    LedgerEntry, PointsLot = old.get_model("loyalty", "LedgerEntry"), old.get_model("loyalty", "PointsLot")
    ProgramSettings = old.get_model("loyalty", "ProgramSettings")
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    ProgramSettings.objects.update_or_create(
        pk=1, defaults={"points_lifetime_days": 10, "activation_delay_days": 14, "tier_grace_days": 3_000_000}
    )
    anna = Customer.objects.create(
        name="Anna", phone="+79120000001", card_number="2700000000001", referral_code="A1", created_at=now
    )
    common = {"customer": anna, "cashback_percent": D("5"), "point_value": D("1"), "created_at": now}
    first = Purchase.objects.create(
        amount=D("1000"), paid_amount=D("1000"), earned_points=50, external_id="R-1", origin="cashier", **common
    )
    second = Purchase.objects.create(
        amount=D("200"), paid_amount=D("150"), redeemed_points=50, earned_points=7, external_id="R-1",
        origin="cashier", **common,
    )  # fmt: skip
    Refund.objects.create(purchase=first, amount=D("1000"), points_reversed=7, points_shortfall=43, created_at=now)
    entry = LedgerEntry.objects.create(customer=anna, kind="bonus", points=20, reason="gift", created_at=now)
    PointsLot.objects.create(customer=anna, entry=entry, points=20, remaining=20, created_at=now, available_at=now)
    PointsAccount.objects.create(customer=anna, balance=20)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from loyalty.models import PointsAccount as Account
    from loyalty.models import ProgramSettings as Settings
    from loyalty.models import Purchase as NewPurchase
    from loyalty.selectors import ledger_problems

    account = Account.objects.get(pk=anna.pk)
    assert (account.balance, account.points_owed) == (20, 43)
    assert list(NewPurchase.objects.order_by("id").values_list("external_id", flat=True)) == [
        "R-1",
        f"R-1~{second.pk}",
    ]
    program = Settings.objects.get()
    assert (program.points_lifetime_days, program.activation_delay_days, program.tier_grace_days) == (15, 14, 36500)
    assert ledger_problems() == []
    with connection.cursor() as cursor:  # the ledger is still append-only
        with pytest.raises(Exception, match="append-only"):
            cursor.execute("UPDATE loyalty_ledgerentry SET points = 1")
