"""The analytics dashboard (console.views.analytics) on the analytics tests' story (analytics/tests/conftest.py),
whose figures analytics/tests/test_selectors.py works out by hand: the page shows them, with their
definitions, beside the previous period, in English and Russian, and as CSV; a bad period says why."""

import csv
import io
import re
from decimal import Decimal

import pytest

from analytics.tests.conftest import day, story  # noqa: F401 - the fixture, shared with the figures' own tests

pytestmark = pytest.mark.django_db

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
NBSP = "\u00a0"


def row(page: str, key: str) -> list[str]:
    """The cells of a figure's row as text: [label + definition, this period, previous, change]."""
    cells = re.search(rf'<tr data-figure="{key}">(.*?)</tr>', page, re.S).group(1)
    return [
        re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
    ]


def test_the_dashboard_shows_the_period_beside_the_previous_one(console, story):  # noqa: F811
    page = console.get("/analytics/", MARCH).content.decode()
    # March: A 2000 + A 500 + C 800 + C (1200 − 200) + D 400 = 4 700.00 over 5 purchases; before it (Jan 29 –
    # Feb 28) only B's 3 000.00; members 5 against 3 (A, D, B by Feb 28): +66.7 %.
    assert row(page, "members")[1:] == ["5", "3", "+66.7 %".replace(" ", NBSP)]
    assert row(page, "revenue")[1:3] == [f"4,700.00{NBSP}₽", f"3,000.00{NBSP}₽"]
    assert row(page, "avg_check")[1] == f"940.00{NBSP}₽"  # 4 700.00 / 5
    assert row(page, "repeat_rate")[1] == f"75.0{NBSP}%"  # A, C, D of A, B, C, D bought twice or more
    # By the tier held at the purchase (analytics/tests/test_selectors.py): Bronze 1 050.00 now, 3 000.00 before;
    # Silver 500.00 now (A's Mar 20 purchase), none before.
    assert row(page, "avg_check_by_tier.bronze")[:3] == [
        "Average check, Bronze Purchases made while holding this tier.", f"1,050.00{NBSP}₽", f"3,000.00{NBSP}₽",
    ]  # fmt: skip
    assert row(page, "avg_check_by_tier.silver")[1:3] == [f"500.00{NBSP}₽", "—"]
    assert row(page, "revenue")[0].startswith("Revenue Net amount of the period&#x27;s purchases")
    assert 'data-chart="chart-checks"' in page and 'id="chart-checks" type="application/json"' in page


def test_in_russian_labels_and_numbers_are_russian(console, story):  # noqa: F811
    console.cookies["django_language"] = "ru"
    page = console.get("/analytics/", MARCH).content.decode()
    assert row(page, "revenue")[1] == f"4{NBSP}700,00{NBSP}₽"
    assert row(page, "repeat_rate")[1] == f"75,0{NBSP}%"
    assert row(page, "members")[0].startswith("Участники")


def test_the_figures_download_as_csv_with_machine_values(console, story):  # noqa: F811
    response = console.get("/analytics/", MARCH | {"export": "csv"})
    rows = {r[1]: r for r in csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))}
    assert rows["revenue"][2:] == ["4700.00", "3000.00", "0.5667"]  # (4700 − 3000) / 3000
    assert rows["members"][2:4] == ["5", "3"]
    # Every figure the page shows is in the file, the average check by tier too (Bronze 1 050.00 against
    # 3 000.00, Silver 500.00 against none), and the figures that were only in analytics_report.
    assert rows["avg_check_by_tier.bronze"][2:] == ["1050.00", "3000.00", ""]
    assert rows["avg_check_by_tier.silver"][2:4] == ["500.00", ""]
    assert rows["woke_up_30d"][2:4] == ["2", "0"]
    assert rows["second_purchases"][2:4] == ["3", "0"]
    assert rows["liability_expiry_rate"][2:4] == ["0.6970", "1.0000"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "The period ends before it starts."),
        ({"start": "2026-03-01", "end": "2999-01-01"}, "The period cannot end after today"),
        ({"start": "yesterday", "end": "2026-03-01"}, "Enter a valid date."),
        # Year 1 overflowed the previous period's start (a 500); 1000 its local midnight.
        ({"start": "0001-01-01", "end": "2026-11-29"}, "Enter a date between 1 Jan 1900 and 31 Dec 2999."),
        ({"start": "1000-01-01", "end": "2026-11-29", "export": "csv"}, "Enter a date between"),
    ],
)
def test_a_bad_period_says_why(console, program, query, message):
    response = console.get("/analytics/", query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("cashier_user", 403), ("marketing_user", 200)])
def test_marketing_sees_the_dashboard_and_a_cashier_does_not(client, request, program, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/analytics/").status_code == status


def test_the_economics_page_shows_cost_against_revenue_by_month(console, story):  # noqa: F811
    """March 2026 of the story (analytics/tests/test_economics.py works it out): revenue 4 700.00, cost
    100.00 redeemed − 12.00 of liability = 88.00, two returning customers at 44.00 each."""
    page = console.get("/analytics/economics/").content.decode()
    march = re.search(r"<tr><td[^>]*>March 2026</td>(.*?)</tr>", page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", march, re.S)]
    assert cells == [
        f"4,700.00{NBSP}₽", "100", f"100.00{NBSP}₽", f"138.00{NBSP}₽", f"\u221212.00{NBSP}₽",
        f"88.00{NBSP}₽", "2", f"44.00{NBSP}₽",
    ]  # fmt: skip
    rows = list(
        csv.reader(io.StringIO(b"".join(console.get("/analytics/economics/?export=csv").streaming_content).decode()))
    )
    assert ["2026-03", "4700.00", "100", "100.00", "138", "138.00", "-12.00", "88.00", "2", "44.00"] in rows


def test_the_cohort_page_shows_shares_and_revenue_per_member(console, story):  # noqa: F811
    """The story's January cohort (A, D; analytics/tests/test_cohorts.py): both bought in January, nobody
    in February, both in March: 100 %, 0 %, 100 %; 800.00, 0.00, 1 450.00 per member."""
    page = console.get("/analytics/cohorts/").content.decode()
    share = re.search(r'id="cohort-share".*?<td[^>]*>January 2026</td>(.*?)</tr>', page, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", share, re.S)][:4] == [
        "2", f"100.0{NBSP}%", f"0.0{NBSP}%", f"100.0{NBSP}%",
    ]  # fmt: skip
    revenue = re.search(r'id="cohort-revenue".*?<td[^>]*>January 2026</td>(.*?)</tr>', page, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", revenue, re.S)][:4] == [
        "2", f"800.00{NBSP}₽", f"0.00{NBSP}₽", f"1,450.00{NBSP}₽",
    ]  # fmt: skip
    rows = list(
        csv.reader(io.StringIO(b"".join(console.get("/analytics/cohorts/?export=csv").streaming_content).decode()))
    )
    assert ["2026-01", "2", "2", "2", "1.0000", "1450.00"] in rows


def test_a_customers_rfm_segment_on_their_page_and_as_a_list_filter(console, story):  # noqa: F811
    """The scores themselves are worked out in analytics/tests/test_rfm.py; here: the page shows the
    customer's row of the latest snapshot, and the list filters by its segment."""
    from analytics.models import RfmScore
    from analytics.services import rfm_snapshot

    from .test_customers import TestList

    rfm_snapshot(day(4, 1))
    a = RfmScore.objects.select_related("customer").get(customer__name="A")
    page = console.get(f"/customers/{a.customer_id}/").content.decode()
    assert (
        f"Segment: <strong>{a.get_segment_display()}</strong> (R{a.recency_score} F{a.frequency_score} "
        f"M{a.monetary_score}, as of 1 Apr 2026)"
    ) in page
    same = set(RfmScore.objects.filter(segment=a.segment).values_list("customer__name", flat=True))
    listed = TestList.names(None, console.post("/customers/", {"segment": a.segment}, follow=True))
    assert set(listed) == same and "A" in listed
    assert "E" not in listed  # E never bought: in no segment


def test_the_segments_page_shows_the_grid_and_the_moves(console, story):  # noqa: F811
    """Grid cells and moves are computed (and worked out by hand) in analytics/tests/test_rfm.py; here the
    page shows them: A's cell with its segment, and each move in words."""
    from analytics.models import RfmScore, RfmSnapshot
    from analytics.rfm import rfm_movement
    from analytics.services import rfm_snapshot

    assert "No RFM snapshot yet" in console.get("/analytics/segments/").content.decode()
    rfm_snapshot(day(3, 1))
    rfm_snapshot(day(4, 1))
    page = console.get("/analytics/segments/").content.decode()
    a = RfmScore.objects.get(customer__name="A", snapshot__as_of=day(4, 1))
    cell = re.search(rf'<td data-cell="R{a.recency_score}F{a.frequency_score}">(.*?)</td>', page, re.S).group(1)
    assert a.get_segment_display() in cell
    held = set(RfmScore.objects.filter(snapshot__as_of=day(4, 1)).values_list("frequency_score", flat=True))
    empty = [f for f in range(1, 6) if f not in held]
    assert empty  # four buyers, two of them with two purchases: some frequency scores hold nobody
    assert "Customers with the same value share a score" in page
    assert f"Empty now: F{', F'.join(map(str, empty))}." in page
    moves = [m for m in rfm_movement(*RfmSnapshot.objects.order_by("-as_of")) if m.from_segment != m.to_segment]
    assert moves
    for move in moves:
        a_name = move.from_segment.label if move.from_segment else "not scored"
        b_name = move.to_segment.label if move.to_segment else "not scored"
        noun = "customer" if move.customers == 1 else "customers"
        assert f"{move.customers} {noun} moved from {a_name} to {b_name} since 1 Mar 2026." in page


def test_the_segments_page_shows_the_grid_and_the_moves_stored_with_the_snapshot(console, story):  # noqa: F811
    """The figures worked out by hand in analytics/tests/test_rfm_stored.py: A in R2 F4 (At risk) with
    3 500.00 over 3 purchases, and four moves since 1 Mar. The page reads what was stored when 1 Apr was
    written: rows changed afterwards do not show; a snapshot without stored figures is computed live."""
    from analytics.models import RfmScore, RfmSnapshot
    from analytics.services import rfm_snapshot

    rfm_snapshot(day(3, 1))
    second = rfm_snapshot(day(4, 1))
    RfmScore.objects.filter(snapshot=second).update(segment="champions", recency_score=5, frequency_score=5)

    def cell(page: str, name: str) -> str:
        html = re.search(rf'<td data-cell="{name}">(.*?)</td>', page, re.S).group(1)
        return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()  # keeps the no-break spaces

    page = console.get("/analytics/segments/").content.decode()
    assert cell(page, "R2F4") == f"At risk 1 customer 3,500.00{NBSP}₽ · 1,166.67{NBSP}₽"
    assert cell(page, "R5F5") == f"Champions 0 customers 0.00{NBSP}₽ · —"
    moves = re.findall(r"<li>(.*?)</li>", re.search(r'<ul id="rfm-moves">(.*?)</ul>', page, re.S).group(1))
    assert moves == [
        "1 customer moved from not scored to About to sleep since 1 Mar 2026.",
        "1 customer moved from About to sleep to Lost since 1 Mar 2026.",
        "1 customer moved from Hibernating to At risk since 1 Mar 2026.",
        "1 customer moved from Lost to Potential loyalists since 1 Mar 2026.",
    ]
    RfmSnapshot.objects.filter(pk=second.pk).update(grid=None, movement=None)  # as before analytics 0005
    page = console.get("/analytics/segments/").content.decode()
    assert cell(page, "R5F5") == f"Champions 4 customers 9,300.00{NBSP}₽ · 1,162.50{NBSP}₽"  # 9 300.00 / 8
    assert "1 customer moved from Hibernating to Champions since 1 Mar 2026." in page


def test_the_pages_answer_from_the_nightly_snapshot_and_say_as_of_when(console, story):  # noqa: F811
    """After the snapshot of April 1 (figures up to the end of March 31), March is read from it, with the
    same figures as live and the date they are as of; a period no snapshot holds is computed live and says so."""
    from analytics.services import dashboard_snapshot
    from loyalty.tests.helpers import at

    live = console.get("/analytics/", MARCH).content.decode()
    assert 'data-source="live"' in live and "Computed live at" in live
    dashboard_snapshot(day(4, 1), now=at(day(4, 1), 0, 20))
    page = console.get("/analytics/", MARCH).content.decode()
    assert 'data-source="snapshot"' in page
    assert "As of the end of 31 Mar 2026 (computed 1 Apr 2026, 00:20)." in page
    assert row(page, "revenue")[1:3] == [f"4,700.00{NBSP}₽", f"3,000.00{NBSP}₽"]
    assert row(page, "members")[1:] == ["5", "3", "+66.7 %".replace(" ", NBSP)]
    for key in ("revenue", "avg_check", "repeat_rate", "points_outstanding", "avg_check_by_tier.silver"):
        assert row(page, key) == row(live, key)
    custom = console.get("/analytics/", {"start": "2026-03-01", "end": "2026-03-30"}).content.decode()
    assert 'data-source="live"' in custom and "no nightly snapshot holds these figures" in custom
    csv_rows = {r[1]: r for r in csv.reader(io.StringIO(b"".join(
        console.get("/analytics/", MARCH | {"export": "csv"}).streaming_content).decode()))}  # fmt: skip
    assert csv_rows["revenue"][2:] == ["4700.00", "3000.00", "0.5667"]


def test_economics_and_cohorts_answer_from_the_snapshot(console, story):  # noqa: F811
    from analytics.services import dashboard_snapshot
    from loyalty.tests.helpers import at

    assert 'data-source="live"' in console.get("/analytics/economics/").content.decode()
    assert 'data-source="live"' in console.get("/analytics/cohorts/").content.decode()
    dashboard_snapshot(day(4, 1), now=at(day(4, 1), 0, 20))
    economics = console.get("/analytics/economics/").content.decode()
    assert "As of the end of 31 Mar 2026" in economics
    march = re.search(r"<tr><td[^>]*>March 2026</td>(.*?)</tr>", economics, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", march, re.S)][5] == (
        f"88.00{NBSP}₽"
    )
    cohorts = console.get("/analytics/cohorts/").content.decode()
    assert "As of the end of 31 Mar 2026" in cohorts
    share = re.search(r'id="cohort-share".*?<td[^>]*>January 2026</td>(.*?)</tr>', cohorts, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", share, re.S)][:4] == [
        "2", f"100.0{NBSP}%", f"0.0{NBSP}%", f"100.0{NBSP}%",
    ]  # fmt: skip


def test_the_default_period_is_the_snapshots_30_days(console, program):
    """Without a period the dashboard shows the 30 days ending yesterday, with links to the ready periods."""
    import datetime as dt

    from django.utils import timezone

    from analytics.services import dashboard_snapshot

    today = timezone.localdate()
    dashboard_snapshot(today)
    page = console.get("/analytics/").content.decode()
    assert 'data-source="snapshot"' in page
    start = (today - dt.timedelta(days=30)).isoformat()
    end = (today - dt.timedelta(days=1)).isoformat()
    assert f'value="{start}"' in page and f'value="{end}"' in page
    assert f'href="?start={start}&amp;end={end}">Last 30 days</a>' in page


def test_every_single_figure_has_its_change_and_a_fall_in_churn_is_good_news(console, story):  # noqa: F811
    page = console.get("/analytics/", MARCH).content.decode()
    # New members: C, E in March against B before: +100 % (was "—": only some figures had a change).
    assert row(page, "new_members")[1:] == ["2", "1", f"+100.0{NBSP}%"]
    # Asleep 30 days: 1 against 2 (A and D before, analytics/tests/test_selectors.py): −50 %, green.
    assert row(page, "asleep_30d")[1:] == ["1", "2", f"\u221250.0{NBSP}%"]
    cells = re.search(r'<tr data-figure="asleep_30d">(.*?)</tr>', page, re.S).group(1)
    assert f'<span class="text-success">\u221250.0{NBSP}%</span>' in cells
    cells = re.search(r'<tr data-figure="members">(.*?)</tr>', page, re.S).group(1)
    assert f'<span class="text-success">+66.7{NBSP}%</span>' in cells


def test_a_bad_period_keeps_the_key_metric_in_view(console, story):  # noqa: F811
    from analytics.services import analytics_settings_update

    analytics_settings_update(
        actor=None, origin="console", key_metric="avg_check", target_percent=Decimal("15"), target_date=day(6, 1),
        key_metric_days=30, rfm_window_days=365, today=day(4, 1),
    )  # fmt: skip
    page = console.get("/analytics/", {"start": "2026-03-31", "end": "2026-03-01"}).content.decode()
    assert "The period ends before it starts." in page
    assert "No key metric is set" not in page and "Average check" in page


@pytest.mark.parametrize(
    "path", ["/analytics/", "/analytics/economics/", "/analytics/cohorts/", "/analytics/segments/"]
)
def test_the_read_only_pages_refuse_other_methods(console, program, path):
    assert console.get(path).status_code == 200
    assert console.post(path).status_code == 405
    assert console.delete(path).status_code == 405
