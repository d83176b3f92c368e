"""django-q2 entry points: thin wrappers around services."""

import datetime as dt

from .services import dashboard_snapshot, rfm_snapshot, rfm_snapshots_prune


def rfm_snapshot_task(as_of: str) -> dict:
    """Queued by the daily job's event (analytics.subscribers): the RFM snapshot of `as_of` (ISO date) over
    the analytics setting's window, then the retention rule (older snapshots deleted, after the new one is
    committed)."""
    snapshot = rfm_snapshot(dt.date.fromisoformat(as_of))
    pruned = rfm_snapshots_prune()
    return {"date": snapshot.as_of.isoformat(), "customers": snapshot.customers, "pruned": pruned}


def dashboard_snapshot_task(as_of: str) -> dict:
    """Queued by the daily job's event (analytics.subscribers): the dashboard snapshot of `as_of` (ISO date)."""
    rows = dashboard_snapshot(dt.date.fromisoformat(as_of))
    return {"date": as_of, "rows": len(rows)}
