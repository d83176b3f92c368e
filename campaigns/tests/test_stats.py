"""The statistics of campaign results, against figures worked out by hand."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns import stats


def test_the_uplift_of_6_of_10_against_3_of_10_is_30_points_with_its_interval_by_hand():
    # p1 = 0.6, p2 = 0.3: uplift 0.3. Variance 0.6·0.4/10 + 0.3·0.7/10 = 0.024 + 0.021 = 0.045,
    # SE = √0.045 = 0.212132…, margin 1.96 × SE = 0.415779…: [−0.115779, 0.715779] → [−0.1158, 0.7158].
    estimate = stats.proportion_uplift(treated_yes=6, treated=10, holdout_yes=3, holdout=10)
    assert estimate == stats.Estimate(Decimal("0.3000"), Decimal("-0.1158"), Decimal("0.7158"))
    assert not estimate.significant  # the interval holds 0: ten customers a side prove little


def test_a_large_uplift_on_large_groups_is_significant():
    # 600 of 1000 against 300 of 1000: same rates, SE = √0.00045 = 0.0212132, margin 0.0415779.
    estimate = stats.proportion_uplift(treated_yes=600, treated=1000, holdout_yes=300, holdout=1000)
    assert estimate == stats.Estimate(Decimal("0.3000"), Decimal("0.2584"), Decimal("0.3416"))
    assert estimate.significant


def test_not_enough_data_below_the_minimum_group_or_without_spread():
    assert stats.proportion_uplift(treated_yes=6, treated=10, holdout_yes=3, holdout=9) is None
    assert stats.proportion_uplift(treated_yes=0, treated=50, holdout_yes=0, holdout=50) is None
    assert stats.proportion_uplift(treated_yes=50, treated=50, holdout_yes=50, holdout=50) is None
    with pytest.raises(ValueError):
        stats.proportion_uplift(treated_yes=11, treated=10, holdout_yes=3, holdout=10)


def test_revenue_uplift_by_welch_by_hand():
    # treated: 30 customers, 15 spent 200 and 15 spent 0: mean 100, Σx² = 15·40 000 = 600 000,
    # s² = (600 000 − 3 000²/30)/29 = 300 000/29 = 10 344.83; holdout: 30, 15 spent 100, 15 spent 0: mean 50,
    # s² = (150 000 − 1 500²/30)/29 = 75 000/29 = 2 586.21. SE = √(10 344.83/30 + 2 586.21/30) = √431.03
    # = 20.7614; margin 40.69: 50 ± 40.69.
    treated = stats.Sample(n=30, total=Decimal("3000"), squares=Decimal("600000"))
    holdout = stats.Sample(n=30, total=Decimal("1500"), squares=Decimal("150000"))
    assert stats.mean_uplift(treated=treated, holdout=holdout) == stats.Estimate(
        Decimal("50.00"), Decimal("9.31"), Decimal("90.69")
    )
    assert stats.mean_uplift(treated=stats.Sample(29, Decimal(10), Decimal(10)), holdout=holdout) is None


def test_cost_per_returning_customer_and_return_on_points():
    # 0.6 − 0.3 of 10 treated = 3 incremental customers; 900 points redeemed × 1.00 = 900.00 → 300.00 each.
    extra = stats.incremental(treated_rate=Decimal("0.6"), holdout_rate=Decimal("0.3"), treated=10)
    assert extra == Decimal("3.0")
    assert stats.cost_per_returning(cost=Decimal("900.00"), incremental_customers=extra) == Decimal("300.00")
    assert stats.cost_per_returning(cost=Decimal("900.00"), incremental_customers=Decimal("-1")) is None
    assert stats.return_on_points(incremental_revenue=Decimal("2250.00"), cost=Decimal("900.00")) == Decimal("2.50")
    assert stats.return_on_points(incremental_revenue=Decimal("2250.00"), cost=Decimal("0")) is None


@given(
    n1=st.integers(10, 500),
    n2=st.integers(10, 500),
    f1=st.fractions(0, 1),
    f2=st.fractions(0, 1),
)
def test_the_interval_surrounds_the_uplift_and_is_symmetric(n1, n2, f1, f2):
    y1, y2 = int(n1 * f1), int(n2 * f2)
    estimate = stats.proportion_uplift(treated_yes=y1, treated=n1, holdout_yes=y2, holdout=n2)
    if estimate is None:
        assert {y1 / n1, y2 / n2} <= {0, 1}
        return
    assert estimate.low <= estimate.value <= estimate.high
    assert abs((estimate.high - estimate.value) - (estimate.value - estimate.low)) <= Decimal("0.0002")
    assert Decimal(-1) - Decimal("0.0001") <= estimate.value <= Decimal(1)
