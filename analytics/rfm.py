"""Reads of the RFM snapshots (analytics.services.rfm_snapshot): the grid, the movement, a customer's segment.

Every figure is an aggregate over one snapshot's rows in SQL; money is Decimal in the program's currency.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum

from .models import RfmScore, RfmSnapshot
from .rfm_rules import RF_GRID, SCORES, Segment

CENT = Decimal("0.01")


def rfm_snapshot_latest() -> RfmSnapshot | None:
    """The snapshot with the latest date, or None before the first one."""
    return RfmSnapshot.objects.order_by("-as_of").first()


def rfm_snapshot_previous(snapshot: RfmSnapshot) -> RfmSnapshot | None:
    """The snapshot dated just before `snapshot` (None if it is the first)."""
    return RfmSnapshot.objects.filter(as_of__lt=snapshot.as_of).order_by("-as_of").first()


@dataclass(frozen=True)
class RfmCell:
    recency_score: int
    frequency_score: int
    segment: Segment
    customers: int
    revenue: Decimal  # Σ M (net money in the window) of the cell's customers
    purchases: int  # Σ F of the cell's customers
    average_check: Decimal | None  # revenue / purchases, rounded half up to cents; None for an empty cell


def rfm_grid(snapshot: RfmSnapshot) -> list[RfmCell]:
    """The 5×5 recency × frequency grid of a snapshot, 25 cells: rows R 5 (most recent) down to 1, and in
    each row F 1 to 5. Average check = the cell's money ÷ its purchases (both over the window), so a cell
    of one 10-purchase customer and one 1-purchase customer weighs purchases, not customers."""
    rows = (
        RfmScore.objects.filter(snapshot=snapshot)
        .values("recency_score", "frequency_score")
        .annotate(customers=Count("id"), revenue=Sum("monetary"), purchases=Sum("frequency"))
    )
    found = {(row["recency_score"], row["frequency_score"]): row for row in rows}
    cells = []
    for r in reversed(SCORES):
        for f in SCORES:
            row = found.get((r, f))
            customers = row["customers"] if row else 0
            revenue = (row["revenue"] if row else Decimal("0")).quantize(CENT)
            purchases = row["purchases"] if row else 0
            average = (revenue / purchases).quantize(CENT, rounding=ROUND_HALF_UP) if purchases else None
            cells.append(RfmCell(r, f, RF_GRID[(r, f)], customers, revenue, purchases, average))
    return cells


@dataclass(frozen=True)
class RfmMove:
    from_segment: Segment | None  # None: not scored in the previous snapshot (no purchase in its window)
    to_segment: Segment | None  # None: not scored any more (no purchase in this snapshot's window)
    customers: int


def rfm_movement(snapshot: RfmSnapshot, previous: RfmSnapshot | None) -> list[RfmMove]:
    """How many customers went from each segment of `previous` to each segment of `snapshot` (staying in
    one counts as a move from it to itself), most customers first, then by segment codes. Customers in
    only one of the two appear with None on the other side. `previous` None: everyone comes from None."""
    score_t = RfmScore._meta.db_table
    previous_id = previous.pk if previous is not None else None
    sql = f"""
    SELECT p.segment, c.segment, COUNT(*)
    FROM {score_t} c LEFT JOIN {score_t} p ON p.customer_id = c.customer_id AND p.snapshot_id = %s
    WHERE c.snapshot_id = %s
    GROUP BY p.segment, c.segment
    UNION ALL
    SELECT p.segment, NULL, COUNT(*)
    FROM {score_t} p
    WHERE p.snapshot_id = %s
      AND NOT EXISTS (SELECT 1 FROM {score_t} c WHERE c.snapshot_id = %s AND c.customer_id = p.customer_id)
    GROUP BY p.segment
    """  # noqa: S608 - table names from model metadata; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [previous_id, snapshot.pk, previous_id, snapshot.pk])
        rows = cursor.fetchall()
    moves = [RfmMove(Segment(a) if a else None, Segment(b) if b else None, n) for a, b, n in rows]
    return sorted(moves, key=lambda m: (-m.customers, m.from_segment or "", m.to_segment or ""))


def customer_segment(customer_id: int) -> RfmScore | None:
    """The customer's row in the latest snapshot (scores, segment, raw R/F/M; `.snapshot` loaded), or
    None: no snapshot yet, or no purchase in the latest snapshot's window."""
    latest = rfm_snapshot_latest()
    if latest is None:
        return None
    return RfmScore.objects.select_related("snapshot").filter(snapshot=latest, customer_id=customer_id).first()


def rfm_segment_customer_ids(segment: Segment | str, *, snapshot: RfmSnapshot | None = None) -> QuerySet:
    """The ids of the customers in `segment` in `snapshot` (default: the latest), as a subquery for the
    customer list's filter and its export: `Customer.objects.filter(id__in=rfm_segment_customer_ids(…))`."""
    snapshot = snapshot or rfm_snapshot_latest()
    if snapshot is None:
        return RfmScore.objects.none().values("customer_id")
    return RfmScore.objects.filter(snapshot=snapshot, segment=segment).values("customer_id")
