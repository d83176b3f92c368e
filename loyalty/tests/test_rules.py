from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty import rules

amounts = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
point_values = st.decimals(min_value=D("0.01"), max_value=D("10"), places=2)


def test_defaults_from_the_issue():
    # 5 % of 1000.00 at 1 point = 1.00 → 50 points; cap 30 % → 300 points.
    assert rules.earn_points(paid=D("1000.00"), cashback_percent=D("5"), point_value=D("1.00")) == 50
    assert (
        rules.max_redeemable(amount=D("1000.00"), available_points=10_000, cap_percent=D("30"), point_value=D("1.00"))
        == 300
    )
    # Points round down: 5 % of 999.99 is 49.9995 → 49.
    assert rules.earn_points(paid=D("999.99"), cashback_percent=D("5"), point_value=D("1.00")) == 49


def test_no_cashback_on_the_part_paid_in_points():
    paid = rules.paid_amount(amount=D("1000.00"), redeemed_points=300, point_value=D("1.00"))
    assert paid == D("700.00")
    assert rules.earn_points(paid=paid, cashback_percent=D("5"), point_value=D("1.00")) == 35


@given(amount=amounts, available=st.integers(0, 10**7), cap=percents.filter(lambda p: p > 0), value=point_values)
def test_max_redeemable_never_exceeds_balance_cap_or_check(amount, available, cap, value):
    allowed = rules.max_redeemable(amount=amount, available_points=available, cap_percent=cap, point_value=value)
    assert 0 <= allowed <= available
    assert D(allowed) * value <= amount * cap / 100
    # …and it is the largest such number.
    if allowed < available:
        assert (D(allowed + 1) * value > amount * cap / 100) or (D(allowed + 1) * value > amount)


@given(paid=amounts, pct=percents, value=point_values)
def test_earn_is_floor_of_exact_value(paid, pct, value):
    earned = rules.earn_points(paid=paid, cashback_percent=pct, point_value=value)
    exact = paid * pct / 100 / value
    assert earned <= exact < earned + 1


@given(
    amount=amounts,
    earned=st.integers(0, 10**5),
    redeemed=st.integers(0, 10**5),
    cuts=st.lists(st.integers(1, 100), min_size=1, max_size=6),
)
def test_partial_refunds_add_up_to_exactly_a_full_refund(amount, earned, redeemed, cuts):
    # Split the check into parts and refund them one by one; the totals must equal the purchase's points.
    total_weight = sum(cuts)
    parts = [(amount * w / total_weight).quantize(D("0.01"), rounding="ROUND_DOWN") for w in cuts]
    parts[-1] = amount - sum(parts[:-1])
    parts = [p for p in parts if p > 0]
    refunded, reversed_, returned = D("0"), 0, 0
    for part in parts:
        r, t = rules.refund_points_split(
            amount=amount,
            refunded_before=refunded,
            refund_amount=part,
            earned_points=earned,
            reversed_before=reversed_,
            redeemed_points=redeemed,
            returned_before=returned,
        )
        assert r >= 0 and t >= 0
        refunded, reversed_, returned = refunded + part, reversed_ + r, returned + t
        assert reversed_ <= earned and returned <= redeemed
    assert (refunded, reversed_, returned) == (amount, earned, redeemed)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("abc", "is not a number"),
        ("", "is not a number"),
        ("NaN", "is not a number"),
        ("1.005", "at most 2 decimal places"),
        (1.5, "not a float"),
        ("99999999999", "too large"),
        ("1e30", "is not a number"),
        ("1_000", "is not a number"),
        ("Infinity", "is not a number"),
    ],
)
def test_bad_amounts_say_why(value, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.money_parse(value)


def test_amount_accepts_a_decimal_comma():
    assert rules.money_parse("1 000,50".replace(" ", "")) == D("1000.50")


def test_points_last_day_is_the_day_before_a_midnight_burn():
    """Granted 2026-03-10 12:00 (shop time) for 14 days: points_expiry burns them at the start of
    2026-03-24 (10 + 14), so the last day they can pay is 2026-03-23; a late-evening grant the same day
    burns at the same midnight; an expiry later in a day (15:00) leaves that day usable; never: None."""
    import datetime as dt

    granted = rules.local_midnight(dt.date(2026, 3, 10)) + dt.timedelta(hours=12)
    expires = rules.points_expiry(credited_at=granted, lifetime_days=14)
    assert expires == rules.local_midnight(dt.date(2026, 3, 24))
    assert rules.points_last_day(expires) == dt.date(2026, 3, 23)
    late = rules.points_expiry(credited_at=granted + dt.timedelta(hours=11, minutes=30), lifetime_days=14)
    assert rules.points_last_day(late) == dt.date(2026, 3, 23)
    assert rules.points_last_day(rules.local_midnight(dt.date(2026, 3, 24)) + dt.timedelta(hours=15)) == dt.date(
        2026, 3, 24
    )
    # 2026-03-24 00:00 Moscow is 2026-03-23 21:00 UTC: the shop's day counts, not UTC's
    assert rules.points_last_day(expires.astimezone(dt.UTC)) == dt.date(2026, 3, 23)
    assert rules.points_last_day(None) is None
