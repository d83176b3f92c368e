"""Crediting many customers at once: `points_credit_bulk` for a mapping of customers to points (opening
balances of an import), `points_credit_bulk_sql` for the rows a SELECT names (a campaign's daily grants,
hundreds of thousands at once: no Python object per row). Set-based: a handful of INSERTs and one UPDATE
per batch, never a query per customer, except for the few who owe points (their debt is settled first,
entry by entry).
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

from ... import rules
from ...exceptions import InvalidInput, UnknownCustomer
from ...models import LedgerEntry, PointsAccount, PointsLot
from ...selectors import program_settings_get
from .core import account_save, accounts_for_update, credit, owed_settle, user_or_none

BATCH = 5000  # rows per INSERT / UPDATE, and customers locked per step


def _validated(credits: Mapping[int, int]) -> dict[int, int]:
    clean: dict[int, int] = {}
    for customer_id, points in credits.items():
        if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= rules.MAX_POINTS:
            raise InvalidInput(
                _("Points to credit must be a whole number above zero (got %(value)s).") % {"value": points}
            )
        clean[int(customer_id)] = points
    return clean


def points_credit_bulk(
    *,
    credits: Mapping[int, int],
    kind: str,
    reason: str,
    source: str = "",
    actor: Any = None,
    now: dt.datetime | None = None,
) -> int:
    """Credit `credits` ({customer id: points, an int > 0}) with one entry of `kind` and one lot each.

    Call inside the caller's transaction (the import's: all or nothing). The points are spendable at once
    and live for the program's points lifetime from `now` (`rules.points_expiry`). Accounts are locked in
    primary-key order (`accounts_for_update`) and created for customers who have none. A customer who owes
    points (PointsAccount.points_owed) is credited through the ledger core's `credit`, which settles the
    debt first. Returns the total points credited. Raises InvalidInput for points that are not a whole
    number above zero, UnknownCustomer for an id that is not a customer. The ledger's invariants hold
    after it: balance = Σ entries = Σ lot remainders for every customer touched.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("points_credit_bulk must run inside a transaction")
    clean = _validated(credits)
    if not clean:
        return 0
    now = now or timezone.now()
    expires_at = rules.points_expiry(credited_at=now, lifetime_days=program_settings_get().points_lifetime_days)
    user = user_or_none(actor)
    ids = sorted(clean)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        accounts = accounts_for_update(chunk)
        missing = [i for i in chunk if i not in accounts]
        if missing:
            known = set(Customer.objects.filter(pk__in=missing).values_list("pk", flat=True))
            if unknown := [i for i in missing if i not in known]:
                raise UnknownCustomer(unknown[0])
            # New accounts are created holding their credit (their entries and lots follow below), so the
            # one UPDATE below is only for accounts that existed: an import creates every account.
            PointsAccount.objects.bulk_create(
                [PointsAccount(customer_id=i, balance=clean[i], updated_at=now) for i in missing]
            )
        owing = {i for i, account in accounts.items() if account.points_owed}
        for customer_id in sorted(owing):  # rare: the debt is settled first, as for any other credit
            account = accounts[customer_id]
            credit(
                account=account, kind=kind, points=clean[customer_id], reason=reason, now=now,
                available_at=now, expires_at=expires_at, source=source, actor=actor,
            )  # fmt: skip
            account_save(account)
        plain = [i for i in chunk if i not in owing]
        entries = LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    customer_id=i,
                    kind=kind,
                    points=clean[i],
                    reason=reason,
                    source=source,
                    actor=user,
                    created_at=now,
                    expires_at=expires_at,
                )  # fmt: skip
                for i in plain
            ]
        )
        PointsLot.objects.bulk_create(
            [
                PointsLot(
                    customer_id=e.customer_id,
                    entry=e,
                    points=e.points,
                    remaining=e.points,
                    created_at=now,
                    available_at=now,
                    expires_at=expires_at,
                )  # fmt: skip
                for e in entries
            ]
        )
        existing = [accounts[i] for i in plain if i in accounts]
        for account in existing:
            account.balance += clean[account.pk]
            account.updated_at = now
        PointsAccount.objects.bulk_update(existing, ["balance", "updated_at"], batch_size=500)
    return sum(clean.values())


def ledger_entry_next_id_sql() -> str:
    """SQL (PostgreSQL) taking the next id of a ledger entry from the entries' own sequence: a caller of
    `points_credit_bulk_sql` allocates its entries' ids with it, so that its own rows (a campaign's grants)
    can point at their entries from the start (the foreign keys are checked at commit).

    The sequence is looked up here, once (one query), and named in the SQL by its oid: `nextval(oid)`.
    Written as `nextval(pg_get_serial_sequence(…))` it was looked up in the catalog again for every row,
    about 5 µs each (0.5 s of a broadcast chunk's 90 000 grants)."""
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            "SELECT CAST(CAST(pg_get_serial_sequence(%s, 'id') AS regclass) AS oid)", [LedgerEntry._meta.db_table]
        )
        sequence_oid = int(cursor.fetchone()[0])
    return f"nextval(CAST({sequence_oid} AS regclass))"


def points_credit_bulk_sql(
    *,
    credits_sql: str,
    credits_params: list,
    kind: str,
    reason: str,
    source: str = "",
    expires_at: dt.datetime | None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Credit the rows a SELECT names, set-based, for mass awards (a campaign's daily grants): the same
    ledger writes as `points_credit_bulk` without a Python object per customer (PostgreSQL).

    `credits_sql` (with `credits_params`) selects `entry_id` (the id the entry gets, allocated by the
    caller with `ledger_entry_next_id_sql()`), `customer_id` and `points` (int > 0); a customer may appear
    more than once (one entry and one lot per row). Every credit is spendable at once and lives until
    `expires_at` (None: never expires; a moment at or before `now` is refused with ValueError: bulk credits
    are never born dead). Call inside the caller's transaction: it creates missing accounts, locks the
    accounts in primary-key order (`SELECT … ORDER BY … FOR UPDATE`, as `accounts_for_update` does), writes
    one INSERT of entries, one of lots and one UPDATE of balances, then lets each customer who owes points
    (rare) pay the debt from the new lots first, entry by entry through the ledger core (`owed_settle`), as
    every credit does. Returns {"entries": n, "points": n} credited. Raises InvalidInput for points that
    are not a whole number above zero or a missing entry id (nothing written), UnknownCustomer for an id
    that is not a customer. Afterwards balance = Σ entries = Σ lot remainders for every customer touched."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("points_credit_bulk_sql must run inside a transaction")
    if connection.vendor != "postgresql":
        raise RuntimeError("points_credit_bulk_sql needs PostgreSQL")
    now = now or timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValueError("bulk credits must not expire at or before the moment they are credited")
    user = user_or_none(actor)
    entry_t, lot_t, account_t = LedgerEntry._meta.db_table, PointsLot._meta.db_table, PointsAccount._meta.db_table
    customer_t = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.loyalty_bulk_credit")
        cursor.execute(
            f"CREATE TEMP TABLE loyalty_bulk_credit ON COMMIT DROP AS SELECT entry_id, customer_id, points FROM ({credits_sql}) s",  # noqa: S608 - the caller's SQL; values are parameters
            credits_params,
        )
        cursor.execute("ANALYZE loyalty_bulk_credit")
        cursor.execute(
            f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE points IS NULL OR points <= 0 OR points > %s OR entry_id IS NULL),
                       MIN(customer_id) FILTER (WHERE NOT EXISTS (SELECT 1 FROM {customer_t} c WHERE c.id = customer_id))
                FROM loyalty_bulk_credit""",  # noqa: S608
            [rules.MAX_POINTS],
        )
        rows, bad, unknown = cursor.fetchone()
        if not rows:
            return {"entries": 0, "points": 0}
        if bad:
            raise InvalidInput(_("Points to credit must be a whole number above zero."))
        if unknown is not None:
            raise UnknownCustomer(unknown)
        cursor.execute(
            f"INSERT INTO {account_t} (customer_id, balance, points_owed, updated_at) "  # noqa: S608
            # in id order, as every writer creates and locks accounts (accounts_create_missing): no deadlock
            "SELECT DISTINCT customer_id, 0, 0, %s FROM loyalty_bulk_credit ORDER BY customer_id "
            "ON CONFLICT (customer_id) DO NOTHING",
            [now],
        )
        cursor.execute(
            f"""SELECT COALESCE(array_agg(customer_id) FILTER (WHERE points_owed > 0), '{{}}') FROM (
                    SELECT a.customer_id, a.points_owed FROM {account_t} a
                    WHERE a.customer_id IN (SELECT customer_id FROM loyalty_bulk_credit)
                    ORDER BY a.customer_id FOR UPDATE) locked"""  # noqa: S608
        )
        owing = sorted(cursor.fetchone()[0])
        cursor.execute(
            f"""
            WITH e AS (
                INSERT INTO {entry_t} (id, customer_id, kind, points, reason, source, actor_id, idempotency_key,
                                       request_fingerprint, created_at, expires_at)
                SELECT entry_id, customer_id, %s, points, %s, %s, %s, NULL, '', %s, %s
                FROM loyalty_bulk_credit
                RETURNING id, customer_id, points
            ),
            l AS (
                INSERT INTO {lot_t} (customer_id, entry_id, points, remaining, created_at, available_at, expires_at)
                SELECT customer_id, id, points, points, %s, %s, %s FROM e
            ),
            a AS (
                UPDATE {account_t} acc SET balance = acc.balance + s.points, updated_at = %s
                FROM (SELECT customer_id, SUM(points) AS points FROM e GROUP BY customer_id) s
                WHERE acc.customer_id = s.customer_id
            )
            SELECT COUNT(*), COALESCE(SUM(points), 0) FROM e
            """,  # noqa: S608 - table names from model metadata; values are parameters
            [kind, reason, source, user.pk if user else None, now, expires_at, now, now, expires_at, now],
        )
        entries, points = cursor.fetchone()
        if owing:  # rare: what these customers owe is paid from the new lots first, as any credit does
            cursor.execute(
                "SELECT entry_id FROM loyalty_bulk_credit WHERE customer_id = ANY(%s) ORDER BY entry_id", [owing]
            )
            entry_ids = [row[0] for row in cursor.fetchall()]
            accounts = accounts_for_update(owing)
            for lot in PointsLot.objects.filter(entry_id__in=entry_ids).order_by("entry_id"):
                account = accounts[lot.customer_id]
                if account.points_owed:
                    owed_settle(account=account, lot=lot, now=now, actor=actor)
                    account_save(account)
    return {"entries": entries, "points": int(points)}
