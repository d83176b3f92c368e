"""The customer summary (analytics.summary): every reader gives exactly what the live queries give, and a
refresh by slices leaves exactly the rows a full rebuild writes.

The story is conftest's (purchases Jan 07 – Mar 31 2026, refunds Mar 04 and Mar 26, Europe/Moscow); the
windows are made short (RFM 30 days, tier window 40 days) so that purchases cross every edge while the
summary is refreshed day by day through it.
"""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.cohorts import cohort_retention
from analytics.models import AnalyticsSettings, CustomerMonth, CustomerSummary, CustomerSummaryState, ReplayPurchase
from analytics.selectors import _customer_figures_subqueries, _purchase_figures_subqueries, people_and_sales_many
from analytics.services import _customers_sql, _customers_summary_sql, dashboard_snapshot, rfm_snapshot
from analytics.simulator import WINDOW_DAYS, rules_current, simulate
from analytics.summary import REPLAY_DAYS, customer_summary_refresh, summary_state_for
from loyalty.models import ProgramSettings, Purchase
from loyalty.selectors import program_settings_get, tiers_list
from loyalty.tests.helpers import at, buy, refund

from .conftest import MAR_1, MAR_31, day
from .test_simulator import TODAY, scenario_with, sim_story, today_rules  # noqa: F401 - sim_story is a fixture

D = Decimal
APR_1 = dt.date(2026, 4, 1)

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    """Every summary row and every replayed purchase, in order."""
    summary = list(
        CustomerSummary.objects.order_by("customer_id").values_list(
            "customer_id", "first_at", "first_id", "second_at", "last_at", "rfm_purchases", "rfm_money",
            "spend_before", "purchases_before", "spend_at_end", "purchases_at_end",
        )
    )  # fmt: skip
    replay = list(ReplayPurchase.objects.order_by("purchase_id").values_list())
    months = list(CustomerMonth.objects.order_by("customer_id", "month").values_list("customer_id", "month", "net"))
    return summary + replay + months


@pytest.fixture
def short_windows(story):
    AnalyticsSettings.objects.update_or_create(pk=1, defaults={"rfm_window_days": 30})
    ProgramSettings.objects.filter(pk=1).update(tier_window_days=40)
    return story


def test_the_replay_window_is_the_simulators():
    assert REPLAY_DAYS == WINDOW_DAYS


def test_refreshed_day_by_day_it_equals_a_full_rebuild_every_day(short_windows):
    """From Jan 01 to Apr 10, one refresh a day by slices; after each, the rows are those of a full rebuild."""
    assert customer_summary_refresh(dt.date(2026, 1, 1)).full
    day_ = dt.date(2026, 1, 2)
    changed_days = 0
    while day_ <= dt.date(2026, 4, 10):
        state = customer_summary_refresh(day_)
        assert not state.full and state.as_of == day_
        by_slices = rows()
        assert customer_summary_refresh(day_, full=True).full
        assert rows() == by_slices, day_
        changed_days += state.customers_refreshed > 0
        day_ += dt.timedelta(days=1)
    assert changed_days > 10  # purchases, refunds and window edges really moved rows


@pytest.mark.parametrize("tier_window_days", [40, 20, None])
def test_refreshed_by_gaps_of_1_to_31_days_until_every_purchase_left_every_window_it_equals_a_full_rebuild(
    short_windows, tier_window_days
):
    """Refreshed by slices from Jan 01 to Aug 20 in steps of 1 to 31 days, so that every story purchase
    leaves the RFM window (30 days), the tier window ending at E, the replay window (90 days) and then the tier
    window ending at the replay's start, with rows that only move (nothing recorded or dated since the last
    refresh); a 31-day step longer than a 20-day tier window makes the slices leaving the replay and the tier
    window overlap; no tier window (lifetime spend) has no tier slices. After each, the rows are a full
    rebuild's."""
    ProgramSettings.objects.filter(pk=1).update(tier_window_days=tier_window_days)
    assert customer_summary_refresh(dt.date(2026, 1, 1)).full
    day_, steps, moved = dt.date(2026, 1, 1), [1, 2, 5, 31, 3, 11, 7, 31], 0
    while day_ <= dt.date(2026, 8, 20):
        day_ += dt.timedelta(days=steps[0])
        steps = steps[1:] + steps[:1]
        state = customer_summary_refresh(day_)
        assert not state.full and state.as_of == day_
        moved += state.moved
        by_slices = rows()
        assert customer_summary_refresh(day_, full=True).full
        assert rows() == by_slices, day_
    assert moved >= 8  # the story's purchases moved rows without a rebuild
    assert ReplayPurchase.objects.count() == 0  # all left the replay window
    sums = set(CustomerSummary.objects.values_list("rfm_purchases", "spend_before", "spend_at_end"))
    if tier_window_days:  # every purchase left every window
        assert sums == {(0, D("0.00"), D("0.00"))}
    else:  # lifetime spend: what each paid, before the replay and at its end alike
        assert sums == {(0, D(paid), D(paid)) for paid in ("3000.00", "3400.00", "1000.00", "1800.00")}  # B, A, D, C


def test_a_row_by_hand(short_windows):
    """As of Apr 01: A bought Jan 10 (1 000.00), Mar 05 (2 000.00), Mar 20 (500.00, 400.00 paid with points:
    qualifying 400.00). RFM window Mar 02 – Mar 31: 2 purchases, 2 500.00. Tier window 40 days ending Apr 01
    (from Feb 20 noon… the 24-hour days of loyalty.rules.tier_window_start): 2 000 + 400 = 2 400.00 over 2
    purchases; ending at the replay's start (Jan 01): none."""
    customer_summary_refresh(APR_1)
    a = CustomerSummary.objects.get(customer__name="A")
    jan_10 = Purchase.objects.get(customer__name="A", amount=D("1000.00"))
    assert (a.first_id, a.first_at, a.second_at.date(), a.last_at.date()) == (
        jan_10.pk, jan_10.created_at, day(3, 5), day(3, 20)
    )  # fmt: skip
    assert (a.rfm_purchases, a.rfm_money) == (2, D("2500.00"))
    assert (a.spend_at_end, a.purchases_at_end) == (D("2400.00"), 2)
    assert (a.spend_before, a.purchases_before) == (D("0.00"), 0)
    # B's Mar 03 purchase was refunded in full: B's second counted purchase does not exist.
    b = CustomerSummary.objects.get(customer__name="B")
    assert b.second_at is None and b.rfm_purchases == 0


def test_the_months_by_hand(story):
    """As of Apr 01: A bought Jan 10 (1 000.00), Mar 05 (2 000.00) and Mar 20 (500.00); B's Mar 03 purchase,
    refunded in full Mar 04, has no month; C's Mar 25 one counts net of its Mar 26 refund; as of Mar 04 (the refund not yet recorded by then) it had one."""
    customer_summary_refresh(APR_1)
    a = CustomerSummary.objects.get(customer__name="A").customer_id
    assert list(CustomerMonth.objects.filter(customer_id=a).order_by("month").values_list("month", "net")) == [
        (dt.date(2026, 1, 1), D("1000.00")),
        (MAR_1, D("2500.00")),
    ]
    c = CustomerSummary.objects.get(customer__name="C").customer_id  # Mar 10 800.00, Mar 25 1 200.00 less 200.00
    assert list(CustomerMonth.objects.filter(customer_id=c).values_list("month", "net")) == [(MAR_1, D("1800.00"))]
    b = CustomerSummary.objects.get(customer__name="B").customer_id
    assert not CustomerMonth.objects.filter(customer_id=b, month=MAR_1).exists()
    customer_summary_refresh(dt.date(2026, 3, 4), full=True)
    assert CustomerMonth.objects.filter(customer_id=b, month=MAR_1).exists()


def test_the_periods_from_the_summary_equal_the_subqueries(story):
    customer_summary_refresh(APR_1)
    assert summary_state_for(APR_1) is not None
    starts = [dt.date(2026, 3, 25), day(3, 2), dt.date(2026, 1, 1), MAR_1, MAR_31, dt.date(2025, 10, 1)]
    many = people_and_sales_many(MAR_31, starts)
    for start in starts:
        assert many[start] == (_customer_figures_subqueries(start, MAR_31), _purchase_figures_subqueries(start, MAR_31))
    assert many[MAR_1][0]["woke_up_30"] == 2  # A: Jan 10, then Mar 05; D: Jan 07, then Mar 31 (B: refunded)


def test_rfm_from_the_summary_equals_the_live_pass(short_windows):
    from django.db import connection

    customer_summary_refresh(APR_1)
    with connection.cursor() as cursor:
        cursor.execute(*_customers_summary_sql(as_of=APR_1))
        from_summary = sorted(cursor.fetchall())
        cursor.execute(*_customers_sql(as_of=APR_1, window_days=30))
        live = sorted(cursor.fetchall())
    assert from_summary == live and len(live) == 3  # A, C, D bought in Mar 02 – Mar 31; B's was refunded


def test_cohorts_from_the_summary_equal_the_live_pass(story):
    customer_summary_refresh(APR_1)
    with_summary = cohort_retention(months=6, today=MAR_31)
    CustomerSummaryState.objects.all().delete()
    assert cohort_retention(months=6, today=MAR_31) == with_summary
    assert [c.size for c in with_summary] == [2, 1, 1]  # Jan: A, D; Feb: B; Mar: C


def test_the_nightly_snapshots_refresh_it_and_read_it(story):
    dashboard_snapshot(APR_1)
    assert CustomerSummaryState.objects.get().as_of == APR_1
    rfm_snapshot(APR_1)  # already as of Apr 01: nothing rebuilt
    assert CustomerSummaryState.objects.get().as_of == APR_1


def test_an_older_date_leaves_the_summary_alone(story):
    customer_summary_refresh(APR_1)
    assert customer_summary_refresh(MAR_1) is None
    assert CustomerSummaryState.objects.get().as_of == APR_1
    assert summary_state_for(MAR_1) is None  # readers of Mar 01 compute live


def test_a_backdated_purchase_recorded_later_is_read_by_the_next_refresh(story, customer_factory):
    customer_summary_refresh(APR_1)
    late = customer_factory(name="F", now=at(day(1, 2)))
    buy(late, D("300.00"), now=at(day(2, 15)))  # recorded after the refresh, dated before its day
    customer_summary_refresh(dt.date(2026, 4, 2))
    by_slices = rows()
    customer_summary_refresh(dt.date(2026, 4, 2), full=True)
    assert rows() == by_slices
    assert CustomerSummary.objects.get(customer=late).first_at == at(day(2, 15))


def test_a_refund_recorded_later_is_read_by_the_next_refresh(story):
    customer_summary_refresh(APR_1)
    d_last = Purchase.objects.get(customer__name="D", amount=D("400.00"))
    refund(d_last, now=at(day(4, 1), 9))
    customer_summary_refresh(dt.date(2026, 4, 2))
    d = CustomerSummary.objects.get(customer__name="D")
    assert d.second_at is None and d.last_at.date() == day(1, 7)  # the Mar 31 purchase no longer counts


def test_a_changed_window_rebuilds_in_full(story):
    customer_summary_refresh(MAR_31)
    AnalyticsSettings.objects.update_or_create(pk=1, defaults={"rfm_window_days": 60})
    state = customer_summary_refresh(APR_1)
    assert state.full and state.rfm_window_days == 60
    assert summary_state_for(APR_1, rfm_window_days=365) is None


def test_the_simulator_from_the_summary_equals_the_live_replay(story, customer_factory):
    from django.utils import timezone

    today = timezone.localdate()
    someone = customer_factory(name="G", now=at(today - dt.timedelta(days=200)))
    buy(someone, D("20000.00"), now=at(today - dt.timedelta(days=150)))
    buy(someone, D("1000.00"), now=at(today - dt.timedelta(days=30)))
    program = program_settings_get()
    current = rules_current(program, tiers_list())
    live = simulate(scenario=current, program=program)
    customer_summary_refresh(today)
    assert summary_state_for(today) is not None
    assert simulate(scenario=current, program=program) == live
    assert live.purchases == 1


def test_the_simulators_members_per_tier_from_the_summary_count_only_members_and_those_without_a_row(
    story, customer_factory
):
    """Customers per tier from the summary's rows: H joined today (after E) with a purchase dated yesterday
    has a summary row but is not a member yet; E and F never bought (no row: the tier of no spend); G is
    Silver. Equal to the live replay, for today's rules and for a scenario that moves the thresholds."""
    from django.utils import timezone

    today = timezone.localdate()
    g = customer_factory(name="G", now=at(today - dt.timedelta(days=200)))
    buy(g, D("20000.00"), now=at(today - dt.timedelta(days=150)))
    customer_factory(name="F", now=at(today - dt.timedelta(days=10)))
    h = customer_factory(name="H", now=at(today))
    buy(h, D("3000.00"), now=at(today - dt.timedelta(days=1)))
    program = program_settings_get()
    current = rules_current(program, tiers_list())
    scenario = scenario_with(current, silver={"threshold": D("1000.00")}, gold={"threshold": D("18000.00")})
    live = [simulate(scenario=rules, program=program) for rules in (current, scenario)]
    customer_summary_refresh(today)
    assert summary_state_for(today) is not None
    assert CustomerSummary.objects.filter(customer=h).exists()
    assert [simulate(scenario=rules, program=program) for rules in (current, scenario)] == live
    # Members A, B, C, D, E, F, G (not H), spend over the 365-day tier window: A 3 400, B 3 000, C 1 800,
    # D 1 000, G 20 000, E and F none. Today Silver from 2 500: A, B, G; the scenario's Silver from 1 000
    # and Gold from 18 000: A, B, C, D Silver, G Gold (C, D, G up).
    assert live[0].today.customers_by_tier == {"bronze": 4, "silver": 3, "gold": 0}
    assert live[1].scenario.customers_by_tier == {"bronze": 2, "silver": 4, "gold": 1}
    assert (live[1].moved_up, live[1].moved_down) == (3, 0)


def test_a_purchase_back_dated_before_the_summarys_day_makes_it_stale_until_the_next_refresh(story):
    """Recorded after the refresh but dated Mar 30: the summary of Apr 01 no longer answers (the live
    figures count the purchase); a re-run of the same date rebuilds that customer's row and answers again."""
    customer_summary_refresh(APR_1)
    e = story_customer("E")
    buy(e, D("300.00"), now=at(day(3, 30)))
    assert summary_state_for(APR_1) is None
    assert people_and_sales_many(MAR_31, [MAR_1])[MAR_1][1]["revenue"] == D("5000.00")  # live: 4 700 + 300
    state = customer_summary_refresh(APR_1)
    assert not state.full and state.customers_refreshed == 1
    assert summary_state_for(APR_1) is not None
    assert people_and_sales_many(MAR_31, [MAR_1])[MAR_1][1]["revenue"] == D("5000.00")


def story_customer(name: str):
    from customers.models import Customer

    return Customer.objects.get(name=name)


def test_points_day_totals_added_to_night_by_night_equal_a_rebuild_and_the_live_figures(story):
    """The totals are stored after the story; then C redeems for the first time (Apr 03) and they are
    refreshed; then C redeems again in a purchase recorded late but dated Mar 20, before that first
    redemption: C's first redemption moves to Mar 20. The totals refreshed with only the new rows equal a
    rebuild from every row and the live per-period figures."""
    from analytics.models import PointsDayState, PointsDayTotal
    from analytics.points_days import PointsDays
    from analytics.selectors import _points_figures

    PointsDays()
    c = story_customer("C")
    buy(c, D("300.00"), redeem=20, now=at(day(4, 3)))
    assert PointsDays().figures(MAR_1, dt.date(2026, 4, 3))["redeemers"] == 2  # A (Mar 20), C (Apr 03)
    buy(c, D("300.00"), redeem=10, now=at(day(3, 20), 15))
    added = PointsDays()
    ends = [dt.date(2026, 3, 19), dt.date(2026, 3, 20), MAR_31, dt.date(2026, 4, 3), dt.date(2026, 4, 30)]
    for end in ends:
        for start in (dt.date(2026, 1, 1), dt.date(2026, 3, 20), end):
            assert added.figures(start, end) == _points_figures(start, end), (start, end)
    assert added.figures(MAR_1, dt.date(2026, 3, 20))["redeemers"] == 2  # A and C, both from Mar 20 now
    PointsDayTotal.objects.all().delete()
    PointsDayState.objects.all().delete()
    rebuilt = PointsDays()
    assert (rebuilt.ledger, sorted(rebuilt.lots), sorted(rebuilt.debits)) == (
        added.ledger, sorted(added.lots), sorted(added.debits)
    )  # fmt: skip
    assert {d: n for d, n in rebuilt.first_redeems if n} == {d: n for d, n in added.first_redeems if n}


def test_the_simulators_hand_worked_figures_from_the_nightly_rows(sim_story):  # noqa: F811 - the fixture
    """test_simulator's story (a capped redemption, a partial refund, spend before the window) replayed from
    the summary and the stored window purchases gives its hand-worked figures, for today's rules and for a
    scenario with richer Bronze, a lower Gold and points living 30 days."""
    customer_summary_refresh(TODAY)
    assert ReplayPurchase.objects.count() == 4
    result = simulate(scenario=today_rules(), today=TODAY)
    assert (result.today.points_issued, result.today.points_redeemed) == (806, 1053)
    assert result.today.customers_by_tier == {"bronze": 1, "silver": 2, "gold": 0}
    scenario = scenario_with(
        today_rules(),
        bronze={"cashback_percent": D("10"), "redeem_cap_percent": D("50")},
        gold={"threshold": D("40000.00")},
    )
    assert (simulate(scenario=scenario, today=TODAY).scenario.points_issued,) == (942,)
    from dataclasses import replace

    shorter = replace(scenario, points_lifetime_days=30)
    from_rows = simulate(scenario=shorter, today=TODAY)
    CustomerSummaryState.objects.all().delete()
    assert simulate(scenario=shorter, today=TODAY) == from_rows
