"""The program's key metric and its progress towards the target (docs/analytics.md, "The key metric"): read
from the analytics settings (the target and its stored baseline) and the figure over the latest window."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from . import rules
from .models import AnalyticsSettings
from .selectors import analytics_settings_get, key_metric_window
from .snapshots import key_metric_figure


@dataclass(frozen=True)
class KeyMetricStatus:
    """Where the key metric stands. Values are in the figure's unit (analytics.figures.FIGURES[key].kind:
    money in the program's currency, a rate as a fraction, purchases per buyer, customers); shares are
    Decimal fractions (0.5000 = 50 %)."""

    key: str
    lower_is_better: bool
    target_percent: Decimal  # 15.00 = raise (or, lower is better, cut) by 15 %
    target_date: dt.date
    baseline: Decimal
    baseline_period: rules.Period
    target: Decimal
    current: Decimal | None  # None: no data in the current window
    current_period: rules.Period
    progress: Decimal | None  # rules.key_metric_progress
    time_elapsed: Decimal  # rules.key_metric_time_elapsed
    days_left: int  # days from today to the target date, 0 once it has come
    target_passed: bool  # today is after the target date (on the date itself the figure may still get there)
    on_track: bool  # rules.key_metric_on_track
    reached: bool  # the current figure is at the target or beyond it

    @property
    def set_on(self) -> dt.date:
        """The day the target was set: the day after the baseline's window."""
        return self.baseline_period.end + dt.timedelta(days=1)

    def as_json(self) -> dict:
        """The status for `analytics_report` (Decimals as strings, dates ISO)."""
        return {
            "key": self.key,
            "lower_is_better": self.lower_is_better,
            "target_percent": str(self.target_percent),
            "target_date": self.target_date.isoformat(),
            "baseline": {
                "start": self.baseline_period.start.isoformat(),
                "end": self.baseline_period.end.isoformat(),
                "value": str(self.baseline),
            },
            "target": str(self.target),
            "current": {
                "start": self.current_period.start.isoformat(),
                "end": self.current_period.end.isoformat(),
                "value": None if self.current is None else str(self.current),
            },
            "progress": None if self.progress is None else str(self.progress),
            "time_elapsed": str(self.time_elapsed),
            "days_left": self.days_left,
            "target_passed": self.target_passed,
            "on_track": self.on_track,
            "reached": self.reached,
        }


def key_metric_status(
    *, today: dt.date | None = None, settings: AnalyticsSettings | None = None
) -> KeyMetricStatus | None:
    """The key metric's status on `today` (default: today in the shop's time zone), or None when no key
    metric is set. Current = the figure over the `key_metric_days` whole days ending yesterday (the same
    length as the baseline's window; analytics.selectors.key_metric_window), from the nightly snapshot that
    holds that period (the nightly job adds it to its periods), else computed live (one period_figures). Baseline and target come from the stored settings, never recomputed."""
    settings = settings or analytics_settings_get()
    if not settings.key_metric:
        return None
    today = today or timezone.localdate()
    key = settings.key_metric
    baseline = settings.baseline_value.quantize(rules.KEY_METRIC_PLACES[key])
    baseline_period = rules.Period(start=settings.baseline_start, end=settings.baseline_end)
    current_period = key_metric_window(baseline_period.days, today=today)
    current = key_metric_figure(key, current_period)
    target = rules.key_metric_target(key, baseline, settings.target_percent)
    progress = rules.key_metric_progress(baseline=baseline, current=current, target=target)
    elapsed = rules.key_metric_time_elapsed(
        set_on=baseline_period.end + dt.timedelta(days=1), target_date=settings.target_date, today=today
    )
    lower = key in rules.KEY_METRIC_LOWER_IS_BETTER
    reached = current is not None and (current <= target if lower else current >= target)
    return KeyMetricStatus(
        key=key,
        lower_is_better=lower,
        target_percent=settings.target_percent,
        target_date=settings.target_date,
        baseline=baseline,
        baseline_period=baseline_period,
        target=target,
        current=current,
        current_period=current_period,
        progress=progress,
        time_elapsed=elapsed,
        days_left=max((settings.target_date - today).days, 0),
        target_passed=today > settings.target_date,
        on_track=rules.key_metric_on_track(progress=progress, time_elapsed=elapsed),
        reached=reached,
    )
