"""The grid and the movement stored with each RFM snapshot (analytics.services.rfm_snapshot), on the `story`.

Snapshots of 1 Mar and 1 Apr 2026, window 365 days (the story in analytics/tests/conftest.py):

1 Mar: A (last bought 10 Jan: R 50, F 1), B (10 Feb: R 19, F 1), D (7 Jan: R 53, F 1); 3 customers, one per
    NTILE tile. R worst first: D 53 | A 50 | B 19, edges 53, 50, 19: D → 1, A → 2, B → 3. F: all 1 → 1.
    D (1,1) Lost, A (2,1) Hibernating, B (3,1) About to sleep.
1 Apr: A (10 Jan, 5 Mar, 20 Mar: R 12, F 3, M 1 000 + 2 000 + 500 = 3 500.00), B (10 Feb: R 50, F 1,
    M 3 000.00; the 3 Mar purchase was refunded in full), C (10 Mar, 25 Mar: R 7, F 2, M 800 + 1 000 = 1 800.00),
    D (7 Jan, 31 Mar 18:00: R 1, F 2, M 1 000.00); one customer per tile.
    R worst first: B 50 | A 12 | C 7 | D 1, edges 50, 12, 7, 1: B → 1, A → 2, C → 3, D → 4.
    F fewest first (ties by id: D before C): B 1 | D 2 | C 2 | A 3, edges 1, 2, 2, 3: B → 1, D, C → 2, A → 4.
    A (2,4) At risk, B (1,1) Lost, C (3,2) About to sleep, D (4,2) Potential loyalists.
Movement 1 Mar → 1 Apr: C from none to About to sleep, B About to sleep → Lost, A Hibernating → At risk,
D Lost → Potential loyalists, one customer each.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from analytics import rfm
from analytics.models import RfmScore, RfmSnapshot
from analytics.rfm_rules import Segment as S
from analytics.services import rfm_snapshot, rfm_snapshots_prune
from analytics.tests.conftest import day

pytestmark = pytest.mark.django_db

MOVES = [
    [None, "about_to_sleep", 1],  # C
    ["about_to_sleep", "lost", 1],  # B
    ["hibernating", "at_risk", 1],  # A
    ["lost", "potential_loyalists", 1],  # D
]
GRID = [  # r, f, customers, revenue, purchases
    [1, 1, 1, "3000.00", 1],  # B
    [2, 4, 1, "3500.00", 3],  # A
    [3, 2, 1, "1800.00", 2],  # C
    [4, 2, 1, "1000.00", 2],  # D
]


def test_the_snapshot_stores_its_grid_and_the_movement_from_the_previous_one(story):
    first = rfm_snapshot(day(3, 1))
    second = rfm_snapshot(day(4, 1))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.movement == {
        "previous": None,
        "moves": [[None, "about_to_sleep", 1], [None, "hibernating", 1], [None, "lost", 1]],
    }
    assert first.grid == [[1, 1, 1, "600.00", 1], [2, 1, 1, "1000.00", 1], [3, 1, 1, "3000.00", 1]]
    assert second.movement == {"previous": "2026-03-01", "moves": MOVES}
    assert second.grid == GRID
    # The stored movement is the live join of both snapshots' rows, and the stored grid the live GROUP BY.
    assert second.movement == rfm.rfm_movement_stored(second, first)
    assert rfm.rfm_movement_since_previous(second) == (first, rfm.rfm_movement(second, first))
    # The FULL JOIN (PostgreSQL) and the LEFT JOIN + anti-join (SQLite) count the same.
    for previous, current in ((first, second), (None, first), (second, first)):
        assert rfm.rfm_movement(current, previous, full_join=True) == rfm.rfm_movement(
            current, previous, full_join=False
        )
    assert second.grid == rfm.rfm_grid_rows(second)
    cell = {(c.recency_score, c.frequency_score): c for c in rfm.rfm_grid(second)}[(2, 4)]
    assert (cell.segment, cell.customers, cell.revenue, cell.purchases) == (S.AT_RISK, 1, D("3500.00"), 3)
    assert cell.average_check == D("1166.67")  # 3 500.00 / 3, half up


def test_the_reads_use_the_stored_figures_and_compute_live_only_without_them(story):
    first = rfm_snapshot(day(3, 1))
    second = rfm_snapshot(day(4, 1))
    # Rows changed behind the snapshot's back (nothing in the product does this): the reads keep the
    # figures stored when the snapshot was written…
    RfmScore.objects.filter(snapshot=second).update(segment=S.CHAMPIONS, recency_score=5, frequency_score=5)
    second.refresh_from_db()
    previous, moves = rfm.rfm_movement_since_previous(second)
    assert previous == first
    assert [[m.from_segment, m.to_segment, m.customers] for m in moves] == MOVES
    assert {(c.recency_score, c.frequency_score): c.customers for c in rfm.rfm_grid(second) if c.customers} == {
        (1, 1): 1,
        (2, 4): 1,
        (3, 2): 1,
        (4, 2): 1,
    }
    # …and a snapshot written before they were stored (None) is computed live from its rows.
    RfmSnapshot.objects.filter(pk=second.pk).update(grid=None, movement=None)
    second.refresh_from_db()
    _previous, moves = rfm.rfm_movement_since_previous(second)
    assert [(m.from_segment, m.to_segment, m.customers) for m in moves] == [
        (None, S.CHAMPIONS, 1),  # C
        (S.ABOUT_TO_SLEEP, S.CHAMPIONS, 1),  # B
        (S.HIBERNATING, S.CHAMPIONS, 1),  # A
        (S.LOST, S.CHAMPIONS, 1),  # D
    ]
    grid = {(c.recency_score, c.frequency_score): c for c in rfm.rfm_grid(second) if c.customers}
    assert list(grid) == [(5, 5)]
    assert (grid[(5, 5)].customers, grid[(5, 5)].revenue, grid[(5, 5)].purchases) == (4, D("9300.00"), 8)


def test_a_back_filled_or_replayed_date_refreshes_the_movement_of_the_snapshot_after_it(story):
    first = rfm_snapshot(day(3, 1))
    rfm_snapshot(day(4, 1))
    middle = rfm_snapshot(day(3, 15))  # written later, dated between: 1 Apr's previous is now 15 Mar
    second = RfmSnapshot.objects.get(as_of=day(4, 1))
    assert second.movement["previous"] == "2026-03-15"
    assert second.movement == rfm.rfm_movement_stored(second, middle)
    assert rfm.rfm_movement_since_previous(second) == (middle, rfm.rfm_movement(second, middle))
    # 15 Mar: A (10 Jan, 5 Mar: F 2), B (10 Feb), C (10 Mar), D (7 Jan); the movement to it is from 1 Mar.
    assert middle.movement["previous"] == "2026-03-01"
    assert middle.movement == rfm.rfm_movement_stored(middle, first)
    assert sum(n for _a, _b, n in middle.movement["moves"]) == 4  # A, B, D were scored on 1 Mar; C is new


def test_a_snapshot_deleted_by_retention_goes_with_its_figures_and_the_next_one_is_read_live(story):
    """L = 1 Apr 2026 keeps every snapshot after 25 Feb 2026 and the first of each month from Apr 2024:
    the snapshot of 1 Jan 2024 (nobody had bought yet: no rows) is deleted, with its stored figures."""
    old = rfm_snapshot(dt.date(2024, 1, 1))
    first = rfm_snapshot(day(3, 1))
    rfm_snapshot(day(4, 1))
    assert old.grid == [] and first.movement["previous"] == "2024-01-01"
    assert rfm_snapshots_prune() == 1
    assert list(RfmSnapshot.objects.values_list("as_of", flat=True)) == [day(4, 1), day(3, 1)]
    first.refresh_from_db()
    # 1 Mar's stored movement was against 1 Jan 2024, gone: it is now the first snapshot, read live.
    assert rfm.rfm_snapshot_previous(first) is None
    previous, moves = rfm.rfm_movement_since_previous(first)
    assert previous is None
    assert [(m.from_segment, m.to_segment, m.customers) for m in moves] == [
        (None, S.ABOUT_TO_SLEEP, 1),
        (None, S.HIBERNATING, 1),
        (None, S.LOST, 1),
    ]
