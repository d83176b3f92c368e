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


def rfm_grid_rows(snapshot: RfmSnapshot) -> list[list]:
    """The grid's non-empty cells aggregated live over the snapshot's rows (one GROUP BY on the unique
    (snapshot, customer) index), in the form stored in `RfmSnapshot.grid`: [[r, f, customers,
    "revenue", purchases], …] ordered by r, f; revenue = Σ M as a string of cents (Decimal, the
    program's currency), purchases = Σ F. Run by analytics.services.rfm_snapshot when it writes the
    snapshot, and by rfm_grid for a snapshot written before the grid was stored."""
    rows = (
        RfmScore.objects.filter(snapshot=snapshot)
        .values("recency_score", "frequency_score")
        .annotate(customers=Count("id"), revenue=Sum("monetary"), purchases=Sum("frequency"))
        .order_by("recency_score", "frequency_score")
    )
    return [
        [
            row["recency_score"],
            row["frequency_score"],
            row["customers"],
            str(Decimal(str(row["revenue"])).quantize(CENT, rounding=ROUND_HALF_UP)),
            row["purchases"],
        ]
        for row in rows
    ]


def rfm_grid(snapshot: RfmSnapshot) -> list[RfmCell]:
    """The 5×5 recency × frequency grid of a snapshot, 25 cells: rows R 5 (most recent) down to 1, and in
    each row F 1 to 5. Average check = the cell's money ÷ its purchases (both over the window), so a cell
    of one 10-purchase customer and one 1-purchase customer weighs purchases, not customers.

    Read from `snapshot.grid`, stored when the snapshot was written (its rows never change afterwards:
    a re-run of the date rewrites both); computed live (rfm_grid_rows) when the snapshot predates it."""
    stored = snapshot.grid if snapshot.grid is not None else rfm_grid_rows(snapshot)
    found = {(r, f): (customers, Decimal(revenue), purchases) for r, f, customers, revenue, purchases in stored}
    cells = []
    for r in reversed(SCORES):
        for f in SCORES:
            customers, revenue, purchases = found.get((r, f), (0, Decimal("0"), 0))
            revenue = revenue.quantize(CENT)
            average = (revenue / purchases).quantize(CENT, rounding=ROUND_HALF_UP) if purchases else None
            cells.append(RfmCell(r, f, RF_GRID[(r, f)], customers, revenue, purchases, average))
    return cells


@dataclass(frozen=True)
class RfmMove:
    from_segment: Segment | None  # None: not scored in the previous snapshot (no purchase in its window)
    to_segment: Segment | None  # None: not scored any more (no purchase in this snapshot's window)
    customers: int


def rfm_movement(
    snapshot: RfmSnapshot, previous: RfmSnapshot | None, *, full_join: bool | None = None
) -> list[RfmMove]:
    """How many customers went from each segment of `previous` to each segment of `snapshot` (staying in
    one counts as a move from it to itself), most customers first, then by segment codes. Customers in
    only one of the two appear with None on the other side. `previous` None: everyone comes from None.

    Live, over both snapshots' rows. `full_join` (default: on PostgreSQL) counts them in one FULL JOIN
    (one pass over each snapshot's rows); otherwise a LEFT JOIN plus an anti-join for those who left (the
    SQLite ≥ 3.25 the demo supports has no FULL JOIN). Same result; on 1 000 000 customers the FULL
    JOIN took 2–3 s against 6 s (docs/analytics-rfm.md)."""
    score_t = RfmScore._meta.db_table
    previous_id = previous.pk if previous is not None else None
    if full_join is None:
        full_join = connection.vendor == "postgresql"
    if full_join:
        sql = f"""
        SELECT p.segment, c.segment, COUNT(*)
        FROM (SELECT customer_id, segment FROM {score_t} WHERE snapshot_id = %s) c
        FULL JOIN (SELECT customer_id, segment FROM {score_t} WHERE snapshot_id = %s) p
          ON p.customer_id = c.customer_id
        GROUP BY p.segment, c.segment
        """  # noqa: S608 - table names from model metadata; every value is a parameter
        params = [snapshot.pk, previous_id]
    else:
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
        params = [previous_id, snapshot.pk, previous_id, snapshot.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _moves(rows)


def _moves(rows) -> list[RfmMove]:
    """(from code or None, to code or None, customers) rows as RfmMoves, most customers first."""
    moves = [RfmMove(Segment(a) if a else None, Segment(b) if b else None, n) for a, b, n in rows]
    return sorted(moves, key=lambda m: (-m.customers, m.from_segment or "", m.to_segment or ""))


def rfm_movement_stored(snapshot: RfmSnapshot, previous: RfmSnapshot | None) -> dict:
    """The movement from `previous` to `snapshot` (rfm_movement, the live join) in the form stored in
    `RfmSnapshot.movement`: {"previous": previous's date "YYYY-MM-DD" or None, "moves": [[from, to,
    customers], …]} (segment codes, None for "not scored"). analytics.services.rfm_snapshot runs it
    when it writes the snapshot (and again for the snapshot after it, whose previous it becomes)."""
    return {
        "previous": previous.as_of.isoformat() if previous is not None else None,
        "moves": [
            [m.from_segment and str(m.from_segment), m.to_segment and str(m.to_segment), m.customers]
            for m in rfm_movement(snapshot, previous)
        ],
    }


def rfm_movement_since_previous(snapshot: RfmSnapshot) -> tuple[RfmSnapshot | None, list[RfmMove]]:
    """The snapshot dated just before `snapshot` (rfm_snapshot_previous; None for the first) and the
    movement from it to `snapshot` (as rfm_movement: staying counts, most customers first).

    Read from `snapshot.movement` when it was stored against that same previous snapshot; computed live
    (rfm_movement, a join of both snapshots' rows: seconds at 1 000 000 customers) when the snapshot
    predates the stored movement, or when its previous snapshot has since been deleted by the retention
    rule (docs/analytics-rfm.md, "The grid and the movement")."""
    previous = rfm_snapshot_previous(snapshot)
    stored = snapshot.movement
    if stored is not None and stored.get("previous") == (previous.as_of.isoformat() if previous else None):
        return previous, _moves(stored["moves"])
    return previous, rfm_movement(snapshot, previous)


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
