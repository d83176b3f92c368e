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
        ({1: 30, 2: None}, {1: 0, 2: 50}),  # ×3 can pay only 30, ×2 pays 50: ×2 gets the line
        ({1: 10, 2: None}, {1: 0, 2: 50}),  # tester2 #5: 10 left of ×3's budget → ×2's 50, not 10
        ({1: 60, 2: None}, {1: 60, 2: 0}),  # ×3 can pay 60 > 50: it keeps the line, cut to 60
        ({1: 50, 2: None}, {1: 50, 2: 0}),  # 50 against 50: the first given (the older campaign)
        ({1: 10, 2: 20}, {1: 0, 2: 20}),  # both cut: the one that pays more after its cut
        ({1: 0, 2: 0}, {1: 0, 2: 0}),
    ],
)
def test_best_goes_to_the_boost_that_pays_most_after_its_budget(budgets, expected):
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


def _within(boosts, budgets, *, combine, cap=D("15"), lines=(), amount=D("1000.00"), cashback=D("5")):
    from loyalty.rules import boost_points_within_budgets

    return boost_points_within_budgets(
        lines=list(lines),
        amount=amount,
        paid=amount,
        cashback_percent=cashback,
        point_value=D("1.00"),
        boosts=boosts,
        budgets_left=budgets,
        combine=combine,
        cap_percent=cap,
    )


def test_sum_gives_the_cap_room_a_budget_cut_boost_cannot_use_to_the_others():
    """Tester2 #5, "sum" to 15 % of 1 000.00 at 5 % (room 150): +10 % (wants 100) with 5 points of budget
    left and ×3 (+10 %, wants 100). Before: both scaled to 75, +10 % cut to 5 → 80. Now +10 % pays its 5
    and ×3 all its 100 (105 ≤ 150). With 60 left: 100 + 100 > 150, shared in proportion (75 each), +10 %
    can pay only 60, its other 15 go to ×3: 60 + 90 = 150."""
    extra, triple = BoostTerms(40, extra_percent=D("10")), BoostTerms(31, multiplier=D("3"))
    assert _within([extra, triple], {40: 5}, combine="sum") == {40: 5, 31: 100}
    assert _within([extra, triple], {}, combine="sum") == {40: 75, 31: 75}  # no budgets: as before
    assert _within([extra, triple], {40: 60}, combine="sum") == {40: 60, 31: 90}
    assert _within([extra, triple], {40: 0}, combine="sum") == {40: 0, 31: 100}
    assert _within([extra, triple], {40: 5, 31: 20}, combine="sum") == {40: 5, 31: 20}  # both cut: 25 fit


def test_best_with_lines_a_budget_runs_out_over_the_lines():
    """ "best", lines 600.00 shoes + 400.00 other at 5 %: ×3 (+10 %: 60 + 40) with 70 of budget left, ×2
    (+5 %: 30 + 20) with none. Shoes: ×3 can pay 60 > 30 → 60 (10 left). Other: ×3 can pay 10 < ×2's
    20 → ×2. ×3 60, ×2 20 (the customer gets 80; with ×3 cut to its budget alone, 70)."""
    lines = [EarnLine(D("600.00"), "shoes"), EarnLine(D("400.00"), "other")]
    triple, double = BoostTerms(1, multiplier=D("3")), BoostTerms(2, multiplier=D("2"))
    assert _within([triple, double], {1: 70}, combine="best", lines=lines) == {1: 60, 2: 20}


@given(
    boosts=st.lists(TERMS, min_size=1, max_size=4, unique_by=lambda t: t.key),
    budgets=st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=500)), min_size=4, max_size=4),
    lines=st.lists(st.tuples(CENTS, CATEGORIES), max_size=4),
    amount=CENTS,
    cashback=PERCENTS,
    cap=PERCENTS,
    combine=st.sampled_from(["best", "sum"]),
)
def test_within_budgets_never_above_a_budget_and_never_below_the_best_boost_alone(
    boosts, budgets, lines, amount, cashback, cap, combine
):
    """No boost pays more than its budget or than it would alone; together they pay at least what the
    best of them would alone within its budget (less the rounding of each boost's share, < 1 point each)."""
    budgets_left = {t.key: b for t, b in zip(boosts, budgets, strict=False)}
    earn_lines = [EarnLine(a, c) for a, c in lines]
    got = _within(boosts, budgets_left, combine=combine, cap=cap, lines=earn_lines, amount=amount, cashback=cashback)
    alone = {
        t.key: _within([t], {t.key: budgets_left[t.key]}, combine=combine, cap=cap, lines=earn_lines,
                       amount=amount, cashback=cashback)[t.key]
        for t in boosts
    }  # fmt: skip
    for terms in boosts:
        assert 0 <= got[terms.key] <= alone[terms.key]
        if budgets_left[terms.key] is not None:
            assert got[terms.key] <= budgets_left[terms.key]
    assert sum(got.values()) >= max(alone.values()) - (len(boosts) - 1)
    unlimited = _within(boosts, {}, combine=combine, cap=cap, lines=earn_lines, amount=amount, cashback=cashback)
    assert unlimited == _points(boosts, lines=earn_lines, amount=amount, cashback=cashback, combine=combine, cap=cap)


@given(
    boosts=st.lists(TERMS, min_size=1, max_size=5, unique_by=lambda t: t.key),
    lines=st.lists(st.tuples(CENTS, CATEGORIES), max_size=5),
    amount=CENTS,
    paid_share=st.integers(min_value=1, max_value=100),
    cashback=PERCENTS,
    cap=PERCENTS,
    point_value=POINT_VALUES,
    combine=st.sampled_from(["best", "sum"]),
)
def test_the_unbudgeted_shortcut_gives_the_fractions_figures(
    boosts, lines, amount, paid_share, cashback, cap, point_value, combine
):
    """Without budgets the points are worked out in Decimal products and one integer division per boost
    (_boost_points_unbudgeted, issue #15's speed) or, when the cap binds under "sum", in fractions: where
    the shortcut answers, it is exactly the fractions' answer."""
    from loyalty.rules import _boost_points_fractions, _boost_points_unbudgeted

    earn_lines = [EarnLine(a, c) for a, c in lines]
    if earn_lines:
        amount = sum((line.amount for line in earn_lines), D("0"))
    paid = max(D("0.01"), (amount * paid_share / 100).quantize(D("0.01")))
    terms = {
        "lines": earn_lines,
        "amount": amount,
        "paid": paid,
        "cashback_percent": cashback,
        "point_value": point_value,
        "boosts": boosts,
        "combine": combine,
        "cap_percent": cap,
    }
    shortcut = _boost_points_unbudgeted(**terms)
    exact = _boost_points_fractions(**terms, budgets_left={})
    if shortcut is not None:
        assert shortcut == exact
    if combine == "best":
        assert shortcut is not None  # only the cap of "sum" leaves it to the fractions
    assert boost_points(**terms) == exact


def test_the_unbudgeted_shortcut_worked_examples():
    """Hand-worked: 1 000.00 paying 990.00, 5 % cashback: ×2 wants 5 % of 990 = 49.5 → 49; +1 % → 9.9 → 9."""
    from loyalty.rules import _boost_points_unbudgeted

    terms = {
        "lines": [],
        "amount": D("1000.00"),
        "paid": D("990.00"),
        "cashback_percent": D("5"),
        "point_value": D("1"),
    }
    boosts = [BoostTerms(1, multiplier=D("2")), BoostTerms(2, extra_percent=D("1"))]
    assert _boost_points_unbudgeted(**terms, boosts=boosts, combine="sum", cap_percent=D("20")) == {1: 49, 2: 9}
    assert _boost_points_unbudgeted(**terms, boosts=boosts, combine="best", cap_percent=D("20")) == {1: 49, 2: 0}
    assert _boost_points_unbudgeted(**terms, boosts=boosts, combine="sum", cap_percent=D("5")) is None  # 6 % > 5 %
