"""The RFM rules (analytics.rfm_rules): the grid and the scores' tie rule, without a database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.rfm_rules import RF_GRID, RF_RANGES, SCORES, Segment, ntile_sizes, quintile_edges, rfm_segment, score

S = Segment


def test_the_grid_names_every_cell_once():
    cells = [(r, f) for rs, fs, _segment in RF_RANGES for r in rs for f in fs]
    assert sorted(cells) == [(r, f) for r in SCORES for f in SCORES]  # 25 cells, none twice
    assert {segment for _r, _f, segment in RF_RANGES} == set(Segment)  # every segment has a cell


def test_the_grid_row_by_row():
    # Rows R 5 … 1, columns F 1 … 5 (the table of docs/analytics-rfm.md).
    assert [[RF_GRID[(r, f)] for f in SCORES] for r in (5, 4, 3, 2, 1)] == [
        [S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.CHAMPIONS, S.CHAMPIONS],
        [S.PROMISING, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL],
        [S.ABOUT_TO_SLEEP, S.ABOUT_TO_SLEEP, S.NEED_ATTENTION, S.LOYAL, S.LOYAL],
        [S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE],
        [S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANT_LOSE],
    ]


def test_a_segment_from_scores():
    assert rfm_segment(recency_score=5, frequency_score=1) == S.NEW
    assert rfm_segment(recency_score=1, frequency_score=5) == S.CANT_LOSE
    with pytest.raises(ValueError, match="1–5"):
        rfm_segment(recency_score=0, frequency_score=3)


def test_ntile_sizes_as_sql_cuts_them():
    assert ntile_sizes(10) == [2, 2, 2, 2, 2]
    assert ntile_sizes(12) == [3, 3, 2, 2, 2]  # the first 12 % 5 = 2 tiles get one more
    assert ntile_sizes(3) == [1, 1, 1]  # fewer customers than tiles: tiles 1–3 only
    assert ntile_sizes(0) == []


def test_ties_take_the_lowest_tile():
    # 10 customers' purchase counts, worst first: 1 1 1 1 2 2 3 4 5 5 → tiles {1,1} {1,1} {2,2} {3,4} {5,5};
    # best of each tile (edges): 1, 1, 2, 4, 5.
    edges = quintile_edges([1, 1, 1, 1, 2, 2, 3, 4, 5, 5])
    assert edges == [1, 1, 2, 4, 5]
    # 1: no tile's best is below 1 → 1 (NTILE put the third and fourth "1" in tile 2: they get 1 too).
    # 2: tiles 1 and 2 (best 1) are below → 3.  3: tiles 1, 2, 3 → 4.  4: tiles 1, 2, 3 (4 < 4 is false) → 4.
    # 5: tiles 1–4 → 5.
    assert [score(v, edges) for v in (1, 2, 3, 4, 5)] == [1, 3, 4, 4, 5]


def test_recency_counts_down():
    # Days since the last purchase, worst (most days) first: 356 304 182 137 137 42 12 7 1 1.
    edges = quintile_edges([356, 304, 182, 137, 137, 42, 12, 7, 1, 1])
    assert edges == [304, 137, 42, 7, 1]
    # 137 sits in tiles 2 and 3: both customers get 2 (only tile 1's best, 304 days, is worse).
    assert [score(v, edges, higher_is_better=False) for v in (356, 304, 182, 137, 42, 12, 7, 1)] == [
        1,
        1,
        2,
        2,
        3,
        4,
        4,
        5,
    ]


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=60))
def test_scores_are_1_to_5_equal_values_share_one_and_order_is_kept(values):
    ordered = sorted(values)
    edges = quintile_edges(ordered)
    scores = [score(v, edges) for v in ordered]
    assert all(1 <= s <= 5 for s in scores)
    assert scores == sorted(scores)  # more is never scored lower
    assert len({(v, s) for v, s in zip(ordered, scores, strict=True)}) == len(set(ordered))  # one score per value
    assert score(ordered[0], edges) == 1  # the worst value scores 1


@given(st.lists(st.integers(min_value=0, max_value=12), max_size=60), st.booleans())
def test_edges_from_a_histogram_are_ntiles_edges(values, descending):
    """rfm_rules.histogram_edges (the snapshot's, for recency and frequency) cuts where NTILE(5) cuts."""
    from collections import Counter

    from analytics.rfm_rules import histogram_edges

    ordered = sorted(values, reverse=descending)
    histogram = sorted(Counter(values).items(), reverse=descending)
    assert histogram_edges(histogram) == quintile_edges(ordered)
