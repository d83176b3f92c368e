"""Manual adjustments (loyalty.services.ledger.adjustments): a reason, the limit, the balance, the audit."""

import pytest

from core.models import AuditEntry
from loyalty import services
from loyalty.exceptions import AdjustmentTooLarge, InsufficientPoints, InvalidInput
from loyalty.models import LedgerEntry
from loyalty.tests.helpers import assert_ledger_consistent, balance

pytestmark = pytest.mark.django_db


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
