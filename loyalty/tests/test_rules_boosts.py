"""The boosts' arithmetic (loyalty.rules.boost_points, earn_breakdown): worked examples and properties."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.rules import BoostTerms, EarnLine, boost_percent, boost_points, earn_breakdown, earn_points

CENTS = st.integers(min_value=1, max_value=10**9).map(lambda c: D(c) / 100)
PERCENTS = st.integers(min_value=0, max_value=10_000).map(lambda c: D(c) / 100)
CATEGORIES = st.sampled_from(["", "shoes", "food"])
POINT_VALUES = st.sampled_from([D("0.01"), D("0.10"), D("1.00"), D("2.50")])
TERMS = st.builds(
    BoostTerms,
    key=st.integers(min_value=1, max_value=10**6),
    multiplier=st.one_of(st.none(), st.integers(min_value=0, max_value=1000).map(lambda c: D(c) / 100)),
    extra_percent=st.one_of(st.none(), PERCENTS),
    category=CATEGORIES,
)


def _points(boosts, *, lines=(), amount=D("1000.00"), paid=None, cashback=D("5"), combine="best", cap=D("20")):
    return boost_points(
        lines=list(lines),
        amount=amount,
        paid=amount if paid is None else paid,
        cashback_percent=cashback,
        point_value=D("1.00"),
        boosts=boosts,
        combine=combine,
        cap_percent=cap,
    )


def test_worked_examples():
    double, plus5 = BoostTerms(1, multiplier=D("2")), BoostTerms(2, extra_percent=D("5"))
    assert _points([double]) == {1: 50}
    assert _points([double], paid=D("700.00")) == {1: 35}  # only the part paid in money earns
    assert _points([double, plus5], combine="best") == {1: 50, 2: 0}  # a tie: the first given
    assert _points([double, plus5], combine="sum", cap=D("20")) == {1: 50, 2: 50}
    assert _points([double, plus5], combine="sum", cap=D("6")) == {1: 30, 2: 30}
    shoes = BoostTerms(3, multiplier=D("3"), category="shoes")
    lines = [EarnLine(D("600.00"), "shoes"), EarnLine(D("400.00"), "food")]
    assert _points([shoes], lines=lines) == {3: 60}  # +10 % of the 600 of shoes
    assert _points([shoes]) == {3: 0}  # no lines: one line with no category
    assert _points([BoostTerms(4, multiplier=D("0.5"))]) == {4: 0}  # a multiplier below 1 takes nothing


@pytest.mark.parametrize(
    ("multiplier", "extra", "expected"), [(D("2"), None, D("5")), (None, D("3"), D("3")), (D("1.5"), D("1"), D("3.5"))]
)
def test_boost_percent(multiplier, extra, expected):
    assert boost_percent(BoostTerms(1, multiplier=multiplier, extra_percent=extra), cashback_percent=D("5")) == expected


@given(
    boosts=st.lists(TERMS, max_size=5, unique_by=lambda t: t.key),
    lines=st.lists(st.tuples(CENTS, CATEGORIES), max_size=5),
    amount=CENTS,
    paid_share=st.integers(min_value=0, max_value=100),
    cashback=PERCENTS,
    cap=PERCENTS,
    point_value=POINT_VALUES,
    combine=st.sampled_from(["best", "sum"]),
)
def test_boosts_never_add_more_than_the_exact_figure(
    boosts, lines, amount, paid_share, cashback, cap, point_value, combine
):
    paid = (amount * paid_share / 100).quantize(D("0.01"))
    earn_lines = [EarnLine(a, c) for a, c in lines]
    points = boost_points(
        lines=earn_lines, amount=amount, paid=paid, cashback_percent=cashback, point_value=point_value,
        boosts=boosts, combine=combine, cap_percent=cap,
    )  # fmt: skip
    assert set(points) == {t.key for t in boosts}
    assert all(isinstance(p, int) and p >= 0 for p in points.values())
    percents = [boost_percent(t, cashback_percent=cashback) for t in boosts]
    largest = max(percents, default=D(0))
    ceiling = largest if combine == "best" else min(sum(percents, D(0)), cap)
    # Together they never earn more than the best (or capped sum of) percent on everything paid.
    assert sum(points.values()) <= earn_points(paid=paid, cashback_percent=ceiling, point_value=point_value)
    if combine == "best":  # each line gives to one boost only: no boost earns more than it would alone
        for terms in boosts:
            alone = boost_points(
                lines=earn_lines, amount=amount, paid=paid, cashback_percent=cashback, point_value=point_value,
                boosts=[terms], combine=combine, cap_percent=cap,
            )  # fmt: skip
            assert points[terms.key] <= alone[terms.key]


@given(amount=CENTS, multiplier=st.integers(min_value=1, max_value=10), cashback=PERCENTS, point_value=POINT_VALUES)
def test_a_multiplier_on_everything_earns_k_minus_one_times_the_cashback(amount, multiplier, cashback, point_value):
    points = boost_points(
        lines=[], amount=amount, paid=amount, cashback_percent=cashback, point_value=point_value,
        boosts=[BoostTerms(1, multiplier=D(multiplier))], combine="best", cap_percent=D(0),
    )  # fmt: skip
    assert points[1] == earn_points(paid=amount, cashback_percent=cashback * (multiplier - 1), point_value=point_value)


@given(paid=CENTS, base=PERCENTS, tier=PERCENTS, point_value=POINT_VALUES, has_tier=st.booleans())
def test_the_breakdown_adds_up_to_the_points_earned(paid, base, tier, point_value, has_tier):
    rate = tier if has_tier else base
    earned = earn_points(paid=paid, cashback_percent=rate, point_value=point_value)
    parts = earn_breakdown(
        paid=paid, base_cashback_percent=base, point_value=point_value, earned=earned, has_tier=has_tier
    )
    assert sum(part["points"] for part in parts) == earned
    assert parts[0]["part"] == "base" and all(part["points"] > 0 for part in parts[1:])


@pytest.mark.parametrize(
    ("budgets", "expected"),
    [
        ({1: None, 2: None}, {1: 100, 2: 0}),  # ×3 adds 100 on 1 000 at 5 %, it wins the line
        ({1: 0, 2: None}, {1: 0, 2: 50}),  # ×3's budget is spent: ×2 gets the line (50)
        ({1: 30, 2: None}, {1: 30, 2: 0}),  # ×3 can pay 30: it keeps the line, cut to 30
        ({1: 0, 2: 0}, {1: 0, 2: 0}),
    ],
)
def test_boosts_within_budgets_leave_out_a_spent_one_before_choosing_the_best(budgets, expected):
    from loyalty.rules import boost_points_within_budgets

    got = boost_points_within_budgets(
        lines=[],
        amount=D("1000.00"),
        paid=D("1000.00"),
        cashback_percent=D("5"),
        point_value=D("1.00"),
        boosts=[BoostTerms(key=1, multiplier=D("3")), BoostTerms(key=2, multiplier=D("2"))],
        budgets_left=budgets,
        combine="best",
        cap_percent=D("20"),
    )
    assert got == expected


def test_boosts_within_budgets_under_sum_a_spent_one_takes_no_share_of_the_cap():
    """Sum, cap 10 %: ×3 (10 %) + extra 5 % = 15 % scaled to 10 % → 66 + 33; ×3 spent → extra alone 50."""
    from loyalty.rules import boost_points_within_budgets

    def run(budgets):
        return boost_points_within_budgets(
            lines=[],
            amount=D("1000.00"),
            paid=D("1000.00"),
            cashback_percent=D("5"),
            point_value=D("1.00"),
            boosts=[BoostTerms(key=1, multiplier=D("3")), BoostTerms(key=2, extra_percent=D("5"))],
            budgets_left=budgets,
            combine="sum",
            cap_percent=D("10"),
        )

    assert run({}) == {1: 66, 2: 33}
    assert run({1: 0}) == {1: 0, 2: 50}
