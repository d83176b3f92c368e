"""The ledger's tables guard themselves: entries are append-only, a balance never goes negative."""

import pytest
from django.db import DatabaseError, connection, transaction

from loyalty.models import LedgerEntry, PointsAccount
from loyalty.tests.helpers import buy

pytestmark = pytest.mark.django_db


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
