"""The period figures (docs/analytics.md) on the story of conftest.py, every answer worked out by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from analytics.selectors import period_kpis
from loyalty.models import Purchase
from loyalty.rules import local_midnight
from loyalty.services import points_adjust, points_award
from loyalty.tests.helpers import at, refund

from .conftest import MAR_1, MAR_31, day

D = Decimal


@pytest.mark.django_db
def test_period_kpis_on_the_story(story):
    report = period_kpis(MAR_1, MAR_31)
    assert report["period"]["start"] == "2026-03-01"
    assert report["period"]["end"] == "2026-03-31"
    assert report["previous_period"]["start"] == "2026-01-29"  # 31 days: Jan 29..Feb 28
    assert report["previous_period"]["end"] == "2026-02-28"

    assert report["period"]["figures"] == {
        # A, B, C, D, E joined before Apr 01; C (Mar 02) and E (Mar 15) in March.
        "members": 5,
        "new_members": 2,
        # A counted purchase since Jan 01 (the 90 days Jan 01..Mar 31): A, B (Feb 10), C, D (Jan 07).
        "active_members": 4,
        # Bought in March (B's only March purchase was refunded in full): A, C, D.
        "buyers": 3,
        # A 2000 + A 500 + C 800 + C (1200 − 200) + D 400 = 4700.00 over 5 purchases.
        "purchases": 5,
        "revenue": D("4700.00"),
        # Customers with 2+ counted purchases / with 1+: A, C, D of A, B, C, D = 3 / 4.
        "repeat_rate": D("0.7500"),
        # First counted purchase in March: C only (Mar 10); C came back on Mar 25, 15 days later — but C's
        # first is not 30 days before Apr 01 (it would have to be by Mar 02): no conversion to show yet.
        "first_time_buyers": 1,
        "second_purchase_30d_rate": None,
        "second_purchase_60d_rate": None,
        "second_purchase_90d_rate": None,
        # 5 purchases / 3 buyers = 1.666… → 1.67
        "purchase_frequency": D("1.67"),
        # Second purchases made in March: A (Jan 10 → Mar 05: 54 days), C (Mar 10 → Mar 25: 15 days),
        # D (Jan 07 12:00 → Mar 31 18:00: 83.25 days); (54 + 15 + 83.25) / 3 = 50.75
        "second_purchases": 3,
        "days_to_second_purchase_mean": D("50.75"),
        # 4700 / 5 = 940.00; first purchases: C's 800 / 1; repeat: (2000 + 500 + 1000 + 400) / 4 = 975.00
        "avg_check": D("940.00"),
        "avg_check_first": D("800.00"),
        "avg_check_repeat": D("975.00"),
        # A's Mar 20 purchase was made as Silver (upgraded by the Mar 05 one); the rest as Bronze:
        # (2000 + 800 + 1000 + 400) / 4 = 1050.00
        "avg_check_by_tier": {"bronze": D("1050.00"), "silver": D("500.00")},
        # Earned in March: 70 (B) + 100 (A) + 40 (C) + 28 (A) + 60 (C) + 20 (D) = 318
        "points_issued": 318,
        "points_redeemed": 100,
        # 100 / 318 = 0.31446… → 0.3145
        "redemption_rate": D("0.3145"),
        # Members who ever redeemed: A of 5
        "members_ever_redeemed_share": D("0.2000"),
        # Outstanding at E (lots not burnt by then): A 28 (the Mar 05 lot was spent), C 40 + (60 − 10),
        # D 20 = 138; B's Mar 03 lot was reversed. 138 / 5 members = 27.60
        "avg_balance": D("27.60"),
        "points_expired": 150,
        # 150 expired / (150 expired + 100 redeemed)
        "breakage_rate": D("0.6000"),
        "points_outstanding": 138,
        "points_pending": 20,
        "liability_value": D("138.00"),
        # Expired up to E: 30 + 50 + 150 = 230; redeemed 100: 230 / 330 = 0.69696… → 0.6970
        "liability_expiry_rate": D("0.6970"),
        # 138.00 × (1 − 0.6970) = 41.814 → 41.81
        "liability_expected_cost": D("41.81"),
        # Last counted purchase before Mar 02 (none in the 30 days Mar 02..Mar 31): B (Feb 10).
        # Before Jan 31 (60 days) or Jan 01 (90 days): nobody.
        "asleep_30d": 1,
        "asleep_60d": 0,
        "asleep_90d": 0,
        # March buyers whose last purchase before March was before Jan 30 (asleep 30 days at Mar 01):
        # A (Jan 10) and D (Jan 07); before Dec 31 or Dec 01: nobody.
        "woke_up_30d": 2,
        "woke_up_60d": 0,
        "woke_up_90d": 0,
    }

    assert report["previous_period"]["figures"] == {
        "members": 3,  # A, D, B
        "new_members": 1,  # B (Feb 01)
        "active_members": 3,  # a purchase since Dec 01: A, D, B
        "buyers": 1,  # B
        "purchases": 1,
        "revenue": D("3000.00"),
        "repeat_rate": D("0.0000"),  # nobody had 2 purchases by Mar 01: 0 / 3
        "first_time_buyers": 1,  # B (Feb 10), who had not come back by Mar 01 — less than 30 days before it
        "second_purchase_30d_rate": None,
        "second_purchase_60d_rate": None,
        "second_purchase_90d_rate": None,
        "purchase_frequency": D("1.00"),
        "second_purchases": 0,
        "days_to_second_purchase_mean": None,
        "avg_check": D("3000.00"),
        "avg_check_first": D("3000.00"),
        "avg_check_repeat": None,
        "avg_check_by_tier": {"bronze": D("3000.00")},  # B bought as Bronze, then moved up
        "points_issued": 150,
        "points_redeemed": 0,
        "redemption_rate": D("0.0000"),
        "members_ever_redeemed_share": D("0.0000"),
        "avg_balance": D("50.00"),  # B's 150 / 3 members
        "points_expired": 80,  # D's 30 (Feb 06) + A's 50 (Feb 09)
        "breakage_rate": D("1.0000"),  # 80 / (80 + 0)
        "points_outstanding": 150,
        "points_pending": 0,  # spendable since Feb 12
        "liability_value": D("150.00"),
        "liability_expiry_rate": D("1.0000"),  # 80 / (80 + 0)
        "liability_expected_cost": D("0.00"),  # 150.00 × (1 − 1)
        "asleep_30d": 2,  # last purchase before Jan 30: A (Jan 10), D (Jan 07)
        "asleep_60d": 0,
        "asleep_90d": 0,
        "woke_up_30d": 0,
        "woke_up_60d": 0,
        "woke_up_90d": 0,
    }

    expected_changes = {
        "members": D("0.6667"),  # (5 − 3) / 3
        "active_members": D("0.3333"),  # (4 − 3) / 3
        "buyers": D("2.0000"),  # (3 − 1) / 1
        "revenue": D("0.5667"),  # (4700 − 3000) / 3000
        "repeat_rate": None,  # from 0
        "purchase_frequency": D("0.6700"),  # (1.67 − 1.00) / 1.00
        "avg_check": D("-0.6867"),  # (940 − 3000) / 3000 = −0.68666…
        "avg_check_first": D("-0.7333"),  # (800 − 3000) / 3000
        "avg_check_repeat": None,  # none before
        "points_issued": D("1.1200"),  # (318 − 150) / 150
        "points_redeemed": None,  # from 0
        "liability_value": D("-0.0800"),  # (138 − 150) / 150
        "asleep_90d": None,  # from 0
        "new_members": D("1.0000"),  # (2 − 1) / 1
        "asleep_30d": D("-0.5000"),  # (1 − 2) / 2
        "days_to_second_purchase_mean": None,  # none before
    }
    assert {key: report["change"][key] for key in expected_changes} == expected_changes
    # Every figure that is one number has its change; the average check by tier (an object) has none.
    assert set(report["change"]) == set(report["period"]["figures"]) - {"avg_check_by_tier"}


@pytest.mark.django_db
def test_a_refund_after_the_period_does_not_change_it(story):
    """Figures use only what was recorded by the period's end: refunding A's Mar 05 purchase in April
    leaves March as it was."""
    before = period_kpis(MAR_1, MAR_31)
    purchase = Purchase.objects.get(customer__name="A", amount=D("2000.00"))
    refund(purchase, now=at(day(4, 2)))
    assert period_kpis(MAR_1, MAR_31) == before


@pytest.mark.django_db
def test_an_empty_program(program):
    figures = period_kpis(MAR_1, MAR_31)["period"]["figures"]
    assert figures["members"] == 0
    assert figures["revenue"] == D("0.00")
    assert figures["avg_check"] is None
    assert figures["repeat_rate"] is None
    assert figures["avg_check_by_tier"] == {}
    assert figures["liability_expected_cost"] == D("0.00")


COUNTED = """
    WITH counted AS (
        SELECT p.id, p.customer_id, p.created_at,
               p.amount - COALESCE((SELECT SUM(r.amount) FROM loyalty_refund r
                                    WHERE r.purchase_id = p.id AND r.created_at < %(E)s), 0) AS net
        FROM loyalty_purchase p
        WHERE p.created_at < %(E)s
          AND p.amount - COALESCE((SELECT SUM(r.amount) FROM loyalty_refund r
                                   WHERE r.purchase_id = p.id AND r.created_at < %(E)s), 0) > 0
    )
"""


@pytest.mark.django_db
def test_the_sql_of_the_docs_gives_the_same_figures(story):
    """docs/analytics.md's SQL, run as written (counted(:E) as a CTE), agrees with period_kpis."""
    figures = period_kpis(MAR_1, MAR_31)["period"]["figures"]
    params = {"S": local_midnight(MAR_1), "E": local_midnight(dt.date(2026, 4, 1))}
    with connection.cursor() as cursor:
        cursor.execute(
            COUNTED  # noqa: S608 - constant SQL, values are parameters
            + """
            SELECT COUNT(*), SUM(net) FROM counted WHERE created_at >= %(S)s
            """,
            params,
        )
        assert cursor.fetchone() == (figures["purchases"], figures["revenue"])
        cursor.execute(
            COUNTED  # noqa: S608 - constant SQL, values are parameters
            + """
            SELECT ROUND(COUNT(*) FILTER (WHERE second_at IS NOT NULL)::numeric
                         / NULLIF(COUNT(*) FILTER (WHERE first_at IS NOT NULL), 0), 4)
            FROM (SELECT c.id,
                         (SELECT created_at FROM counted p WHERE p.customer_id = c.id
                          ORDER BY created_at, id LIMIT 1) AS first_at,
                         (SELECT created_at FROM counted p WHERE p.customer_id = c.id
                          ORDER BY created_at, id OFFSET 1 LIMIT 1) AS second_at
                  FROM customers_customer c WHERE c.created_at < %(E)s) x
            """,
            params,
        )
        assert cursor.fetchone() == (figures["repeat_rate"],)
        cursor.execute(
            """
            SELECT SUM(l.points) - COALESCE((SELECT SUM(d.points) FROM loyalty_lotdebit d
                                             JOIN loyalty_ledgerentry e ON e.id = d.entry_id
                                             JOIN loyalty_pointslot l2 ON l2.id = d.lot_id
                                             WHERE e.created_at < %(E)s AND l2.created_at < %(E)s
                                               AND (l2.expires_at IS NULL OR l2.expires_at > %(E)s)), 0)
            FROM loyalty_pointslot l
            WHERE l.created_at < %(E)s AND (l.expires_at IS NULL OR l.expires_at > %(E)s)
            """,
            params,
        )
        assert cursor.fetchone() == (figures["points_outstanding"],)


@pytest.mark.django_db
def test_points_issued_counts_bonuses_and_added_points_only(program, customer_factory, user_factory):
    """Issued: earn, bonus, import and adjustments that add points; a deduction is not negative issuance."""
    staff = user_factory()
    anna = customer_factory(now=at(dt.date(2026, 2, 20)))
    points_award(customer_id=anna.pk, points=25, reason="welcome", now=at(MAR_1))
    points_adjust(customer_id=anna.pk, points=10, reason="goodwill", actor=staff, now=at(day(3, 2)))
    points_adjust(customer_id=anna.pk, points=-5, reason="correction", actor=staff, now=at(day(3, 3)))
    figures = period_kpis(MAR_1, MAR_31)["period"]["figures"]
    assert figures["points_issued"] == 35  # 25 bonus + 10 added; the −5 is left out
    assert figures["points_outstanding"] == 30  # 25 + 10 − 5
    assert figures["avg_balance"] == D("30.00")  # one member
    assert figures["redemption_rate"] == D("0.0000")  # 0 / 35
    assert figures["buyers"] == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (MAR_1, MAR_31),
        (dt.date(2026, 1, 29), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 3, 4), dt.date(2026, 3, 4)),  # the day B's purchase was refunded in full
        (dt.date(2026, 3, 25), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),  # after the story: everyone asleep
    ],
)
def test_the_one_pass_customer_figures_equal_the_subqueries(story, start, end):
    """PostgreSQL counts members, buyers, returns and churn in one pass over the purchases; the ORM's
    per-customer subqueries (the SQLite path) are the reference."""
    from analytics.selectors import _customer_figures_subqueries, _people_and_sales_sql

    assert _people_and_sales_sql(start, end)[0] == _customer_figures_subqueries(start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (MAR_1, MAR_31),
        (dt.date(2026, 1, 29), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 3, 3), dt.date(2026, 3, 4)),  # B's purchase, refunded in full the next day
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),  # no purchase
    ],
)
def test_the_one_pass_purchase_figures_equal_the_subqueries(story, start, end):
    """PostgreSQL's one query for purchases, revenue and the average checks (first / repeat, by the tier held
    at the purchase) against the ORM's per-purchase subqueries (the SQLite path)."""
    from analytics.selectors import _people_and_sales_sql, _purchase_figures_subqueries

    assert _people_and_sales_sql(start, end)[1] == _purchase_figures_subqueries(start, end)


def test_the_points_of_many_periods_from_one_pass_equal_each_periods_own(story):
    """analytics.points_days (the nightly snapshot's: the ledger and the lots read once, by local day) gives
    _points_figures for every period: the story's lots burn at midnight, one is pending at E (D's Mar 31
    purchase), A redeemed once (Mar 20)."""
    from analytics.points_days import PointsDays
    from analytics.selectors import _points_figures

    days = PointsDays()
    ends = [dt.date(2026, 1, 6), dt.date(2026, 2, 5), dt.date(2026, 2, 6), dt.date(2026, 2, 8), dt.date(2026, 3, 11)]
    ends += [dt.date(2026, 3, 12), dt.date(2026, 3, 19), dt.date(2026, 3, 20), MAR_31, dt.date(2026, 4, 1)]
    for end in ends:
        for start in (dt.date(2025, 12, 1), dt.date(2026, 2, 6), end):
            if start <= end:
                assert days.figures(start, end) == _points_figures(start, end), (start, end)
    assert days.figures(MAR_1, MAR_31)["pending"] == 20 and days.figures(MAR_1, MAR_31)["redeemers"] == 1


def test_the_periods_ending_on_one_day_in_one_statement_equal_each_alone(story):
    """people_and_sales_many (the nightly snapshot's: the last 7, 30, 90 days and the month so far end on the
    same day) gives for each start what the ORM's subqueries give for that period alone."""
    from analytics.selectors import _customer_figures_subqueries, _purchase_figures_subqueries, people_and_sales_many

    starts = [dt.date(2026, 3, 25), day(3, 2), dt.date(2026, 1, 1), MAR_1, MAR_31]
    many = people_and_sales_many(MAR_31, starts)
    assert list(many) == starts
    for start in starts:
        assert many[start] == (_customer_figures_subqueries(start, MAR_31), _purchase_figures_subqueries(start, MAR_31))
    assert many[MAR_1][1]["revenue"] == Decimal("4700.00") and many[MAR_31][1]["purchases"] == 1  # D's 400.00


@pytest.mark.django_db
def test_second_purchase_conversion_counts_only_first_purchases_whose_window_is_over(story):
    """Jan 01 – Mar 31 (E = Apr 01): first purchases D Jan 07, A Jan 10, B Feb 10, C Mar 10; seconds: D Mar 31
    (83 days), A Mar 05 (54 days), B none (Mar 03 refunded in full), C Mar 25 (15 days).
    30 days: firsts by Mar 02 — D, A, B — none back within 30 days: 0 / 3. 60 days: firsts by Jan 31 — D, A
    — A back in 54 days: 1 / 2. 90 days: firsts by Jan 01 — none: no figure (—), instead of the same share
    three times."""
    figures = period_kpis(dt.date(2026, 1, 1), MAR_31)["period"]["figures"]
    assert figures["first_time_buyers"] == 4
    assert (figures["second_purchase_30d_rate"], figures["second_purchase_60d_rate"]) == (D("0.0000"), D("0.5000"))
    assert figures["second_purchase_90d_rate"] is None
