"""The ledger's core: the one way to lock accounts, credit and debit points, expire dead lots and
settle points owed. Every service that moves points builds on these; nothing else writes entries.

Invariants kept by every function here (inside the caller's transaction, under the account lock):
- PointsAccount.balance = Σ LedgerEntry.points = Σ PointsLot.remaining for the customer, ≥ 0;
- no lot whose expiry has passed pays for anything: `account_lock` expires them first (lazy expiry,
  so a lot past its expiry is dead whether or not the nightly job has run);
- a credit first pays the points the customer owes (PointsAccount.points_owed, the shortfall of
  earlier refunds), oldest refund first.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, QuerySet, Sum, When
from django.utils import timezone

from core.db import prepared_cursor
from customers.models import Customer

from ... import reasons, rules
from ...exceptions import InvalidInput, UnknownCustomer
from ...models import LedgerEntry, LotDebit, PointsAccount, PointsLot, Refund
from ...selectors import lots_live

Kind = LedgerEntry.Kind

# A debit takes points from lots: [(lot, points taken from it), …].
Taken = list[tuple[PointsLot, int]]


def parse(func, *args, **kwargs):
    """Call a `rules` parser; its RuleError becomes InvalidInput (a 400 / form error)."""
    try:
        return func(*args, **kwargs)
    except rules.RuleError as exc:
        raise InvalidInput(str(exc)) from None


def user_or_none(actor: Any) -> Any:
    """The staff user to record, or None for anonymous callers (API clients, jobs)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def accounts_for_update(customer_ids: Iterable[int] | QuerySet) -> dict[int, PointsAccount]:
    """Lock the given customers' accounts, always in primary-key order (so two writers never deadlock).

    The one way every service and job locks accounts (after Saleor's `giftcard/lock_objects.py`).
    `customer_ids`: ids, or a queryset of ids (`.values("customer_id")`) for a job that locks a range
    in one query. Call inside a transaction. Returns {customer id: account}, in primary-key order;
    customers without an account are absent.
    """
    if not isinstance(customer_ids, QuerySet) and _fast():
        # The same statement written out (issue #16: the ORM's building cost more than running it).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(_ACCOUNT_COLUMNS)} FROM {PointsAccount._meta.db_table} "  # noqa: S608 - metadata
                "WHERE customer_id = ANY(%s::bigint[]) ORDER BY customer_id FOR UPDATE",
                [[int(pk) for pk in customer_ids]],
            )
            rows = cursor.fetchall()
        return {row[0]: PointsAccount.from_db(connection.alias, _ACCOUNT_COLUMNS, row) for row in rows}
    ids = customer_ids if isinstance(customer_ids, QuerySet) else list(customer_ids)
    rows = PointsAccount.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",))
    return {row.pk: row for row in rows}


_ACCOUNT_COLUMNS = ("customer_id", "balance", "points_owed", "updated_at")


def accounts_create_missing(customer_ids: Iterable[int]) -> None:
    """Create the points accounts these customers do not have yet (balance 0), in primary-key order, before
    a writer that handles several customers locks them (accounts_for_update locks only accounts that exist):
    created one by one in the order of the work, two such writers took the new rows' locks in opposite
    orders and deadlocked (a tester's two offline batches with the same new customers). Ids that are not
    customers are skipped (the work refuses them itself). Call inside the writer's transaction."""
    ids = sorted({int(pk) for pk in customer_ids if 0 < int(pk) < 2**63})  # an id out of range is nobody
    if not ids:
        return
    if not _fast():  # SQLite (the demo): one writer at a time
        known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
        have = set(PointsAccount.objects.filter(pk__in=ids).values_list("pk", flat=True))
        PointsAccount.objects.bulk_create(PointsAccount(customer_id=pk, balance=0) for pk in ids if pk in known - have)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PointsAccount._meta.db_table} (customer_id, balance, points_owed, updated_at) "  # noqa: S608
            f"SELECT c.id, 0, 0, %s FROM {Customer._meta.db_table} c WHERE c.id = ANY(%s::bigint[]) "
            f"AND NOT EXISTS (SELECT 1 FROM {PointsAccount._meta.db_table} a WHERE a.customer_id = c.id) "
            "ORDER BY c.id ON CONFLICT (customer_id) DO NOTHING",
            [timezone.now(), ids],
        )


def _fast() -> bool:
    """PostgreSQL: the hot statements are written as SQL, several in one where a data-modifying WITH allows
    (issue #16). Elsewhere (SQLite: the demo) the ORM's statements, with the same effect."""
    return connection.vendor == "postgresql"


def account_lock(customer_id: Any, *, now: dt.datetime | None, spend: int = 0) -> PointsAccount:
    """Lock one customer's account (creating it on first use) and expire their dead lots.

    Call inside a transaction; every ledger service calls it before reading or writing points. `now` is
    the operation's moment; None means the moment the lock was granted, so that an operation that waited
    for another one never treats a lot that died meanwhile as live. The moment used is set on the
    returned account as `account.now`. With `spend` (points, > 0: an operation about to redeem them), the
    same query as the dead lots reads the points that can pay at that moment, set as
    `account.spendable_total` (int), and the lots that would pay `spend` of them, set as `account.spendable`
    (spendable_lots' order, only as many as needed; all of them when they hold fewer): one query fewer, and
    a cost that does not grow with the customer's history (issue #16). Without `spend` both are None.
    Raises UnknownCustomer for an id that is not a customer.
    """
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise UnknownCustomer(customer_id) from None
    account = accounts_for_update([customer_id]).get(customer_id)
    if account is None:
        if not Customer.objects.filter(pk=customer_id).exists():
            raise UnknownCustomer(customer_id)
        try:
            with transaction.atomic():
                PointsAccount.objects.create(customer_id=customer_id, balance=0)
        except IntegrityError:
            pass  # created concurrently; lock it below
        account = accounts_for_update([customer_id])[customer_id]
    account.now = now = now or timezone.now()
    account.spendable = account.spendable_total = None
    dead = None
    if spend > 0:
        dead, account.spendable, account.spendable_total = _lots_for_spending(account.pk, now, spend)
    if expire_dead_lots(account, now=now, dead=dead) is not None:
        account_save(account)  # saved now: a replay or an error after the lock must not lose it
    return account


_LOT_COLUMNS = tuple(field.attname for field in PointsLot._meta.concrete_fields)
# SOONEST_EXPIRY_FIRST as SQL, for the statements that read the lots that pay a debit.
SOONEST_EXPIRY_SQL = "expires_at ASC NULLS LAST, available_at, id"


def _lots_for_spending(customer_id: int, now: dt.datetime, spend: int) -> tuple[list, list, int]:
    """(the dead lots with points left, in id order; the spendable lots that pay `spend`, soonest expiry
    first; the points all spendable lots hold) in one query (account_lock)."""
    if not _fast():
        lots = list(
            PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0)
            .filter(Q(expires_at__lte=now) | Q(available_at__lte=now))
            .order_by(*SOONEST_EXPIRY_FIRST)
        )
        dead = sorted((lot for lot in lots if lot.expires_at is not None and lot.expires_at <= now), key=_pk)
        spendable = [lot for lot in lots if lot.expires_at is None or lot.expires_at > now]
        return dead, spendable, sum(lot.remaining for lot in spendable)
    columns = ", ".join(_LOT_COLUMNS)
    live = "CASE WHEN dead THEN 0 ELSE remaining END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH lots AS (
                SELECT {columns}, (expires_at IS NOT NULL AND expires_at <= %(now)s) AS dead
                FROM {PointsLot._meta.db_table}
                WHERE customer_id = %(customer)s AND remaining > 0 AND (expires_at <= %(now)s OR available_at <= %(now)s)
            ), ranked AS (
                SELECT lots.*, SUM({live}) OVER () AS total,
                       SUM({live}) OVER (ORDER BY dead, {SOONEST_EXPIRY_SQL}
                                         ROWS UNBOUNDED PRECEDING) AS running
                FROM lots
            )
            SELECT {columns}, dead, total FROM ranked WHERE dead OR running - remaining < %(spend)s
            ORDER BY dead, {SOONEST_EXPIRY_SQL}
            """,  # noqa: S608 - names from model metadata, values are parameters
            {"now": now, "customer": customer_id, "spend": spend},
        )
        rows = cursor.fetchall()
    return lots_for_spending_parse(rows)


def lots_for_spending_parse(rows: list[tuple]) -> tuple[list, list, int]:
    """_lots_for_spending's result from its query's rows (the lot's _LOT_COLUMNS, dead, the spendable total),
    also read by a purchase's opening statement (ledger.purchase_sql)."""
    width = len(_LOT_COLUMNS)
    dead, spendable, total = [], [], 0
    for row in rows:
        lot = PointsLot.from_db(connection.alias, _LOT_COLUMNS, row[:width])
        (dead if row[width] else spendable).append(lot)
        total = int(row[width + 1])
    dead.sort(key=_pk)
    return dead, spendable, total


def _pk(lot: PointsLot) -> int:
    return lot.pk


def account_save(account: PointsAccount, *, also: tuple[str, list] | None = None) -> None:
    """Write the cached balance and points owed changed by credit/debit (same transaction, lock held).

    `also` (PostgreSQL only): (SQL, parameters) of another data-modifying statement without RETURNING (e.g.
    customers.services.customer_purchase_dates_touch_sql) sent in the same statement, as a WITH: one round trip
    fewer (issue #16). Both run to completion or the statement fails whole."""
    account.updated_at = timezone.now()
    sql = f"UPDATE {PointsAccount._meta.db_table} SET balance = %s, points_owed = %s, updated_at = %s "  # noqa: S608
    updated_at = connection.ops.adapt_datetimefield_value(account.updated_at)  # SQLite: as the ORM stores it
    params = [account.balance, account.points_owed, updated_at, account.pk]
    if also is not None:
        sql, params = f"WITH also AS ({also[0]}) {sql}", [*also[1], *params]
    with prepared_cursor() as cursor:
        cursor.execute(f"{sql}WHERE customer_id = %s", params)


def lot_root(lot: PointsLot) -> int:
    """The id of the lot these points first came from (themselves, unless a refund returned them)."""
    return lot.origin_lot_id or lot.pk


_ENTRY_COLUMNS = (
    "customer_id", "kind", "points", "reason", "purchase_id", "refund_id", "source", "actor_id", "idempotency_key",
    "request_fingerprint", "created_at", "expires_at",
)  # fmt: skip


def _entry_insert_sql(entry: LedgerEntry) -> tuple[str, list]:
    """`INSERT INTO loyalty_ledgerentry … RETURNING id` for an unsaved entry (for a data-modifying WITH)."""
    marks = ", ".join("%s" for _column in _ENTRY_COLUMNS)
    sql = f"INSERT INTO {LedgerEntry._meta.db_table} ({', '.join(_ENTRY_COLUMNS)}) VALUES ({marks}) RETURNING id"  # noqa: S608
    return sql, [getattr(entry, column) for column in _ENTRY_COLUMNS]


def _saved(*objects: Any) -> None:
    """Mark objects inserted by SQL of our own as the ORM marks what it saved."""
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def _entry_make(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    reason: str,
    now: dt.datetime,
    expires_at: dt.datetime | None,
    purchase: Any,
    refund: Refund | None,
    source: str,
    actor: Any,
    idempotency_key: str | None,
    request_fingerprint: str,
) -> LedgerEntry:
    """A ledger entry (signed `points`), not saved yet."""
    return LedgerEntry(
        customer_id=account.pk,
        kind=kind,
        points=points,
        reason=reason,
        purchase=purchase,
        refund=refund,
        source=source,
        actor=user_or_none(actor),
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        created_at=now,
        expires_at=expires_at,
    )


def credit(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    reason: str,
    now: dt.datetime,
    available_at: dt.datetime,
    expires_at: dt.datetime | None,
    origin_lot_id: int | None = None,
    owed_by_purchase_id: int | None = None,
    purchase: Any = None,
    refund: Refund | None = None,
    source: str = "",
    actor: Any = None,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> LedgerEntry:
    """Append a positive entry and its lot (`points` > 0). Returns the credit entry.

    Live points pay what the customer owes first (oldest refund first). Points already past their
    expiry (returned points keep the expiry of the points they were paid with) are expired at once,
    except that points earned by purchase `owed_by_purchase_id` and coming back now first settle what
    that purchase's refunds could not take back."""
    entry = _entry_make(
        account=account, kind=kind, points=points, reason=reason, now=now, expires_at=expires_at,
        purchase=purchase, refund=refund, source=source, actor=actor,
        idempotency_key=idempotency_key, request_fingerprint=request_fingerprint,
    )  # fmt: skip
    lot = PointsLot(
        customer_id=account.pk,
        entry=entry,
        origin_lot_id=origin_lot_id,
        points=points,
        remaining=points,
        created_at=now,
        available_at=available_at,
        expires_at=expires_at,
    )
    if _fast():  # the entry and its lot in one statement
        entry_sql, entry_params = _entry_insert_sql(entry)
        with prepared_cursor() as cursor:
            cursor.execute(
                f"WITH e AS ({entry_sql}) INSERT INTO {PointsLot._meta.db_table} (customer_id, entry_id, "  # noqa: S608
                "origin_lot_id, points, remaining, created_at, available_at, expires_at) "
                "SELECT %s::bigint, e.id, %s::bigint, %s::bigint, %s::bigint, %s::timestamptz, %s::timestamptz, "
                "%s::timestamptz FROM e RETURNING entry_id, id",
                [*entry_params, account.pk, origin_lot_id, points, points, now, available_at, expires_at],
            )
            entry.pk, lot.pk = cursor.fetchone()
        _saved(entry, lot)
        lot.entry = entry
    else:
        entry.save(force_insert=True)
        lot.entry = entry
        lot.save(force_insert=True)
    account.balance += points
    dead = expires_at is not None and expires_at <= now
    # What follows from this credit belongs to the same operation (the purchase or refund that made it).
    links = {"purchase": purchase, "refund": refund, "actor": actor}
    if account.points_owed and owed_by_purchase_id is not None:
        # These are the very points a refund of that purchase could not take back: they settle its debt
        # first, even when they have expired meanwhile.
        owed_settle(account=account, lot=lot, now=now, owed_by_purchase_id=owed_by_purchase_id, **links)
    if account.points_owed and not dead:
        owed_settle(account=account, lot=lot, now=now, **links)
    if dead and lot.remaining:
        debit(
            account=account,
            kind=Kind.EXPIRE,
            taken=[(lot, lot.remaining)],
            reason=reasons.expiry_reason(),
            now=now,
            **links,
        )
    return entry


def debit(
    *,
    account: PointsAccount,
    kind: str,
    taken: Taken,
    reason: str,
    now: dt.datetime,
    purchase: Any = None,
    refund: Refund | None = None,
    source: str = "",
    actor: Any = None,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> LedgerEntry:
    """Append a negative entry taking `taken` from lots (one UPDATE for all of them, guarded by the
    CHECK remaining ≥ 0) and record where each point came from (LotDebit). Returns the entry."""
    points = sum(take for _lot, take in taken)
    entry = _entry_make(
        account=account, kind=kind, points=-points, reason=reason, now=now, expires_at=None,
        purchase=purchase, refund=refund, source=source, actor=actor,
        idempotency_key=idempotency_key, request_fingerprint=request_fingerprint,
    )  # fmt: skip
    if _fast() and taken:
        # The entry, the lots' remaining points (guarded by CHECK remaining >= 0) and where each point came
        # from (LotDebit), in one statement.
        entry_sql, entry_params = _entry_insert_sql(entry)
        rows = ", ".join("(%s::bigint, %s::bigint)" for _taken in taken)
        with prepared_cursor() as cursor:
            cursor.execute(
                f"WITH e AS ({entry_sql}), t (lot_id, take) AS (VALUES {rows}), "  # noqa: S608 - placeholders only
                f"u AS (UPDATE {PointsLot._meta.db_table} AS l SET remaining = l.remaining - t.take FROM t "
                "WHERE l.id = t.lot_id RETURNING l.id) "
                f"INSERT INTO {LotDebit._meta.db_table} (entry_id, lot_id, points) SELECT e.id, t.lot_id, t.take "
                "FROM e, t RETURNING entry_id, (SELECT COUNT(*) FROM u)",
                [*entry_params, *(value for lot, take in taken for value in (lot.pk, take))],
            )
            found = cursor.fetchall()
        entry.pk = found[0][0]
        if found[0][1] != len(taken):  # a lot that is not there: never, under the account lock
            raise RuntimeError(f"debit: {len(taken) - found[0][1]} of the lots taken from do not exist")
        _saved(entry)
    else:
        entry.save(force_insert=True)
        PointsLot.objects.filter(pk__in=[lot.pk for lot, _take in taken]).update(
            remaining=F("remaining")
            - Case(*[When(pk=lot.pk, then=take) for lot, take in taken], output_field=BigIntegerField())
        )
        LotDebit.objects.bulk_create([LotDebit(entry=entry, lot=lot, points=take) for lot, take in taken])
    for lot, take in taken:
        lot.remaining -= take
    account.balance -= points
    return entry


def take_from_lots(lots: Iterable[PointsLot], points: int) -> Taken:
    """Take up to `points` from `lots` in the order given. Fewer are taken when the lots hold fewer."""
    taken: Taken = []
    need = points
    for lot in lots:
        if need == 0:
            break
        take = min(lot.remaining, need)
        if take:
            taken.append((lot, take))
            need -= take
    return taken


SOONEST_EXPIRY_FIRST = (F("expires_at").asc(nulls_last=True), "available_at", "id")


def spendable_lots(customer_id: int, now: dt.datetime) -> list[PointsLot]:
    """Lots that can pay now: available, not expired; soonest expiry first (never-expiring last)."""
    return list(lots_live(customer_id, now).filter(available_at__lte=now).order_by(*SOONEST_EXPIRY_FIRST))


def live_lots(customer_id: int, now: dt.datetime, *, root_first: int | None = None) -> list[PointsLot]:
    """Every live lot with points left, pending ones too (a refund or a deduction may take them),
    soonest expiry first; with `root_first`, the lots whose points came from that lot lead."""
    lots = list(lots_live(customer_id, now).order_by(*SOONEST_EXPIRY_FIRST))
    if root_first is not None:
        lots.sort(key=lambda lot: lot_root(lot) != root_first)
    return lots


def expire_dead_lots(
    account: PointsAccount, *, now: dt.datetime, dead: list[PointsLot] | None = None
) -> LedgerEntry | None:
    """Expire every lot of the (locked) account whose expiry is at or before `now`: one entry. `dead`: those
    lots in id order when the caller has read them already (account_lock)."""
    if dead is None:
        dead = list(
            PointsLot.objects.filter(customer_id=account.pk, remaining__gt=0, expires_at__lte=now).order_by("id")
        )
    if not dead:
        return None
    return debit(
        account=account,
        kind=Kind.EXPIRE,
        taken=[(lot, lot.remaining) for lot in dead],
        reason=reasons.expiry_reason(),
        now=now,
    )


def owed_outstanding(customer_id: int, *, purchase_id: int | None = None) -> list[tuple[Refund, int]]:
    """Refunds of the customer (of one purchase, if given) whose shortfall is not fully settled yet,
    oldest first, with what each still owes (points). Settlements name their refund in `source`
    ("refund:<id>")."""
    refunds = Refund.objects.filter(purchase__customer_id=customer_id, points_shortfall__gt=0)
    if purchase_id is not None:
        refunds = refunds.filter(purchase_id=purchase_id)
    refunds = list(refunds.select_related("purchase").order_by("id"))
    if not refunds:
        return []
    settled = dict(
        LedgerEntry.objects.filter(
            customer_id=customer_id, kind=Kind.OWED_SETTLED, source__in=[f"refund:{r.pk}" for r in refunds]
        )
        .values_list("source")
        .annotate(total=Sum("points"))
        .values_list("source", "total")
    )
    result = []
    for refund in refunds:
        left = refund.points_shortfall + (settled.get(f"refund:{refund.pk}") or 0)  # settled totals are < 0
        if left > 0:
            result.append((refund, left))
    return result


def owed_settle(
    *,
    account: PointsAccount,
    lot: PointsLot,
    now: dt.datetime,
    purchase: Any = None,
    refund: Refund | None = None,
    actor: Any = None,
    owed_by_purchase_id: int | None = None,
) -> None:
    """Pay what the customer owes (only what refunds of `owed_by_purchase_id` left, if given) from a lot
    just credited, oldest refund's shortfall first. The settlement entries name the operation that made
    the credit (`purchase`, `refund`) and, in `source`, the refund whose shortfall they pay."""
    for owed_refund, left in owed_outstanding(account.pk, purchase_id=owed_by_purchase_id):
        take = min(left, lot.remaining, account.points_owed)
        if take <= 0:
            break
        owed_purchase = owed_refund.purchase
        debit(
            account=account,
            kind=Kind.OWED_SETTLED,
            taken=[(lot, take)],
            reason=reasons.owed_settled_reason(owed_purchase),
            now=now,
            purchase=purchase,
            refund=refund,
            source=f"refund:{owed_refund.pk}",
            actor=actor,
        )
        account.points_owed -= take
