"""RFM snapshots (analytics.services.rfm_snapshot) and their reads (analytics.rfm), on ten hand-built customers.

Snapshot date D = 1 Jun 2026, window 365 days: purchases from 1 Jun 2025 00:00 up to 1 Jun 2026 00:00
(shop time, Europe/Moscow). R = days from the last counted purchase's local date to D; F = counted purchases;
M = Σ (amount − refunds recorded before the window's end). Every purchase is paid in money (no points redeemed).

| customer | purchases in the window (local date: amount)                          | R   | F | M       |
| -------- | ---------------------------------------------------------------------- | --- | - | ------- |
| A        | 2026-03-01, 04-01, 05-10, 05-20, 05-31: 1 000.00 each                   | 1   | 5 | 5000.00 |
| B        | 2026-03-01, 04-01, 05-01: 500.00 each; 05-31 at 01:00 (30 May 22:00 UTC) | 1   | 4 | 2000.00 |
| C        | 2026-05-25: 500.00                                                     | 7   | 1 | 500.00  |
| D        | 2026-02-01: 700.00, 05-20: 800.00                                       | 12  | 2 | 1500.00 |
| E        | 2025-10-01, 2026-01-10, 04-20: 400.00 each                              | 42  | 3 | 1200.00 |
| F        | 2026-01-15: 2 000.00                                                   | 137 | 1 | 2000.00 |
| G        | 2025-09-01, 10-01, 11-01, 12-01, 2026-01-15: 600.00 each                | 137 | 5 | 3000.00 |
| H        | 2025-12-01: 155.55                                                     | 182 | 1 | 155.55  |
| I        | 2025-07-01, 08-01: 250.00 each                                         | 304 | 2 | 500.00  |
| J        | 2025-06-10: 900.00, 400.00 of it refunded on 2025-06-15                 | 356 | 1 | 500.00  |
| K        | 2026-02-01: 300.00, refunded in full on 02-05: nothing counts          | –   | – | –       |
| L        | 2025-05-31 at 20:00 (before the window)                                | –   | – | –       |

Days: 31 May → 1 Jun = 1; 25 May = 7; 20 May = 12; 20 Apr = 11 + 31 = 42; 15 Jan = 17 + 28 + 31 + 30 + 31 = 137;
1 Dec = 31 + 31 + 28 + 31 + 30 + 31 = 182; 1 Aug 2025 = 304; 10 Jun 2025 = 356.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection

from analytics import rfm
from analytics.models import RfmScore, RfmSnapshot
from analytics.rfm_rules import Segment, quintile_edges, rfm_segment, score
from analytics.services import rfm_snapshot
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from loyalty import services
from loyalty.tests.helpers import at, run_daily

S = Segment
DAY = dt.date(2026, 6, 1)
NEXT = dt.date(2026, 7, 1)

pytestmark = pytest.mark.django_db


def _buy(customer, amount: str, day: dt.date, hour: int = 12):
    return services.purchase_record(customer_id=customer.pk, amount=D(amount), now=at(day, hour)).purchase


@pytest.fixture
def shop(program):
    """The ten customers of the module's table (and K, L, who are not scored), in id order A < B < … < L."""
    c = {name: CustomerFactory(name=name, now=at(dt.date(2025, 1, 1))) for name in "ABCDEFGHIJKL"}
    for day in ("2026-03-01", "2026-04-01", "2026-05-10", "2026-05-20", "2026-05-31"):
        _buy(c["A"], "1000.00", dt.date.fromisoformat(day))
    for day in ("2026-03-01", "2026-04-01", "2026-05-01"):
        _buy(c["B"], "500.00", dt.date.fromisoformat(day))
    _buy(c["B"], "500.00", dt.date(2026, 5, 31), hour=1)  # 30 May 22:00 UTC: R must count the shop's date
    _buy(c["C"], "500.00", dt.date(2026, 5, 25))
    _buy(c["D"], "700.00", dt.date(2026, 2, 1))
    _buy(c["D"], "800.00", dt.date(2026, 5, 20))
    for day in ("2025-10-01", "2026-01-10", "2026-04-20"):
        _buy(c["E"], "400.00", dt.date.fromisoformat(day))
    _buy(c["F"], "2000.00", dt.date(2026, 1, 15))
    for day in ("2025-09-01", "2025-10-01", "2025-11-01", "2025-12-01", "2026-01-15"):
        _buy(c["G"], "600.00", dt.date.fromisoformat(day))
    _buy(c["H"], "155.55", dt.date(2025, 12, 1))
    _buy(c["I"], "250.00", dt.date(2025, 7, 1))
    _buy(c["I"], "250.00", dt.date(2025, 8, 1))
    j = _buy(c["J"], "900.00", dt.date(2025, 6, 10))
    services.purchase_refund(purchase_id=j.pk, amount=D("400.00"), now=at(dt.date(2025, 6, 15)))
    k = _buy(c["K"], "300.00", dt.date(2026, 2, 1))
    services.purchase_refund(purchase_id=k.pk, now=at(dt.date(2026, 2, 5)))
    _buy(c["L"], "800.00", dt.date(2025, 5, 31), hour=20)
    return c


def _rows(snapshot) -> dict[str, tuple]:
    scores = RfmScore.objects.filter(snapshot=snapshot).select_related("customer")
    return {
        s.customer.name: (
            s.recency_days,
            s.frequency,
            s.monetary,
            s.recency_score,
            s.frequency_score,
            s.monetary_score,
            s.segment,
        )
        for s in scores
    }


# Quintiles over the 10 scored customers: NTILE(5) puts 2 in each tile, worst first, ties in id order.
# R, most days first: J 356, I 304 | H 182, F 137 | G 137, E 42 | D 12, C 7 | A 1, B 1
#    edges (each tile's fewest days) 304, 137, 42, 7; score = 1 + tiles among the first four whose edge > R:
#    J, I → 1; H 182 (304) → 2; F, G 137 (304; 137 > 137 is false) → 2, though NTILE put G in tile 3;
#    E 42 (304, 137) → 3; D 12, C 7 (304, 137, 42) → 4; A, B 1 (all four) → 5.
# F, fewest first: C 1, F 1 | H 1, J 1 | D 2, I 2 | E 3, B 4 | A 5, G 5
#    edges (each tile's most) 1, 1, 2, 4; score = 1 + edges < F: F 1 → 1 (H, J too, from tile 2);
#    F 2 → 3 (D, I); F 3 → 4 (E); F 4 → 4 (B: 4 < 4 is false); F 5 → 5 (A, G).
# M, least first: H 155.55, C 500 | I 500, J 500 | E 1200, D 1500 | B 2000, F 2000 | G 3000, A 5000
#    edges 500, 500, 1500, 2000; score = 1 + edges < M: H, C, I, J → 1; E 1200 (500, 500) → 3;
#    D 1500 → 3; B, F 2000 (500, 500, 1500) → 4; G, A → 5.
# Segments by (R, F): A (5,5), B (5,4) Champions; C (4,1) Promising; D (4,3) Potential loyalists;
#    E (3,4) Loyal; F (2,1), H (2,1) Hibernating; G (2,5) Can't lose them; I (1,3) At risk; J (1,1) Lost.
EXPECTED = {
    "A": (1, 5, D("5000.00"), 5, 5, 5, S.CHAMPIONS),
    "B": (1, 4, D("2000.00"), 5, 4, 4, S.CHAMPIONS),
    "C": (7, 1, D("500.00"), 4, 1, 1, S.PROMISING),
    "D": (12, 2, D("1500.00"), 4, 3, 3, S.POTENTIAL_LOYALISTS),
    "E": (42, 3, D("1200.00"), 3, 4, 3, S.LOYAL),
    "F": (137, 1, D("2000.00"), 2, 1, 4, S.HIBERNATING),
    "G": (137, 5, D("3000.00"), 2, 5, 5, S.CANT_LOSE),
    "H": (182, 1, D("155.55"), 2, 1, 1, S.HIBERNATING),
    "I": (304, 2, D("500.00"), 1, 3, 1, S.AT_RISK),
    "J": (356, 1, D("500.00"), 1, 1, 1, S.LOST),
}


def test_the_snapshot_scores_every_buyer_by_hand(shop):
    snapshot = rfm_snapshot(DAY, now=at(DAY, 0, 30))
    assert (snapshot.as_of, snapshot.window_days, snapshot.customers) == (DAY, 365, 10)
    assert snapshot.computed_at == at(DAY, 0, 30)
    assert _rows(snapshot) == EXPECTED  # K (fully refunded) and L (before the window) are not scored
    assert snapshot.edges == {
        "recency_days": [304, 137, 42, 7, 1],
        "frequency": [1, 1, 2, 4, 5],
        "monetary": ["500.00", "500.00", "1500.00", "2000.00", "5000.00"],
    }


def test_the_sql_agrees_with_the_pure_rules(shop):
    """The same scores from analytics.rfm_rules on the raw figures the SQL stored."""
    snapshot = rfm_snapshot(DAY)
    rows = list(RfmScore.objects.filter(snapshot=snapshot).order_by("customer_id"))
    r_edges = quintile_edges(sorted((s.recency_days for s in rows), reverse=True))
    f_edges = quintile_edges(sorted(s.frequency for s in rows))
    m_edges = quintile_edges(sorted(s.monetary for s in rows))
    for s in rows:
        assert s.recency_score == score(s.recency_days, r_edges, higher_is_better=False)
        assert s.frequency_score == score(s.frequency, f_edges)
        assert s.monetary_score == score(s.monetary, m_edges)
        assert s.segment == rfm_segment(recency_score=s.recency_score, frequency_score=s.frequency_score)


def test_the_grid_counts_revenue_and_average_check(shop):
    snapshot = rfm_snapshot(DAY)
    cells = {(c.recency_score, c.frequency_score): c for c in rfm.rfm_grid(snapshot)}
    assert len(cells) == 25
    assert [(c.recency_score, c.frequency_score) for c in rfm.rfm_grid(snapshot)][:6] == [
        (5, 1),
        (5, 2),
        (5, 3),
        (5, 4),
        (5, 5),
        (4, 1),
    ]
    filled = {
        key: (c.segment, c.customers, c.revenue, c.purchases, c.average_check)
        for key, c in cells.items()
        if c.customers
    }
    assert filled == {
        (5, 5): (S.CHAMPIONS, 1, D("5000.00"), 5, D("1000.00")),  # A: 5000 / 5
        (5, 4): (S.CHAMPIONS, 1, D("2000.00"), 4, D("500.00")),  # B: 2000 / 4
        (4, 1): (S.PROMISING, 1, D("500.00"), 1, D("500.00")),  # C
        (4, 3): (S.POTENTIAL_LOYALISTS, 1, D("1500.00"), 2, D("750.00")),  # D: 1500 / 2
        (3, 4): (S.LOYAL, 1, D("1200.00"), 3, D("400.00")),  # E: 1200 / 3
        # F and H: (2000.00 + 155.55) / (1 + 1) = 1077.775 → 1077.78 (half up)
        (2, 1): (S.HIBERNATING, 2, D("2155.55"), 2, D("1077.78")),
        (2, 5): (S.CANT_LOSE, 1, D("3000.00"), 5, D("600.00")),  # G: 3000 / 5
        (1, 3): (S.AT_RISK, 1, D("500.00"), 2, D("250.00")),  # I: 500 / 2
        (1, 1): (S.LOST, 1, D("500.00"), 1, D("500.00")),  # J
    }
    empty = cells[(3, 3)]
    assert (empty.segment, empty.customers, empty.revenue, empty.purchases, empty.average_check) == (
        S.NEED_ATTENTION,
        0,
        D("0.00"),
        0,
        None,
    )


def test_movement_since_the_previous_snapshot(shop):
    """A month later (1 Jul 2026, window from 1 Jul 2025): H buys again, a new customer N buys, J's only
    purchase (10 Jun 2025) leaves the window. Nobody else buys, so the others' R grows by 30 days.

    R: A 31, B 31, C 37, D 42, E 72, F 167, G 167, H 1, I 334, N 2.
       worst first: I 334, F 167 | G 167, E 72 | D 42, C 37 | A 31, B 31 | N 2, H 1; edges 167, 72, 37, 31:
       I, F, G → 1 (no edge above 167); E 72 (167) → 2; D 42, C 37 (167, 72) → 3; A, B 31 (167, 72, 37) → 4;
       N 2, H 1 → 5.
    F: A 5, B 4, C 1, D 2, E 3, F 1, G 5, H 2, I 2, N 1.
       fewest first: C 1, F 1 | N 1, D 2 | H 2, I 2 | E 3, B 4 | A 5, G 5; edges 1, 2, 2, 4:
       F 1 → 1; F 2 → 2 (1 < 2); F 3, F 4 → 4 (1, 2, 2); F 5 → 5.
    Segments: A (4,5), B (4,4) Loyal; C (3,1), D (3,2) About to sleep; E (2,4) At risk; F (1,1), I (1,2) Lost;
    G (1,5) Can't lose them; H (5,2) Potential loyalists; N (5,1) New.
    """
    first = rfm_snapshot(DAY)
    _buy(shop["H"], "300.00", dt.date(2026, 6, 30))
    n = CustomerFactory(name="N", now=at(dt.date(2026, 6, 1)))
    _buy(n, "100.00", dt.date(2026, 6, 29))
    second = rfm_snapshot(NEXT)
    assert {name: (row[0], row[1], row[3], row[4], row[6]) for name, row in _rows(second).items()} == {
        "A": (31, 5, 4, 5, S.LOYAL),
        "B": (31, 4, 4, 4, S.LOYAL),
        "C": (37, 1, 3, 1, S.ABOUT_TO_SLEEP),
        "D": (42, 2, 3, 2, S.ABOUT_TO_SLEEP),
        "E": (72, 3, 2, 4, S.AT_RISK),
        "F": (167, 1, 1, 1, S.LOST),
        "G": (167, 5, 1, 5, S.CANT_LOSE),
        "H": (1, 2, 5, 2, S.POTENTIAL_LOYALISTS),
        "I": (334, 2, 1, 2, S.LOST),
        "N": (2, 1, 5, 1, S.NEW),
    }
    assert rfm.rfm_snapshot_latest() == second
    assert rfm.rfm_snapshot_previous(second) == first
    assert rfm.rfm_snapshot_previous(first) is None
    moves = [(m.from_segment, m.to_segment, m.customers) for m in rfm.rfm_movement(second, first)]
    assert moves == [
        (S.CHAMPIONS, S.LOYAL, 2),  # A, B
        (None, S.NEW, 1),  # N: not scored a month ago
        (S.AT_RISK, S.LOST, 1),  # I
        (S.CANT_LOSE, S.CANT_LOSE, 1),  # G stays
        (S.HIBERNATING, S.LOST, 1),  # F
        (S.HIBERNATING, S.POTENTIAL_LOYALISTS, 1),  # H came back
        (S.LOST, None, 1),  # J: no purchase in the window any more
        (S.LOYAL, S.AT_RISK, 1),  # E
        (S.POTENTIAL_LOYALISTS, S.ABOUT_TO_SLEEP, 1),  # D
        (S.PROMISING, S.ABOUT_TO_SLEEP, 1),  # C
    ]
    # Against no previous snapshot, everyone arrives from None.
    assert [(m.from_segment, m.to_segment, m.customers) for m in rfm.rfm_movement(first, None)][:2] == [
        (None, S.CHAMPIONS, 2),
        (None, S.HIBERNATING, 2),
    ]


def test_a_customers_segment_is_their_row_in_the_latest_snapshot(shop):
    """On 1 Jul 2026 (nobody bought in June) J has left the window; 9 customers, NTILE(5) tiles of 2, 2, 2, 2, 1.
    R worst first: I 334, H 212 | F 167, G 167 | E 72, D 42 | C 37, A 31 | B 31; edges 212, 167, 42, 31:
    H, I → 1; A 31 (212, 167, 42) → 4.
    F fewest first: C 1, F 1 | H 1, D 2 | I 2, E 3 | B 4, A 5 | G 5; edges 1, 2, 3, 5: H 1 → 1; I 2 → 2;
    A 5 (1, 2, 3) → 4. So A (4,4) Loyal; H (1,1) and I (1,2) Lost."""
    assert rfm.customer_segment(shop["A"].pk) is None  # no snapshot yet
    rfm_snapshot(DAY)
    rfm_snapshot(NEXT)
    a = rfm.customer_segment(shop["A"].pk)
    assert (a.snapshot.as_of, a.segment, a.recency_days) == (NEXT, S.LOYAL, 31)
    assert rfm.customer_segment(shop["J"].pk) is None  # J is in the older snapshot only
    assert rfm.customer_segment(shop["K"].pk) is None
    lost = rfm.rfm_segment_customer_ids(S.LOST)
    assert sorted(Customer.objects.filter(id__in=lost).values_list("name", flat=True)) == ["H", "I"]
    older = RfmSnapshot.objects.get(as_of=DAY)
    assert list(rfm.rfm_segment_customer_ids(S.LOST, snapshot=older).values_list("customer_id", flat=True)) == [
        shop["J"].pk
    ]


def test_a_second_run_for_the_same_date_replaces_it(shop):
    first = rfm_snapshot(DAY, now=at(DAY, 0, 30))
    first_ids = set(RfmScore.objects.filter(snapshot=first).values_list("id", flat=True))
    # Afterwards: a purchase recorded late but dated in the window (K, 29 May), a refund of A's purchase made
    # after the window's end (2 Jun: it does not change 1 Jun's figures), a purchase on 1 Jun itself (after
    # the window's end: not counted).
    _buy(shop["K"], "250.00", dt.date(2026, 5, 29))
    a_last = shop["A"].purchases.order_by("-created_at").first()
    services.purchase_refund(purchase_id=a_last.pk, now=at(dt.date(2026, 6, 2)))
    _buy(shop["L"], "900.00", DAY, hour=9)
    again = rfm_snapshot(DAY, now=at(DAY, 8))
    assert again.pk == first.pk and RfmSnapshot.objects.count() == 1
    assert again.customers == RfmScore.objects.filter(snapshot=again).count() == 11
    assert not first_ids & set(RfmScore.objects.filter(snapshot=again).values_list("id", flat=True))
    rows = _rows(again)
    assert rows["A"][:3] == (1, 5, D("5000.00"))  # the 2 Jun refund is after the window
    assert rows["K"][:3] == (3, 1, D("250.00"))  # 29 May → 1 Jun: 3 days
    assert "L" not in rows
    assert again.computed_at == at(DAY, 8)


def test_no_buyer_no_rows(program):
    CustomerFactory(name="Nobody")
    snapshot = rfm_snapshot(DAY)
    assert snapshot.customers == 0 and snapshot.edges == {"recency_days": [], "frequency": [], "monetary": []}
    assert all(c.customers == 0 for c in rfm.rfm_grid(snapshot))


def test_the_daily_job_writes_the_snapshot(shop, django_capture_on_commit_callbacks):
    """loyalty's daily run publishes DailyRunFinished; analytics' subscriber queues the snapshot task
    (django-q2 runs it at once in the tests' sync mode)."""
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(DAY)
    snapshot = RfmSnapshot.objects.get(as_of=DAY)
    assert snapshot.window_days == 365 and snapshot.customers == 10
    assert _rows(snapshot) == EXPECTED


def test_chunks_give_the_same_snapshot(shop, monkeypatch):
    """Two customers per INSERT … SELECT (6 chunks over A…L's ids): the same rows as one chunk."""
    monkeypatch.setattr("analytics.services.RFM_CHUNK", 2)
    assert _rows(rfm_snapshot(DAY)) == EXPECTED
    assert connection.vendor in ("postgresql", "sqlite")
