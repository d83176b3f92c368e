"""The nightly expiry of points: set-based SQL, chunked by customer id, exact under concurrent writers."""

import datetime as dt
import uuid

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import rules
from ...models import LedgerEntry, LotDebit, PointsAccount, PointsLot
from .core import Kind, accounts_for_update

EXPIRY_CHUNK = 20000  # customer ids per transaction


def _ids_sql(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`: one array parameter on PostgreSQL, a parameter list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def points_expire_due(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """Expire every lot whose expiry is at or before the start of `as_of` (the shop's local midnight).

    Returns {"customers": n, "points": n} expired by this run. Per chunk of customer ids, in one
    transaction: lock the accounts that have due lots (primary-key order, as every ledger service
    does), then, restricted to exactly the locked accounts, one INSERT … SELECT for the expiry entries
    (one per customer), one for the lot debits, one UPDATE of the balances and one of the lots. Every
    writer of lots holds the account lock, so the lots these statements read cannot change between
    them: the set expired is exactly the set under the job's locks, and each cached balance moves by
    exactly what its entries say. An account whose due lots a till expired meanwhile (services expire
    dead lots themselves) simply has nothing left. Running it again for the same date finds nothing.
    """
    cutoff = rules.local_midnight(as_of)
    now = now or timezone.now()
    due = PointsLot.objects.filter(remaining__gt=0, expires_at__lte=cutoff)
    bounds = due.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    result = {"customers": 0, "points": 0}
    if bounds["lo"] is None:
        return result
    lot_t, entry_t, debit_t = PointsLot._meta.db_table, LedgerEntry._meta.db_table, LotDebit._meta.db_table
    account_t = PointsAccount._meta.db_table
    key_prefix = f"expire:{as_of.isoformat()}:{uuid.uuid4().hex[:12]}:"
    reason = _("Points expired")
    for lo in range(bounds["lo"], bounds["hi"] + 1, EXPIRY_CHUNK):
        hi = lo + EXPIRY_CHUNK - 1
        with transaction.atomic():
            locked = list(
                accounts_for_update(due.filter(customer_id__gte=lo, customer_id__lte=hi).values("customer_id"))
            )
            if not locked:
                continue
            in_locked, ids = _ids_sql("customer_id", locked)
            lot_in_locked, _ids = _ids_sql("l.customer_id", locked)
            due_sql = f"remaining > 0 AND expires_at <= %s AND {in_locked}"
            lot_due_sql = f"l.remaining > 0 AND l.expires_at <= %s AND {lot_in_locked}"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(DISTINCT customer_id), COALESCE(SUM(remaining), 0) FROM {lot_t} WHERE {due_sql}",  # noqa: S608
                    [cutoff, *ids],
                )
                customers, points = cursor.fetchone()
                if not customers:
                    continue  # a till expired them meanwhile
                cursor.execute(
                    f"""
                    INSERT INTO {entry_t}
                        (customer_id, kind, points, reason, source, idempotency_key, request_fingerprint, created_at)
                    SELECT customer_id, %s, -SUM(remaining), %s, '', %s || customer_id, '', %s
                    FROM {lot_t} WHERE {due_sql}
                    GROUP BY customer_id
                    """,  # noqa: S608 - table names come from model metadata, values are parameters
                    [Kind.EXPIRE, reason, key_prefix, now, cutoff, *ids],
                )
                cursor.execute(
                    f"""
                    INSERT INTO {debit_t} (entry_id, lot_id, points)
                    SELECT e.id, l.id, l.remaining
                    FROM {lot_t} l JOIN {entry_t} e ON e.idempotency_key = %s || l.customer_id
                    WHERE {lot_due_sql}
                    """,  # noqa: S608
                    [key_prefix, cutoff, *ids],
                )
                cursor.execute(
                    f"""
                    UPDATE {account_t} SET balance = balance - (
                        SELECT COALESCE(SUM(l.remaining), 0) FROM {lot_t} l
                        WHERE l.customer_id = {account_t}.customer_id AND l.remaining > 0 AND l.expires_at <= %s
                    )
                    WHERE {in_locked}
                    """,  # noqa: S608
                    [cutoff, *ids],
                )
                cursor.execute(f"UPDATE {lot_t} SET remaining = 0 WHERE {due_sql}", [cutoff, *ids])  # noqa: S608
        result["customers"] += int(customers)
        result["points"] += int(points)
    return result
