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
