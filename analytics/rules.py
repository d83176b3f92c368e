"""Pure arithmetic of the analytics figures (no database): periods, rates, averages, rounding.

The definitions of the figures themselves are in docs/analytics.md; this module holds the parts that are
plain arithmetic, so that every figure rounds the same way:
- money: Decimal in the program's currency, quantized to 0.01 (ROUND_HALF_UP);
- rates and shares: Decimal fractions between 0 and 1 (0.2500 = 25 %), quantized to 0.0001;
- averages of counts, points and days: Decimal quantized to 0.01;
- a figure whose denominator is zero is None (JSON null): "no data", not 0.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """Inclusive local dates `start`..`end` (the shop's calendar days)."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_previous(period: Period) -> Period:
    """The period of equal length that ends the day before `period` starts (7 days → the 7 days before)."""
    end = period.start - dt.timedelta(days=1)
    return Period(start=end - dt.timedelta(days=period.days - 1), end=end)


def period_check(*, start: dt.date, end: dt.date, today: dt.date) -> None:
    """Raise ValueError (with a human-readable message) unless start ≤ end ≤ today."""
    if end < start:
        raise ValueError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if end > today:
        raise ValueError(f"the period ends in the future ({end.isoformat()}; today is {today.isoformat()})")


def money(value: Decimal | int | None) -> Decimal:
    """Money rounded to 0.01 (None, an empty sum, is 0.00)."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """numerator / denominator as a fraction rounded to 0.0001; None when the denominator is 0 or None."""
    if not denominator:
        return None
    return (Decimal(numerator or 0) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def average(total: Decimal | int | None, count: int | None, *, places: Decimal = HUNDREDTH) -> Decimal | None:
    """total / count rounded to `places` (0.01 by default: money, points, purchases per buyer, days);
    None when count is 0."""
    if not count:
        return None
    return (Decimal(total or 0) / Decimal(count)).quantize(places, rounding=ROUND_HALF_UP)


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | None:
    """Relative change (current − previous) / previous as a fraction (0.1500 = +15 %); None when either is
    missing or previous is 0."""
    if current is None or previous is None or not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(RATE, rounding=ROUND_HALF_UP)


def days(duration: dt.timedelta | None) -> Decimal | None:
    """A duration in days, rounded to 0.01 (36 hours → 1.50)."""
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / Decimal(86400)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def expected_cost(value: Decimal, expiry_rate: Decimal | None) -> Decimal:
    """What outstanding points worth `value` are expected to cost if the observed share `expiry_rate` of
    them expires unused: value × (1 − expiry_rate), rounded to 0.01. No history (None): the full value."""
    return money(value * (1 - (expiry_rate or 0)))


# --- the key metric's target and progress (docs/analytics.md, "The key metric") ------------------------

# The key metrics where lower is better: the target cuts the figure instead of raising it.
KEY_METRIC_LOWER_IS_BETTER = frozenset({"asleep_90d"})
# How each key metric is rounded (as period_figures rounds it): money and averages to 0.01, rates to 0.0001,
# counts to whole customers.
KEY_METRIC_PLACES = {
    "repeat_rate": RATE,
    "avg_check": CENT,
    "purchase_frequency": HUNDREDTH,
    "asleep_90d": Decimal(1),
}


def key_metric_target(key: str, baseline: Decimal, percent: Decimal) -> Decimal:
    """The figure to reach: `baseline` raised by `percent` % (cut by it for a lower-is-better key), rounded
    half up as the figure itself is (KEY_METRIC_PLACES). A raise of 15 % from 1 000.00 → 1 150.00; a cut
    of 10 % from 205 customers → 184.5 → 185. `percent` is a Decimal percentage (15 = 15 %)."""
    sign = -1 if key in KEY_METRIC_LOWER_IS_BETTER else 1
    target = Decimal(baseline) * (1 + sign * Decimal(percent) / 100)
    return target.quantize(KEY_METRIC_PLACES[key], rounding=ROUND_HALF_UP)


def key_metric_progress(*, baseline: Decimal, current: Decimal | None, target: Decimal) -> Decimal | None:
    """How far the figure has gone from the baseline towards the target, as a fraction of the way (0.0001):
    (current − baseline) ÷ (target − baseline). 0.5000 = half way; above 1 past the target; below 0 moved
    the wrong way. The direction needs no special case: for a cut, both differences are negative.
    None when there is no current figure or the target equals the baseline."""
    if current is None or target == baseline:
        return None
    way = (Decimal(current) - Decimal(baseline)) / (Decimal(target) - Decimal(baseline))
    way = way.quantize(RATE, rounding=ROUND_HALF_UP)
    return way if way else abs(way)  # 0 ÷ a negative difference is −0: "0.0000", never "-0.0000"


def key_metric_time_elapsed(*, set_on: dt.date, target_date: dt.date, today: dt.date) -> Decimal:
    """The share of the time from the day the target was set (`set_on`, the day after the baseline's
    window) to `target_date` that has passed by `today`: (today − set_on) ÷ (target_date − set_on) in days,
    between 0 and 1 (0.0001). 1 from the target date on (and when the two dates coincide)."""
    total = (target_date - set_on).days
    if total <= 0:
        return Decimal(1)
    passed = min(max((today - set_on).days, 0), total)
    return (Decimal(passed) / Decimal(total)).quantize(RATE, rounding=ROUND_HALF_UP)


def key_metric_on_track(*, progress: Decimal | None, time_elapsed: Decimal) -> bool:
    """On track: at least as far along the way as along the time (progress ≥ time elapsed), so that a
    straight line from the baseline reaches the target on the target date. Past the target date that
    means the target is reached (progress ≥ 1). No progress figure: not on track."""
    return progress is not None and progress >= time_elapsed
