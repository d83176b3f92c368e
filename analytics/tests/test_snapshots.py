"""The nightly dashboard snapshot (analytics.services.dashboard_snapshot, analytics.snapshots) on the story of
conftest.py: a snapshot gives exactly the live figures of its periods, a date run again replaces its rows,
old dates are pruned, and a period no snapshot holds is computed live."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics import snapshots
from analytics.cohorts import cohort_retention
from analytics.economics import monthly_economics
from analytics.models import DashboardSnapshot
from analytics.rules import Period
from analytics.selectors import period_kpis
from analytics.services import dashboard_snapshot
from customers.models import Customer
from loyalty.models import ProgramSettings
from loyalty.tests.helpers import at, buy, run_daily

from .conftest import MAR_1, MAR_31, day

pytestmark = pytest.mark.django_db
APR_1 = day(4, 1)  # the snapshot of April 1 holds figures up to the end of March 31


def test_the_periods_of_a_snapshot():
    assert snapshots.preset_periods(APR_1) == {
        "7d": Period(day(3, 25), MAR_31),
        "30d": Period(day(3, 2), MAR_31),
        "90d": Period(dt.date(2026, 1, 1), MAR_31),
        "month": Period(MAR_1, MAR_31),  # April 1: March is the last whole month
    }
    assert snapshots.preset_periods(day(3, 15))["month"] == Period(day(2, 1), day(2, 28))


def test_a_snapshot_gives_exactly_the_live_figures(story):
    rows = dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    assert sorted((r.kind, r.start, r.end) for r in rows) == [
        ("cohorts", dt.date(2025, 4, 1), MAR_31),
        ("economics", dt.date(2025, 4, 1), MAR_31),
        ("period", dt.date(2026, 1, 1), MAR_31),
        ("period", MAR_1, MAR_31),
        ("period", day(3, 2), MAR_31),
        ("period", day(3, 25), MAR_31),
    ]
    for period in snapshots.preset_periods(APR_1).values():
        answer = snapshots.period_kpis_answer(period.start, period.end)
        assert answer.snapshot is not None and answer.snapshot.as_of == APR_1
        assert answer.value == period_kpis(period.start, period.end)
    march = snapshots.period_kpis_answer(MAR_1, MAR_31).value
    # Worked out by hand in test_selectors: A 2000 + 500, C 800 + (1200 − 200), D 400; 5 members, 3 before.
    assert march["period"]["figures"]["revenue"] == Decimal("4700.00")
    assert march["period"]["figures"]["avg_check_by_tier"] == {
        "bronze": Decimal("1050.00"),
        "silver": Decimal("500.00"),
    }
    assert march["previous_period"]["figures"]["members"] == 3
    economics = snapshots.economics_answer()
    assert economics.snapshot is not None
    assert economics.value == monthly_economics(months=12, today=MAR_31)
    assert economics.value[-1].cost == Decimal("88.00")  # March: 100.00 redeemed − 12.00 of liability
    cohorts = snapshots.cohorts_answer()
    assert cohorts.snapshot is not None
    assert cohorts.value == cohort_retention(months=12, today=MAR_31)
    assert [(c.month, c.size) for c in cohorts.value] == [(day(1, 1), 2), (day(2, 1), 1), (MAR_1, 1)]


def test_the_pages_read_the_snapshot_not_the_live_tables(story):
    """A purchase back-dated into March after the snapshot changes the live figures, not the snapshot's."""
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    customer = Customer.objects.get(name="E")
    buy(customer, Decimal("300.00"), now=at(day(3, 30)))
    assert period_kpis(MAR_1, MAR_31)["period"]["figures"]["revenue"] == Decimal("5000.00")
    answer = snapshots.period_kpis_answer(MAR_1, MAR_31)
    assert answer.value["period"]["figures"]["revenue"] == Decimal("4700.00")


def test_running_a_date_again_replaces_its_rows(story):
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    dashboard_snapshot(APR_1, now=at(APR_1, 9))
    rows = DashboardSnapshot.objects.filter(as_of=APR_1)
    assert rows.count() == 6
    assert {r.computed_at for r in rows} == {at(APR_1, 9)}


def test_old_snapshots_are_pruned(story):
    assert snapshots.KEEP_DAYS == 100
    dashboard_snapshot(APR_1 - dt.timedelta(days=101), now=at(APR_1, 0, 20))
    dashboard_snapshot(APR_1 - dt.timedelta(days=100), now=at(APR_1, 0, 20))
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    dates = sorted(set(DashboardSnapshot.objects.values_list("as_of", flat=True)))
    assert dates == [APR_1 - dt.timedelta(days=100), APR_1]


def test_a_previous_period_is_taken_from_the_snapshot_that_had_it_as_its_own(story, monkeypatch):
    """The 30 days before the last 30 of April 1 (Jan 31 – Mar 1) were the last 30 days of March 2's snapshot."""
    dashboard_snapshot(day(3, 2), now=at(day(3, 2), 0, 20))
    assert snapshots.preset_periods(day(3, 2))["30d"] == Period(dt.date(2026, 1, 31), MAR_1)
    computed = []
    real = snapshots.period_figures
    monkeypatch.setattr(snapshots, "period_figures", lambda s, e, **kw: computed.append((s, e)) or real(s, e, **kw))
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    assert (day(3, 2), MAR_31) in computed and (dt.date(2026, 1, 31), MAR_1) not in computed
    monkeypatch.undo()
    assert snapshots.period_kpis_answer(day(3, 2), MAR_31).value == period_kpis(day(3, 2), MAR_31)


def test_a_period_no_snapshot_holds_is_computed_live(story):
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    answer = snapshots.period_kpis_answer(MAR_1, day(3, 30))
    assert answer.snapshot is None
    assert answer.value == period_kpis(MAR_1, day(3, 30))


def test_a_new_point_value_makes_the_money_figures_live(story):
    """The liability's value uses today's point value (docs/analytics.md): after a change of it, a snapshot
    computed with the old one is not used."""
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    ProgramSettings.objects.filter(pk=1).update(point_value=Decimal("0.50"))
    answer = snapshots.period_kpis_answer(MAR_1, MAR_31)
    assert answer.snapshot is None
    assert answer.value["period"]["figures"]["liability_value"] == Decimal("69.00")  # 138 points × 0.50
    assert snapshots.economics_answer().snapshot is None
    assert snapshots.cohorts_answer().snapshot is not None  # no money value of points in the cohorts


def test_the_daily_job_writes_the_dashboard_snapshot(story, django_capture_on_commit_callbacks):
    """loyalty's daily run publishes DailyRunFinished; analytics queues the dashboard snapshot (django-q2
    runs it at once in the tests' sync mode)."""
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(APR_1)
    rows = DashboardSnapshot.objects.filter(as_of=APR_1)
    assert rows.count() == 6
    assert snapshots.period_kpis_answer(MAR_1, MAR_31).value == period_kpis(MAR_1, MAR_31)


def test_the_next_night_reuses_the_periods_that_have_ended(story, monkeypatch):
    """The snapshot of April 2 computes the periods ending April 1 and takes March and every earlier whole
    month from the snapshot of April 1 (their figures cannot change any more); its answers are still live's."""
    computed = []
    real = snapshots.period_figures

    def counting(start, end, **kwargs):
        computed.append((start, end))
        return real(start, end, **kwargs)

    monkeypatch.setattr(snapshots, "period_figures", counting)
    dashboard_snapshot(APR_1, now=at(APR_1, 0, 20))
    assert len(computed) == 4 * 2 + 12  # presets and their previous periods (March's shared), Apr 2025 – Mar 2026
    computed.clear()
    apr_2 = day(4, 2)
    dashboard_snapshot(apr_2, now=at(apr_2, 0, 20))
    assert sorted(computed) == sorted(
        [
            (day(3, 26), day(4, 1)), (day(3, 19), day(3, 25)),  # 7 days and the 7 before
            (day(3, 3), day(4, 1)), (day(2, 1), day(3, 2)),  # 30 days
            (dt.date(2026, 1, 2), day(4, 1)), (dt.date(2025, 10, 4), dt.date(2026, 1, 1)),  # 90 days
            (day(4, 1), day(4, 1)),  # April so far, for the economics
        ]
    )  # fmt: skip
    monkeypatch.undo()
    for period in snapshots.preset_periods(apr_2).values():
        answer = snapshots.period_kpis_answer(period.start, period.end)
        assert answer.snapshot.as_of == apr_2 and answer.value == period_kpis(period.start, period.end)
    assert snapshots.economics_answer().value == monthly_economics(months=12, today=day(4, 1))


def test_a_snapshot_of_a_future_date_is_refused(program):
    with pytest.raises(ValueError, match="in the future"):
        dashboard_snapshot(dt.date.today() + dt.timedelta(days=2))
    assert not DashboardSnapshot.objects.exists()
