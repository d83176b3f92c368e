"""RFM segments (issue #13): the scores' tie rule and the R×F grid that names a customer's segment.

Pure functions, no database. The SQL of `analytics.services.rfm_snapshot` applies the same two rules;
docs/analytics-rfm.md shows the grid as a table.

The grid is the common 5×5 recency × frequency mapping used with quintile scores (the one popularised
as the "RFM segments" regex map: hibernating, at risk, can't lose them, about to sleep, need attention,
loyal, promising, new, potential loyalists, champions), with its bottom-left corner split in two so
that "Lost" has cells of its own: R 1 with F 1–2 is Lost, R 2 with F 1–2 stays Hibernating.
"""

from django.db import models
from django.utils.translation import pgettext_lazy

SCORES = (1, 2, 3, 4, 5)  # every score; 5 is best (most recent, most frequent, most money)


class Segment(models.TextChoices):
    """The named segments; labels carry the context "RFM segment" (short words like "New" and "Lost" mean
    something else on a button)."""

    CHAMPIONS = "champions", pgettext_lazy("RFM segment", "Champions")
    LOYAL = "loyal", pgettext_lazy("RFM segment", "Loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", pgettext_lazy("RFM segment", "Potential loyalists")
    NEW = "new", pgettext_lazy("RFM segment", "New")
    PROMISING = "promising", pgettext_lazy("RFM segment", "Promising")
    NEED_ATTENTION = "need_attention", pgettext_lazy("RFM segment", "Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", pgettext_lazy("RFM segment", "About to sleep")
    AT_RISK = "at_risk", pgettext_lazy("RFM segment", "At risk")
    CANT_LOSE = "cant_lose", pgettext_lazy("RFM segment", "Can't lose them")
    HIBERNATING = "hibernating", pgettext_lazy("RFM segment", "Hibernating")
    LOST = "lost", pgettext_lazy("RFM segment", "Lost")


# (recency scores, frequency scores, segment): every (R, F) pair falls in exactly one row.
RF_RANGES: tuple[tuple[range, range, Segment], ...] = (
    (range(5, 6), range(4, 6), Segment.CHAMPIONS),
    (range(3, 5), range(4, 6), Segment.LOYAL),
    (range(4, 6), range(2, 4), Segment.POTENTIAL_LOYALISTS),
    (range(5, 6), range(1, 2), Segment.NEW),
    (range(4, 5), range(1, 2), Segment.PROMISING),
    (range(3, 4), range(3, 4), Segment.NEED_ATTENTION),
    (range(3, 4), range(1, 3), Segment.ABOUT_TO_SLEEP),
    (range(1, 3), range(3, 5), Segment.AT_RISK),
    (range(1, 3), range(5, 6), Segment.CANT_LOSE),
    (range(2, 3), range(1, 3), Segment.HIBERNATING),
    (range(1, 2), range(1, 3), Segment.LOST),
)

RF_GRID: dict[tuple[int, int], Segment] = {(r, f): segment for rs, fs, segment in RF_RANGES for r in rs for f in fs}


def rfm_segment(*, recency_score: int, frequency_score: int) -> Segment:
    """The segment of a customer with these scores (ints 1–5), by the grid above (RF_RANGES).
    The monetary score does not choose the segment: it is kept beside it (the grid's revenue column)."""
    try:
        return RF_GRID[(recency_score, frequency_score)]
    except KeyError:
        raise ValueError(f"RFM scores are 1–5, not R={recency_score}, F={frequency_score}") from None


def ntile_sizes(count: int, tiles: int = 5) -> list[int]:
    """How many rows SQL's NTILE(tiles) puts in each tile, first tile first: the first `count % tiles`
    tiles get one row more (SQL:2003, as PostgreSQL and SQLite do it). Fewer rows than tiles: one per tile."""
    base, extra = divmod(count, tiles)
    return [base + (1 if k < extra else 0) for k in range(tiles) if base + (1 if k < extra else 0)]


def quintile_edges(values_worst_first: list, tiles: int = 5) -> list:
    """Each tile's best value when `values_worst_first` (one per customer, sorted from worst to best) is
    cut by NTILE(tiles): the edges `score` compares with."""
    edges, start = [], 0
    for size in ntile_sizes(len(values_worst_first), tiles):
        start += size
        edges.append(values_worst_first[start - 1])
    return edges


def histogram_edges(counts_worst_first: list[tuple], tiles: int = 5) -> list:
    """quintile_edges from a histogram instead of every value: `counts_worst_first` is [(value, customers)]
    with distinct values sorted from worst to best. The same edges (a tile's best value is the value at its
    last row), read from a few hundred rows (days since the last purchase, purchase counts) instead of a
    sort of one row per customer."""
    edges: list = []
    position, index, seen = 0, 0, 0
    for size in ntile_sizes(sum(count for _value, count in counts_worst_first), tiles):
        position += size
        while seen + counts_worst_first[index][1] < position:
            seen += counts_worst_first[index][1]
            index += 1
        edges.append(counts_worst_first[index][0])
    return edges


def score(value, edges: list, *, higher_is_better: bool = True) -> int:
    """The score (1–5) of `value` given the tiles' best values (`quintile_edges`, at most 5).

    Ties: a customer gets the LOWEST tile that holds their value, i.e. 1 + the number of tiles (of the
    first four) whose best value is still worse than theirs. Equal values always share a score; a value
    that NTILE split over two tiles goes to the lower one (if 60 % bought once, they all score F = 1,
    and F = 5 means "more purchases than at least 80 % of buyers", never "also bought once")."""
    worse = 0
    for edge in edges[:4]:
        if (edge < value) if higher_is_better else (edge > value):
            worse += 1
    return 1 + worse
