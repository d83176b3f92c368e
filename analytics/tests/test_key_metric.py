"""The key metric with a target (analytics.rules, analytics.services.analytics_settings_update,
analytics.key_metric), worked out by hand.

The shop: X buys 800.00 on 10 May and 1 200.00 on 20 May 2026, Y buys 3 000.00 on 1 May (all at noon, shop
time). A target set on 1 June with a 30-day window measures 2 May – 31 May: average check (800 + 1 200) ÷ 2
= 1 000.00; 1 May is one day too early. "Raise it by 15 %" → 1 150.00 by 1 July (30 days).
On 16 June the window is 17 May – 15 June: 20 May's 1 200.00 and 5 June's 950.00 → 1 075.00 (16 June's
9 999.00 is today, not counted): (1 075 − 1 000) ÷ (1 150 − 1 000) = 50 % of the way, and 15 of the 30 days
(1 June → 1 July) = 50 % of the time: on track, 15 days left.
"""

import datetime as dt
import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from analytics import rules
from analytics.exceptions import InvalidAnalyticsSetting
from analytics.key_metric import key_metric_status
from analytics.models import AnalyticsSettings
from analytics.selectors import analytics_settings_get
from analytics.services import analytics_settings_update
from core.models import AuditEntry
from loyalty.tests.helpers import at, buy, refund

SET_ON = dt.date(2026, 6, 1)
LATER = dt.date(2026, 6, 16)
TARGET_DATE = dt.date(2026, 7, 1)


# --- the arithmetic ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "baseline", "percent", "target"),
    [
        ("avg_check", D("1000.00"), D("15"), D("1150.00")),
        ("repeat_rate", D("0.3000"), D("15"), D("0.3450")),  # relative: 30 % → 34.5 %, not 45 %
        ("purchase_frequency", D("1.25"), D("10"), D("1.38")),  # 1.375 rounds half up
        ("asleep_90d", D("205"), D("10"), D("185")),  # lower is better: a cut, 184.5 → 185
    ],
)
def test_the_target_is_the_baseline_changed_by_the_percentage(key, baseline, percent, target):
    assert rules.key_metric_target(key, baseline, percent) == target


@pytest.mark.parametrize(
    ("baseline", "current", "target", "progress"),
    [
        (D("1000.00"), D("1075.00"), D("1150.00"), D("0.5000")),
        (D("1000.00"), D("950.00"), D("1150.00"), D("-0.3333")),  # the wrong way
        (D("1000.00"), D("1200.00"), D("1150.00"), D("1.3333")),  # past the target
        (D("200"), D("190"), D("180"), D("0.5000")),  # a cut: half of the 20 customers fewer
        (D("200"), D("210"), D("180"), D("-0.5000")),
        (D("200"), None, D("180"), None),
        (D("200"), D("200"), D("180"), D("0.0000")),  # no move on a cut: 0 ÷ −20 is −0, written "0.0000"
    ],
)
def test_progress_is_the_share_of_the_way_from_baseline_to_target(baseline, current, target, progress):
    result = rules.key_metric_progress(baseline=baseline, current=current, target=target)
    assert (result, str(result)) == (progress, str(progress))  # str: "-0.0000" would equal 0


def test_time_elapsed_and_on_track():
    elapsed = rules.key_metric_time_elapsed
    assert elapsed(set_on=SET_ON, target_date=TARGET_DATE, today=LATER) == D("0.5000")  # 15 of 30 days
    assert elapsed(set_on=SET_ON, target_date=TARGET_DATE, today=SET_ON) == D("0.0000")
    assert elapsed(set_on=SET_ON, target_date=TARGET_DATE, today=dt.date(2026, 8, 1)) == D("1.0000")
    assert rules.key_metric_on_track(progress=D("0.5000"), time_elapsed=D("0.5000"))
    assert not rules.key_metric_on_track(progress=D("0.4999"), time_elapsed=D("0.5000"))
    assert not rules.key_metric_on_track(progress=None, time_elapsed=D("0"))


# --- setting the target and reading its progress -----------------------------------------------------


@pytest.fixture
def shop(program, customer_factory):
    x = customer_factory(name="X", now=at(dt.date(2026, 4, 1)))
    y = customer_factory(name="Y", now=at(dt.date(2026, 4, 1)))
    buy(y, D("3000.00"), now=at(dt.date(2026, 5, 1)))
    first = buy(x, D("800.00"), now=at(dt.date(2026, 5, 10))).purchase
    buy(x, D("1200.00"), now=at(dt.date(2026, 5, 20)))
    return {"x": x, "y": y, "first": first}


def _set(user=None, **overrides):
    values = {
        "key_metric": "avg_check",
        "target_percent": D("15"),
        "target_date": TARGET_DATE,
        "key_metric_days": 30,
        "rfm_window_days": 365,
        "today": SET_ON,
    }
    return analytics_settings_update(actor=user, origin="console", **(values | overrides))


@pytest.mark.django_db
def test_setting_a_target_stores_the_baseline_and_its_window_and_audits_it(shop, marketing_user):
    row = _set(marketing_user)
    assert (row.baseline_value, row.baseline_start, row.baseline_end) == (
        D("1000.00"), dt.date(2026, 5, 2), dt.date(2026, 5, 31),
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="analytics_settings.update")
    assert entry.actor == marketing_user
    assert entry.changes["key_metric"] == ["", "avg_check"]
    assert entry.changes["target_percent"] == [None, "15.00"]
    assert entry.changes["baseline_value"] == [None, "1000.00"]  # as the figure is rounded
    assert entry.changes["baseline_start"] == [None, "2026-05-02"]
    assert "rfm_window_days" not in entry.changes  # unchanged: 365 both
    _set(marketing_user)  # the same again: nothing changes, nothing is audited
    assert AuditEntry.objects.filter(action="analytics_settings.update").count() == 1


@pytest.mark.django_db
def test_progress_half_way_in_half_the_time_is_on_track(shop):
    _set()
    buy(shop["x"], D("950.00"), now=at(dt.date(2026, 6, 5)))
    buy(shop["y"], D("9999.00"), now=at(LATER, 9))  # today: not in the window
    status = key_metric_status(today=LATER)
    assert (status.baseline, status.current, status.target) == (D("1000.00"), D("1075.00"), D("1150.00"))
    assert (status.current_period.start, status.current_period.end) == (dt.date(2026, 5, 17), dt.date(2026, 6, 15))
    assert (status.progress, status.time_elapsed, status.days_left) == (D("0.5000"), D("0.5000"), 15)
    assert status.on_track and not status.reached
    # A refund recorded later changes the baseline's window (800 − 300: 500 + 1 200 = 850.00 on average),
    # but the stored baseline stays where the target was set.
    refund(shop["first"], D("300.00"), now=at(dt.date(2026, 6, 10)))
    assert key_metric_status(today=LATER).baseline == D("1000.00")


@pytest.mark.django_db
def test_churn_is_cut_and_its_progress_goes_down(program, customer_factory):
    """Asleep 90 days as of 1 June (bought, but not since 3 March): P, Q, R, S bought in January; T in May."""
    people = [customer_factory(name=n, now=at(dt.date(2026, 1, 1))) for n in "PQRST"]
    for person in people[:4]:
        buy(person, D("100.00"), now=at(dt.date(2026, 1, 10)))
    buy(people[4], D("100.00"), now=at(dt.date(2026, 5, 10)))
    row = _set(key_metric="asleep_90d", target_percent=D("50"))
    assert row.baseline_value == D("4")
    buy(people[0], D("100.00"), now=at(dt.date(2026, 6, 5)))  # P wakes up: 3 asleep of the 4 → 2 targeted
    status = key_metric_status(today=LATER)
    assert (status.baseline, status.current, status.target, status.progress) == (D("4"), D("3"), D("2"), D("0.5000"))
    assert status.lower_is_better and status.on_track


@pytest.mark.django_db
def test_changing_only_the_target_keeps_the_baseline_and_the_window_measures_again(shop):
    _set()
    buy(shop["x"], D("2000.00"), now=at(dt.date(2026, 6, 1)))
    row = _set(target_percent=D("20"), target_date=dt.date(2026, 8, 1), today=dt.date(2026, 6, 3))
    assert (row.baseline_value, row.baseline_end) == (D("1000.00"), dt.date(2026, 5, 31))
    # A 7-day window is another figure: measured again over 27 May – 2 June (only 1 June's 2 000.00).
    row = _set(key_metric_days=7, today=dt.date(2026, 6, 3))
    assert (row.baseline_value, row.baseline_start, row.baseline_end) == (
        D("2000.00"), dt.date(2026, 5, 27), dt.date(2026, 6, 2),
    )  # fmt: skip
    row = _set(key_metric="", target_percent=None, target_date=None, key_metric_days=7)
    assert (row.key_metric, row.target_percent, row.target_date, row.baseline_value) == ("", None, None, None)
    assert key_metric_status(today=LATER) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rfm_window_days": 29}, "rfm_window_days", "The RFM analysis window must be from 30 to 1,095 days."),
        ({"rfm_window_days": 1096}, "rfm_window_days", "The RFM analysis window must be from 30 to 1,095 days."),
        ({"key_metric_days": 6}, "key_metric_days", "The key metric is measured over 7 to 365 days."),
        ({"key_metric": "revenue"}, "key_metric", "Choose one of the listed figures."),
        ({"target_percent": None}, "target_percent", "Say by how many per cent the figure should change."),
        ({"target_percent": D("0")}, "target_percent", "The target change must be above 0 and at most 1,000 %."),
        (
            {"key_metric": "asleep_90d", "target_percent": D("100.01")},
            "target_percent",
            "The target change must be above 0 and at most 100 %.",
        ),
        ({"target_date": None}, "target_date", "Give the date to reach the target by."),
        ({"target_date": SET_ON}, "target_date", "The target date must be after today."),
        (
            {"today": dt.date(2026, 9, 1), "target_date": dt.date(2026, 12, 1)},
            "key_metric",
            "This figure has no value over the last 30 days (no purchases): there is no baseline to start from.",
        ),
    ],
)
def test_a_refused_setting_says_why_and_changes_nothing(shop, overrides, field, message):
    with pytest.raises(InvalidAnalyticsSetting) as error:
        _set(**overrides)
    assert (error.value.field, error.value.message) == (field, message)
    row = analytics_settings_get()
    assert (row.key_metric, row.baseline_value, row.rfm_window_days) == ("", None, 365)
    assert not AuditEntry.objects.filter(action="analytics_settings.update").exists()


@pytest.mark.django_db
def test_the_database_refuses_an_rfm_window_out_of_bounds(program):
    from django.db import IntegrityError, transaction

    analytics_settings_get()
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalyticsSettings.objects.filter(pk=1).update(rfm_window_days=10)


@pytest.mark.django_db
def test_the_report_prints_the_key_metric(shop):
    _set(today=dt.date(2026, 6, 1))
    out = StringIO()
    call_command("analytics_report", "--from", "2026-05-01", "--to", "2026-05-31", stdout=out)
    key_metric = json.loads(out.getvalue())["key_metric"]
    assert key_metric["key"] == "avg_check"
    assert key_metric["baseline"] == {"start": "2026-05-02", "end": "2026-05-31", "value": "1000.00"}
    assert key_metric["target"] == "1150.00"
    assert key_metric["target_date"] == "2026-07-01"


@pytest.mark.django_db
def test_the_current_figure_comes_from_the_nightly_snapshot_which_holds_the_key_metrics_window(shop):
    """A 20-day window (not one of the dashboard's 7/30/90 days) is added to the night's periods. On 16 June
    it is 27 May – 15 June: 5 June's 950.00 alone. A purchase back-dated into it after the snapshot changes
    the live figure ((950 + 2 050) ÷ 2 = 1 500.00), not the one the dashboard shows."""
    from analytics.models import DashboardSnapshot
    from analytics.selectors import period_figures
    from analytics.services import dashboard_snapshot

    _set(key_metric_days=20)  # baseline 12 – 31 May: 20 May's 1 200.00
    buy(shop["x"], D("950.00"), now=at(dt.date(2026, 6, 5)))
    dashboard_snapshot(LATER, now=at(LATER, 0, 20))
    assert DashboardSnapshot.objects.filter(as_of=LATER, start=dt.date(2026, 5, 27), end=dt.date(2026, 6, 15)).exists()
    buy(shop["y"], D("2050.00"), now=at(dt.date(2026, 6, 10)))
    assert period_figures(dt.date(2026, 5, 27), dt.date(2026, 6, 15))["avg_check"] == D("1500.00")
    status = key_metric_status(today=LATER)
    assert (status.baseline, status.current) == (D("1200.00"), D("950.00"))


@pytest.mark.django_db
def test_the_target_date_passes_the_day_after_it_not_on_it(shop):
    """On 1 July (the target date) the figure over 1 – 30 June may still be the one: not "passed" yet, 0 days
    left; on 2 July it is."""
    _set()
    on_the_day = key_metric_status(today=TARGET_DATE)
    assert (on_the_day.days_left, on_the_day.target_passed) == (0, False)
    after = key_metric_status(today=TARGET_DATE + dt.timedelta(days=1))
    assert (after.days_left, after.target_passed) == (0, True)
    assert after.as_json()["target_passed"] is True
