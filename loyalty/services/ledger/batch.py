"""The set-based path of a batch of late purchases (issue #16: offline tills, POST /api/v1/purchases/batch/).

purchase_record_batch hands each chunk here first (with API_BATCH_SET_BASED). The chunk's *plain* items are
recorded with a few statements for the whole chunk — the purchases, their lines, the earn entries and
their lots in bulk, the accounts' balances, the running spend totals and the customers' purchase dates in
one statement each — and give exactly what purchase_record gives them one by one. Everything else is
left to purchase_record (None in the answer), in the request's order.

A customer's items are plain together or not at all (so that per-item work never interleaves with the
set-based work of the same customer). They are plain when every one of them:
- parses, lies in the time window, is within the largest purchase, redeems no more than allowed (the lot
  walk is done in Python on the lots read once);
- has a new idempotency key (not recorded before, not twice in the chunk) and a new receipt number;
- belongs to a customer with an account, who owes no points, has no dead lot waiting to expire and holds a
  tier status (not the first purchase that creates it);
- earns no boost, and earns points still alive now;
- and the customer's purchases of the chunk cannot reach a higher tier (then the upgrade, which changes the
  terms of the next purchase, is decided one by one).
"""

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from core.db import prepared_cursor
from core.exceptions import DomainError
from core.versions import versions_once
from customers.services import customer_purchase_dates_touch_many

from ... import reasons, rules
from ...boosts import earning_plan
from ...events import PurchaseRecorded, purchases_recorded_publish
from ...models import LedgerEntry, LotDebit, PointsAccount, PointsLot, Purchase, PurchaseLine, TierStatus
from ...selectors import program_settings_get, qualifying_spend_many, tier_rules, tiers_list
from .core import _LOT_COLUMNS, SOONEST_EXPIRY_SQL, Kind, Taken, _fast, parse, take_from_lots
from .purchases import (
    BatchItem,
    LineInput,
    PurchaseResult,
    _lines_parse,
    _occurred_at_check,
    purchase_amount_check,
    purchase_fingerprint,
)
from .spend import spend_days_add


def purchases_record_plain(
    *,
    items: list[BatchItem],
    accounts: dict[int, PointsAccount],
    api_client: Model | None,
    origin: str,
    max_age: dt.timedelta | None,
    clock_skew: dt.timedelta,
    now: dt.datetime | None = None,
) -> list[PurchaseResult | None]:
    """Record the plain items of a chunk set-based (see the module); per item, in order, its PurchaseResult
    or None (not plain: record it with purchase_record). Call inside the chunk's transaction with
    `accounts` (customer id → account) locked by accounts_for_update. PostgreSQL only (elsewhere all None).
    Never raises a DomainError: an item that would fail is left to purchase_record, which says why; the
    set-based writes run in a savepoint, and a unique index that trips (a receipt or key recorded
    concurrently) rolls them back and leaves the whole chunk to purchase_record."""
    if not _fast() or not items:
        return [None] * len(items)
    with versions_once():  # the rules' and boosts' cached versions read once for the chunk
        return _record_plain(
            items=items, accounts=accounts, api_client=api_client, origin=origin, max_age=max_age,
            clock_skew=clock_skew, now=now,
        )  # fmt: skip


def _record_plain(
    *,
    items: list[BatchItem],
    accounts: dict[int, PointsAccount],
    api_client: Model | None,
    origin: str,
    max_age: dt.timedelta | None,
    clock_skew: dt.timedelta,
    now: dt.datetime | None,
) -> list[PurchaseResult | None]:
    results: list[PurchaseResult | None] = [None] * len(items)
    now = now or timezone.now()
    program = program_settings_get()
    tiers = tiers_list()
    parsed: dict[int, dict[str, Any]] = {}
    refused: set[Any] = set()  # customers whose items go one by one
    for index, item in enumerate(items):
        try:
            customer_id = int(item.customer_id)
        except (TypeError, ValueError):
            continue
        try:
            amount = parse(rules.money_parse, item.amount)
            redeem = parse(rules.points_parse, item.redeem_points)
            lines = _lines_parse(item.lines, amount=amount)
            _occurred_at_check(item.occurred_at, now=now, max_age=max_age, clock_skew=clock_skew)
            purchase_amount_check(amount, program=program)
        except DomainError:
            refused.add(customer_id)
            continue
        external_id = (item.external_id or "").strip()[:100]
        if not item.idempotency_key:
            refused.add(customer_id)
            continue
        parsed[index] = {
            "customer_id": customer_id,
            "amount": amount,
            "redeem": redeem,
            "lines": lines,
            "external_id": external_id,
            "key": item.idempotency_key,
            "at": min(item.occurred_at, now),
            "fingerprint": purchase_fingerprint(
                customer_id=item.customer_id,
                amount=amount,
                redeem=redeem,
                external_id=external_id,
                lines=lines,
                occurred_at=item.occurred_at,
            ),
        }
    # Keys and receipts seen twice in the chunk, or recorded before: their customers go one by one.
    keys = defaultdict(list)
    receipts = defaultdict(list)
    for index, item in enumerate(items):
        keys[item.idempotency_key].append(index)
    for index, data in parsed.items():
        if data["external_id"]:
            receipts[data["external_id"]].append(index)
    for data in parsed.values():
        if len(keys[data["key"]]) > 1 or (data["external_id"] and len(receipts[data["external_id"]]) > 1):
            for other in keys[data["key"]] + receipts.get(data["external_id"], []):
                refused.add(parsed[other]["customer_id"] if other in parsed else items[other].customer_id)
    known, seen_receipts = _recorded_before(
        keys=[data["key"] for data in parsed.values()],
        receipts=[data["external_id"] for data in parsed.values() if data["external_id"]],
        api_client=api_client,
        origin=origin,
    )
    for data in parsed.values():
        account = accounts.get(data["customer_id"])
        if data["key"] in known or data["external_id"] in seen_receipts or account is None or account.points_owed:
            refused.add(data["customer_id"])
    candidates = sorted({data["customer_id"] for data in parsed.values()} - refused)
    if not candidates:
        return results
    # Dead lots wait for account_lock's lazy expiry: those customers go one by one.
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT customer_id FROM {PointsLot._meta.db_table} "  # noqa: S608 - metadata
            "WHERE customer_id = ANY(%s::bigint[]) AND remaining > 0 AND expires_at <= %s::timestamptz",
            [candidates, now],
        )
        refused |= {row[0] for row in cursor.fetchall()}
    candidates = [pk for pk in candidates if pk not in refused]
    statuses = _tiers_lock(candidates, tiers)
    refused |= {pk for pk in candidates if pk not in statuses}
    candidates = [pk for pk in candidates if pk not in refused]
    if not candidates:
        return results
    # Would the chunk's purchases reach a higher tier? (The spend counted at most: all of them.)
    spend_now = qualifying_spend_many(candidates, now=now, window_days=program.tier_window_days)
    added: dict[int, list] = defaultdict(lambda: [Decimal("0"), 0])
    for data in parsed.values():
        if data["customer_id"] in statuses:
            added[data["customer_id"]][0] += data["amount"]
            added[data["customer_id"]][1] += 1 if data["amount"] > 0 else 0
    rule_list = tier_rules(tiers)
    for pk in candidates:
        spend, count = spend_now.get(pk, (Decimal("0"), 0))
        target = rules.tier_for(rule_list, spend=spend + added[pk][0], purchases=count + added[pk][1])
        current = statuses[pk]
        if target is not None and target.key != current.pk and target.order > current.order:
            refused.add(pk)
    # The redemptions and earnings, in order, as purchase_record works them out, on the customers' spendable
    # lots read once (soonest expiry first); a redemption above what is allowed, a boost or points already
    # dead: that customer goes one by one.
    needs: dict[int, int] = defaultdict(int)
    for data in parsed.values():
        if data["redeem"] and data["customer_id"] not in refused:
            needs[data["customer_id"]] += data["redeem"]
    pools, spendable_totals = _pools_read(needs, now=now)
    plan: dict[int, dict[str, Any]] = {}
    for index, data in sorted(parsed.items()):
        pk = data["customer_id"]
        if pk in refused or pk not in statuses:
            continue
        tier = statuses[pk]
        taken: Taken = []
        if data["redeem"]:
            spendable = sorted(
                (lot for lot in pools[pk] if lot.remaining > 0 and lot.available_at <= now), key=_soonest
            )
            allowed = rules.max_redeemable(
                amount=data["amount"],
                available_points=spendable_totals[pk],
                cap_percent=tier.redeem_cap_percent,
                point_value=program.point_value,
            )
            if data["redeem"] > allowed:
                refused.add(pk)
                continue
            taken = take_from_lots(spendable, data["redeem"])
            for lot, take in taken:
                lot.remaining -= take
            spendable_totals[pk] -= data["redeem"]
        paid = rules.paid_amount(amount=data["amount"], redeemed_points=data["redeem"], point_value=program.point_value)
        parts, boosted = earning_plan(
            customer_id=pk,
            lines=[rules.EarnLine(amount=line.amount, category=line.category) for line in data["lines"]],
            amount=data["amount"],
            paid=paid,
            cashback=tier.cashback_percent,
            program=program,
            at=data["at"],
            tier_id=tier.pk,
        )
        expires_at = rules.points_expiry(credited_at=data["at"], lifetime_days=program.points_lifetime_days)
        if boosted or (expires_at is not None and expires_at <= now):
            refused.add(pk)
            continue
        earned = sum(part["points"] for part in parts)
        lot = None
        if earned:
            lot = PointsLot(
                customer_id=pk,
                points=earned,
                remaining=earned,
                created_at=now,
                available_at=rules.points_available_at(
                    credited_at=data["at"], activation_delay_days=program.activation_delay_days
                ),
                expires_at=expires_at,
            )
            lot.order = len(plan)  # after every lot already there, in the order written
            pools[pk].append(lot)
            if lot.available_at <= now:
                spendable_totals[pk] += earned
        plan[index] = {**data, "paid": paid, "parts": parts, "earned": earned, "taken": taken, "lot": lot}
    plain = [index for index in sorted(plan) if parsed[index]["customer_id"] not in refused]
    if not plain:
        return results
    try:
        with transaction.atomic():
            recorded = _write(
                plain=[(index, plan[index]) for index in plain],
                accounts=accounts,
                statuses=statuses,
                program=program,
                api_client=api_client,
                origin=origin,
                now=now,
            )
    except IntegrityError:
        return results  # a key or receipt recorded concurrently: purchase_record answers each one
    for index, result in recorded.items():
        results[index] = result
    return results


def _soonest(lot: PointsLot) -> tuple:
    """SOONEST_EXPIRY_FIRST in Python: expiry (never last), availability, then id (lots not written yet last,
    in the order they will be written)."""
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (lot.expires_at or never, lot.available_at, lot.pk is None, lot.pk or getattr(lot, "order", 0))


def _recorded_before(
    *, keys: list[str], receipts: list[str], api_client: Model | None, origin: str
) -> tuple[set[str], set[str]]:
    """(the idempotency keys of `keys` already recorded, the receipt numbers of `receipts` already recorded by
    the same client, as _receipt_recorded decides: the API client, else no client and the same origin), in
    one statement."""
    same = "api_client_id = %s::bigint" if api_client is not None else "api_client_id IS NULL AND origin = %s::varchar"
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT 'k', idempotency_key FROM {Purchase._meta.db_table} WHERE idempotency_key = ANY(%s::varchar[]) "  # noqa: S608
            f"UNION ALL SELECT 'r', external_id FROM {Purchase._meta.db_table} "
            f"WHERE external_id = ANY(%s::varchar[]) AND {same}",
            [keys, receipts, api_client.pk if api_client is not None else origin],
        )
        rows = cursor.fetchall()
    return {value for part, value in rows if part == "k"}, {value for part, value in rows if part == "r"}


def _tiers_lock(customer_ids: list[int], tiers: list) -> dict[int, Any]:
    """{customer id: the tier (of `tiers`) their tier status holds}, the statuses row-locked in id order (FOR
    UPDATE); customers without one, or holding a tier the program no longer has, are absent."""
    by_pk = {tier.pk: tier for tier in tiers}
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, tier_id FROM {TierStatus._meta.db_table} "  # noqa: S608 - metadata
            "WHERE customer_id = ANY(%s::bigint[]) ORDER BY customer_id FOR UPDATE",
            [customer_ids],
        )
        rows = cursor.fetchall()
    return {pk: by_pk[tier_id] for pk, tier_id in rows if tier_id in by_pk}


_PURCHASE_COLUMNS = tuple(field.attname for field in Purchase._meta.concrete_fields)
_ZERO = Decimal("0")


def _pools_read(needs: dict[int, int], *, now: dt.datetime) -> tuple[dict[int, list[PointsLot]], dict[int, int]]:
    """For customers who redeem `needs[customer]` points in all over the chunk: (their spendable lots at `now`,
    soonest expiry first, only as many as pay those points — all of them when they hold fewer —, and the
    points all their spendable lots hold). One statement; its cost does not grow with a customer's history
    (issue #16). The lots not read come after every lot read, and the lots read pay the chunk's redemptions
    alone, so a lot walk over them and the chunk's new lots never needs one of them."""
    pools: dict[int, list[PointsLot]] = defaultdict(list)
    totals: dict[int, int] = defaultdict(int)
    if not needs:
        return pools, totals
    ids = sorted(needs)
    columns = ", ".join(_LOT_COLUMNS)
    order = SOONEST_EXPIRY_SQL
    with prepared_cursor() as cursor:
        cursor.execute(
            f"""
            WITH ranked AS (
                SELECT l.*, n.points AS need,
                       SUM(l.remaining) OVER (PARTITION BY l.customer_id) AS total,
                       SUM(l.remaining) OVER (PARTITION BY l.customer_id ORDER BY {order} ROWS UNBOUNDED PRECEDING)
                           AS running
                FROM unnest(%s::bigint[], %s::bigint[]) AS n (customer_id, points)
                JOIN {PointsLot._meta.db_table} l ON l.customer_id = n.customer_id
                WHERE l.remaining > 0 AND l.available_at <= %s::timestamptz
                  AND (l.expires_at IS NULL OR l.expires_at > %s::timestamptz)
            )
            SELECT {columns}, total FROM ranked WHERE running - remaining < need ORDER BY customer_id, {order}
            """,  # noqa: S608 - names from model metadata, values are parameters
            [ids, [needs[pk] for pk in ids], now, now],
        )
        rows = cursor.fetchall()
    width = len(_LOT_COLUMNS)
    for row in rows:
        lot = PointsLot.from_db(connection.alias, _LOT_COLUMNS, row[:width])
        pools[lot.customer_id].append(lot)
        totals[lot.customer_id] = int(row[width])
    return pools, totals


def _ids_allocate(cursor: Any, counts: list[tuple[type[Model], int]]) -> list[list[int]]:
    """For each (model, n): n new ids from the model's id sequence, ascending, in one statement (the rows of
    the chunk then point at one another from the start; the foreign keys are checked at commit)."""
    parts = ", ".join(
        "(SELECT COALESCE(array_agg(id ORDER BY id), '{}') FROM (SELECT nextval(q.seq) AS id FROM "
        "(SELECT CAST(pg_get_serial_sequence(%s, 'id') AS regclass) AS seq) q, generate_series(1, %s::int)) s)"
        for _model, _n in counts
    )
    cursor.execute(f"SELECT {parts}", [value for model, n in counts for value in (model._meta.db_table, n)])  # noqa: S608 - fixed fragments
    return list(cursor.fetchone())


def _write(
    *,
    plain: list[tuple[int, dict[str, Any]]],
    accounts: dict[int, PointsAccount],
    statuses: dict[int, Any],
    program: Any,
    api_client: Model | None,
    origin: str,
    now: dt.datetime,
) -> dict[int, PurchaseResult]:
    """The set-based writes for the plain items [(index, its plan)], in order: the purchases, their lines,
    their entries (the redemption, then the earning, as purchase_record writes them), the new lots (with what
    later redemptions of the chunk took from them already), where each redeemed point came from, the lots'
    remaining points, the balances, the spend totals and the purchase dates.

    The rows go as one array per column (INSERT … SELECT FROM unnest, prepared once per connection:
    core.db.prepared_cursor), with their ids taken from the sequences first, so that no model instance is
    built but the purchases the answer shows (the ORM's bulk_create was most of a batch's time, issue #16)."""
    balances = {pk: accounts[pk].balance for pk in {data["customer_id"] for _index, data in plain}}
    n_entries = sum((1 if data["redeem"] else 0) + (1 if data["earned"] else 0) for _index, data in plain)
    n_lots = sum(1 for _index, data in plain if data["lot"] is not None)
    with prepared_cursor() as cursor:
        purchase_ids, entry_ids, lot_ids = _ids_allocate(
            cursor, [(Purchase, len(plain)), (LedgerEntry, n_entries), (PointsLot, n_lots)]
        )
    for lot, pk in zip((data["lot"] for _index, data in plain if data["lot"] is not None), lot_ids, strict=True):
        lot.pk = pk  # before the debits below name them: a later purchase of the chunk may pay from it
    purchases: list[Purchase] = []
    p_cols: dict[str, list] = defaultdict(list)
    l_cols: dict[str, list] = defaultdict(list)
    e_cols: dict[str, list] = defaultdict(list)
    lot_cols: dict[str, list] = defaultdict(list)
    d_cols: dict[str, list] = defaultdict(list)
    entry_id = iter(entry_ids)
    for pk, (_index, data) in zip(purchase_ids, plain, strict=True):
        customer_id = data["customer_id"]
        balances[customer_id] += data["earned"] - data["redeem"]
        row = {
            "id": pk,
            "customer_id": customer_id,
            "amount": data["amount"],
            "redeemed_points": data["redeem"],
            "paid_amount": data["paid"],
            "earned_points": data["earned"],
            "earned_breakdown": data["parts"],
            "cashback_percent": statuses[customer_id].cashback_percent,
            "point_value": program.point_value,
            "refunded_amount": _ZERO,
            "points_reversed": 0,
            "points_returned": 0,
            "points_swapped_back": 0,
            "qualifying_amount": data["paid"],
            "external_id": data["external_id"],
            "idempotency_key": data["key"],
            "request_fingerprint": data["fingerprint"],
            "created_by_id": None,
            "api_client_id": api_client.pk if api_client is not None else None,
            "origin": origin,
            "balance_after": balances[customer_id],
            "created_at": data["at"],
        }
        # As a row read back (positional values): a model built from keywords cost a tenth of a batch.
        purchase = Purchase.from_db(connection.alias, None, [row[name] for name in _PURCHASE_COLUMNS])
        purchases.append(purchase)
        for column, value in (
            ("id", pk),
            ("customer_id", customer_id),
            ("amount", purchase.amount),
            ("redeemed_points", purchase.redeemed_points),
            ("paid_amount", purchase.paid_amount),
            ("earned_points", purchase.earned_points),
            ("earned_breakdown", json.dumps(purchase.earned_breakdown)),
            ("cashback_percent", purchase.cashback_percent),
            ("point_value", purchase.point_value),
            ("qualifying_amount", purchase.qualifying_amount),
            ("external_id", purchase.external_id),
            ("idempotency_key", purchase.idempotency_key),
            ("request_fingerprint", purchase.request_fingerprint),
            ("balance_after", purchase.balance_after),
            ("created_at", purchase.created_at),
        ):
            p_cols[column].append(value)
        line: LineInput
        for line in data["lines"]:
            for column, value in (
                ("purchase_id", pk),
                ("sku", line.sku),
                ("category", line.category),
                ("amount", line.amount),
            ):
                l_cols[column].append(value)
        entries = []
        if data["redeem"]:
            entries.append((Kind.REDEEM, -data["redeem"], reasons.redeem_reason(purchase), None))
        if data["earned"]:
            entries.append(
                (Kind.EARN, data["earned"], reasons.earn_reason(purchase, purchase.cashback_percent), data["lot"])
            )
        for kind, points, reason, lot in entries:
            entry = next(entry_id)
            for column, value in (
                ("id", entry),
                ("customer_id", customer_id),
                ("kind", str(kind)),
                ("points", points),
                ("reason", reason),
                ("purchase_id", pk),
                ("expires_at", lot.expires_at if lot is not None else None),
            ):
                e_cols[column].append(value)
            if kind == Kind.REDEEM:
                for taken_lot, take in data["taken"]:
                    d_cols["entry_id"].append(entry)
                    d_cols["lot_id"].append(taken_lot.pk)
                    d_cols["points"].append(take)
            if lot is not None:  # with what later purchases of the chunk took from it already
                for column, value in (
                    ("id", lot.pk),
                    ("customer_id", customer_id),
                    ("entry_id", entry),
                    ("points", lot.points),
                    ("remaining", lot.remaining),
                    ("created_at", lot.created_at),
                    ("available_at", lot.available_at),
                    ("expires_at", lot.expires_at),
                ):
                    lot_cols[column].append(value)
    new = set(lot_ids)
    older = {lot.pk: lot.remaining for _index, data in plain for lot, _take in data["taken"] if lot.pk not in new}
    customers = sorted(balances)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Purchase._meta.db_table} (id, customer_id, amount, redeemed_points, paid_amount,
                    earned_points, earned_breakdown, cashback_percent, point_value, refunded_amount, points_reversed,
                    points_returned, points_swapped_back, qualifying_amount, external_id, idempotency_key,
                    request_fingerprint, created_by_id, api_client_id, origin, balance_after, created_at)
                SELECT id, customer_id, amount, redeemed_points, paid_amount, earned_points, earned_breakdown::jsonb,
                    cashback_percent, point_value, 0, 0, 0, 0, qualifying_amount, external_id, idempotency_key,
                    request_fingerprint, NULL, %s::bigint, %s::varchar, balance_after, created_at
                FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::bigint[], %s::numeric[], %s::bigint[],
                    %s::text[], %s::numeric[], %s::numeric[], %s::numeric[], %s::varchar[], %s::varchar[],
                    %s::varchar[], %s::bigint[], %s::timestamptz[])
                AS v (id, customer_id, amount, redeemed_points, paid_amount, earned_points, earned_breakdown,
                    cashback_percent, point_value, qualifying_amount, external_id, idempotency_key,
                    request_fingerprint, balance_after, created_at)""",  # noqa: S608 - names from model metadata
            [api_client.pk if api_client is not None else None, origin, *p_cols.values()],
        )
        if l_cols:
            cursor.execute(
                f"INSERT INTO {PurchaseLine._meta.db_table} (purchase_id, sku, category, amount) "  # noqa: S608
                "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::numeric[])",
                list(l_cols.values()),
            )
        if e_cols:
            cursor.execute(
                f"""INSERT INTO {LedgerEntry._meta.db_table} (id, customer_id, kind, points, reason, purchase_id,
                        refund_id, source, actor_id, idempotency_key, request_fingerprint, created_at, expires_at)
                    SELECT id, customer_id, kind, points, reason, purchase_id, NULL, '', NULL, NULL, '', %s, expires_at
                    FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::bigint[], %s::varchar[], %s::bigint[],
                        %s::timestamptz[]) AS v (id, customer_id, kind, points, reason, purchase_id, expires_at)""",  # noqa: S608
                [now, *e_cols.values()],
            )
        if lot_cols:
            cursor.execute(
                f"INSERT INTO {PointsLot._meta.db_table} (id, customer_id, entry_id, points, remaining, created_at, "  # noqa: S608
                "available_at, expires_at) SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], "
                "%s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])",
                list(lot_cols.values()),
            )
        if d_cols:
            cursor.execute(
                f"INSERT INTO {LotDebit._meta.db_table} (entry_id, lot_id, points) "  # noqa: S608
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])",
                list(d_cols.values()),
            )
        if older:
            ids = sorted(older)
            cursor.execute(
                f"UPDATE {PointsLot._meta.db_table} AS l SET remaining = v.remaining "  # noqa: S608 - metadata
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v (id, remaining) WHERE l.id = v.id",
                [ids, [older[pk] for pk in ids]],
            )
        cursor.execute(
            f"UPDATE {PointsAccount._meta.db_table} AS a SET balance = v.balance, updated_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v (id, balance) WHERE a.customer_id = v.id",
            [now, customers, [balances[pk] for pk in customers]],
        )
    for pk in customers:
        accounts[pk].balance = balances[pk]
    spend_days_add(
        [(p.customer_id, p.created_at, p.qualifying_amount, 1 if p.qualifying_amount > 0 else 0) for p in purchases]
    )
    customer_purchase_dates_touch_many([(p.customer_id, p.created_at) for p in purchases])
    purchases_recorded_publish(
        [
            PurchaseRecorded(
                purchase_id=p.pk,
                customer_id=p.customer_id,
                points_earned=p.earned_points,
                points_redeemed=p.redeemed_points,
            )
            for p in purchases
        ]
    )
    return {
        index: PurchaseResult(purchase=p, balance_after=p.balance_after, replayed=False, owed_settled=0)
        for p, (index, _data) in zip(purchases, plain, strict=True)
    }
