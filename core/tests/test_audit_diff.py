"""One comparison for every audited edit (core.audit.audit_diff): a value read back in another form is not
a change."""

import datetime as dt
from decimal import Decimal

import pytest

from core.audit import audit_diff, audit_values_equal


@pytest.mark.parametrize(("old", "new"), [
    (Decimal("1.00"), Decimal("1.0")), (Decimal("1.00"), "1.0"), ("1.00", Decimal("1")), (5, Decimal("5.00")),
    (dt.date(2026, 3, 1), "2026-03-01"), (None, ""), ("", []), (None, []), (True, "True"),
    ([1, 2], [1, 2]), (["sms"], ("sms",)),
])  # fmt: skip
def test_same_value_in_another_form_is_equal(old, new):
    assert audit_values_equal(old, new) and audit_values_equal(new, old)


@pytest.mark.parametrize(("old", "new"), [
    (Decimal("1.00"), Decimal("1.01")), ("01", "1"), (None, "0"), (0, None), (dt.date(2026, 3, 1), "2026-03-02"),
    ([1, 2], [2, 1]), (True, False), ("Spring", "spring"),
])  # fmt: skip
def test_different_values_differ(old, new):
    assert not audit_values_equal(old, new)


def test_audit_diff_keeps_only_real_changes_as_json():
    before = {"rate": Decimal("1.00"), "day": dt.date(2026, 3, 1), "note": None, "name": "A"}
    after = {"rate": "1.0", "day": "2026-03-01", "note": "", "name": "B"}
    assert audit_diff(before, after) == {"name": ["A", "B"]}
    assert audit_diff({"rate": Decimal("1.00")}, {"rate": Decimal("1.5")}) == {"rate": ["1.00", "1.5"]}
