"""Pure statistics of campaign results (issue #15; docs/campaigns.md, "Results"): the uplift of a rate
between the treated customers and the holdout, the difference of two means (revenue per customer), and
what the points cost per customer they brought back. Decimals in, Decimals out; no database.

Both confidence intervals are 95 % normal approximations (z = 1.96):

- the difference of two proportions p₁ − p₂ ± 1.96 · √(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂) (the unpooled
  "Wald" interval of any statistics textbook);
- the difference of two means x̄₁ − x̄₂ ± 1.96 · √(s₁²/n₁ + s₂²/n₂), Welch's standard error (each group's
  own sample variance, n − 1 in its denominator). With the minimum group size below, the normal critical
  value stands in for Student's t at Welch's degrees of freedom (1.96 against 2.05 at 28 degrees of
  freedom: the interval is then about 4 % narrower than the exact one; said in the docs).

Below `MIN_GROUP` customers in either group (or when the figure has no spread at all) there is "not
enough data": the functions answer None rather than an interval that means nothing.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Z_95 = Decimal("1.96")
# The fewest customers in each of the two groups compared before an uplift is shown.
MIN_GROUP = 10
# The fewest customers in each group for the revenue comparison (a mean's interval needs more than a rate's).
MIN_GROUP_MEAN = 30
RATE = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Estimate:
    """A difference and its 95 % confidence interval (`low` ≤ `value` ≤ `high`), Decimals: rates as
    fractions rounded to 0.0001 (0.3000 = 30 percentage points), money rounded to 0.01."""

    value: Decimal
    low: Decimal
    high: Decimal

    @property
    def significant(self) -> bool:
        """Whether the interval leaves out zero (the difference is unlikely to be chance alone)."""
        return self.low > 0 or self.high < 0


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole as a fraction rounded to 0.0001; None when `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE, rounding=ROUND_HALF_UP)


def proportion_uplift(
    *, treated_yes: int, treated: int, holdout_yes: int, holdout: int, min_group: int = MIN_GROUP
) -> Estimate | None:
    """The uplift of a rate, treated − holdout (fractions), with its 95 % interval (normal approximation
    for a difference of two proportions, unpooled). `treated_yes` of `treated` customers and `holdout_yes`
    of `holdout` did the thing (ints, 0 ≤ yes ≤ n). None ("not enough data") when either group has fewer
    than `min_group` customers, or when both rates are 0 or both 1 (no spread: the interval would be a
    point). Raises ValueError for a count outside 0..n."""
    for yes, n in ((treated_yes, treated), (holdout_yes, holdout)):
        if n < 0 or not 0 <= yes <= n:
            raise ValueError(f"{yes} of {n} is not a count of a group")
    if treated < min_group or holdout < min_group:
        return None
    p1, p2 = Decimal(treated_yes) / treated, Decimal(holdout_yes) / holdout
    variance = p1 * (1 - p1) / treated + p2 * (1 - p2) / holdout
    if variance == 0:
        return None
    margin = Z_95 * variance.sqrt()
    diff = p1 - p2
    return Estimate(*(x.quantize(RATE, rounding=ROUND_HALF_UP) for x in (diff, diff - margin, diff + margin)))


@dataclass(frozen=True)
class Sample:
    """A group's values summarised: `n` customers, `total` = Σ x and `squares` = Σ x² (Decimals; money)."""

    n: int
    total: Decimal
    squares: Decimal

    @property
    def mean(self) -> Decimal | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> Decimal | None:
        """The sample variance (n − 1 in the denominator); None below two values. Never negative (the
        sums may come from a database that added them as floats)."""
        if self.n < 2:
            return None
        return max(Decimal(0), (self.squares - self.total * self.total / self.n) / (self.n - 1))


def mean_uplift(*, treated: Sample, holdout: Sample, min_group: int = MIN_GROUP_MEAN) -> Estimate | None:
    """The difference of the means, treated − holdout, with its 95 % interval (Welch's standard error,
    normal critical value; money rounded to 0.01). None ("not enough data") when either group has fewer
    than `min_group` values or neither varies."""
    if treated.n < min_group or holdout.n < min_group:
        return None
    variance = treated.variance / treated.n + holdout.variance / holdout.n
    if variance == 0:
        return None
    margin = Z_95 * variance.sqrt()
    diff = treated.mean - holdout.mean
    return Estimate(*(x.quantize(CENT, rounding=ROUND_HALF_UP) for x in (diff, diff - margin, diff + margin)))


def incremental(*, treated_rate: Decimal | None, holdout_rate: Decimal | None, treated: int) -> Decimal | None:
    """What the campaign added among the `treated` customers: (treated rate − holdout rate) × treated, a
    Decimal (customers, or money when the "rates" are means per customer); None when a rate is missing."""
    if treated_rate is None or holdout_rate is None:
        return None
    return (Decimal(treated_rate) - Decimal(holdout_rate)) * treated


def cost_per_returning(*, cost: Decimal, incremental_customers: Decimal | None) -> Decimal | None:
    """The money the redeemed points cost per customer the campaign brought back: `cost` ÷ incremental
    returning customers, rounded to 0.01. None when there are none (no uplift, or a negative one): the
    cost then bought nobody, and a figure would be meaningless."""
    if incremental_customers is None or incremental_customers <= 0:
        return None
    return (Decimal(cost) / incremental_customers).quantize(CENT, rounding=ROUND_HALF_UP)


def return_on_points(*, incremental_revenue: Decimal | None, cost: Decimal) -> Decimal | None:
    """Incremental revenue ÷ the cost of the redeemed points (2.50 = 2.50 of revenue per 1 spent), rounded
    to 0.01; None when nothing was spent or the revenue is unknown."""
    if incremental_revenue is None or not cost:
        return None
    return (Decimal(incremental_revenue) / Decimal(cost)).quantize(CENT, rounding=ROUND_HALF_UP)
