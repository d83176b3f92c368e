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
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, OuterRef, Q
from django.utils import timezone

from core.exceptions import DomainError
from core.versions import versions_once
from customers.models import Customer
from customers.services import customer_purchase_dates_touch_many

from ... import reasons, rules
from ...boosts import earning_plan
from ...events import PurchaseRecorded, purchases_recorded_publish
from ...models import LedgerEntry, LotDebit, PointsAccount, PointsLot, Purchase, PurchaseLine, TierStatus
from ...selectors import program_settings_get, qualifying_spend_subqueries, tier_rules, tiers_list
from .core import SOONEST_EXPIRY_FIRST, Kind, Taken, _fast, parse, take_from_lots
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
    known = set(
        Purchase.objects.filter(idempotency_key__in=[data["key"] for data in parsed.values()]).values_list(
            "idempotency_key", flat=True
        )
    )
    same = Q(api_client=api_client) if api_client is not None else Q(api_client__isnull=True, origin=origin)
    wanted = [data["external_id"] for data in parsed.values() if data["external_id"]]
    seen_receipts = (
        set(Purchase.objects.filter(same, external_id__in=wanted).values_list("external_id", flat=True))
        if wanted
        else set()
    )
    for data in parsed.values():
        account = accounts.get(data["customer_id"])
        if data["key"] in known or data["external_id"] in seen_receipts or account is None or account.points_owed:
            refused.add(data["customer_id"])
    candidates = sorted({data["customer_id"] for data in parsed.values()} - refused)
    if not candidates:
        return results
    # Dead lots wait for account_lock's lazy expiry: those customers go one by one.
    refused |= set(
        PointsLot.objects.filter(customer_id__in=candidates, remaining__gt=0, expires_at__lte=now)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    candidates = [pk for pk in candidates if pk not in refused]
    statuses = _statuses_lock(candidates, tiers)
    refused |= {pk for pk in candidates if pk not in statuses}
    candidates = [pk for pk in candidates if pk not in refused]
    if not candidates:
        return results
    # Would the chunk's purchases reach a higher tier? (The spend counted at most: all of them.)
    spend_now = _qualifying_spend_many(candidates, now=now, window_days=program.tier_window_days)
    added: dict[int, list] = defaultdict(lambda: [Decimal("0"), 0])
    for data in parsed.values():
        if data["customer_id"] in statuses:
            added[data["customer_id"]][0] += data["amount"]
            added[data["customer_id"]][1] += 1 if data["amount"] > 0 else 0
    rule_list = tier_rules(tiers)
    for pk in candidates:
        spend, count = spend_now.get(pk, (Decimal("0"), 0))
        target = rules.tier_for(rule_list, spend=spend + added[pk][0], purchases=count + added[pk][1])
        current = statuses[pk].tier
        if target is not None and target.key != current.pk and target.order > current.order:
            refused.add(pk)
    # The redemptions and earnings, in order, as purchase_record works them out, on the customers' spendable
    # lots read once (soonest expiry first); a redemption above what is allowed, a boost or points already
    # dead: that customer goes one by one.
    pools: dict[int, list[PointsLot]] = defaultdict(list)
    redeeming = sorted({d["customer_id"] for d in parsed.values() if d["redeem"] and d["customer_id"] not in refused})
    if redeeming:
        for lot in (
            PointsLot.objects.filter(customer_id__in=redeeming, remaining__gt=0, available_at__lte=now)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .order_by("customer_id", *SOONEST_EXPIRY_FIRST)
        ):
            pools[lot.customer_id].append(lot)
    plan: dict[int, dict[str, Any]] = {}
    for index, data in sorted(parsed.items()):
        pk = data["customer_id"]
        if pk in refused or pk not in statuses:
            continue
        tier = statuses[pk].tier
        taken: Taken = []
        if data["redeem"]:
            spendable = sorted(
                (lot for lot in pools[pk] if lot.remaining > 0 and lot.available_at <= now), key=_soonest
            )
            allowed = rules.max_redeemable(
                amount=data["amount"],
                available_points=sum(lot.remaining for lot in spendable),
                cap_percent=tier.redeem_cap_percent,
                point_value=program.point_value,
            )
            if data["redeem"] > allowed:
                refused.add(pk)
                continue
            taken = take_from_lots(spendable, data["redeem"])
            for lot, take in taken:
                lot.remaining -= take
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


def _statuses_lock(customer_ids: list[int], tiers: list) -> dict[int, TierStatus]:
    """The customers' tier statuses holding a tier the program has, row-locked in id order (FOR UPDATE), each
    with its tier set from `tiers`; customers without one are absent."""
    by_pk = {tier.pk: tier for tier in tiers}
    statuses = {}
    for status in TierStatus.objects.filter(pk__in=customer_ids).order_by("pk").select_for_update(of=("self",)):
        tier = by_pk.get(status.tier_id)
        if tier is not None:
            status.tier = tier
            statuses[status.pk] = status
    return statuses


def _qualifying_spend_many(customer_ids: list[int], *, now: dt.datetime, window_days: int | None) -> dict:
    """{customer id: (spend, purchases)} counting towards tiers over the window ending `now`: one query
    (qualifying_spend's numbers, by qualifying_spend_subqueries)."""
    spend, purchases = qualifying_spend_subqueries(customer=OuterRef("pk"), now=now, window_days=window_days)
    rows = Customer.objects.filter(pk__in=customer_ids).annotate(s=spend, n=purchases).values_list("pk", "s", "n")
    return {pk: (s or Decimal("0"), int(n or 0)) for pk, s, n in rows}


def _write(
    *,
    plain: list[tuple[int, dict[str, Any]]],
    accounts: dict[int, PointsAccount],
    statuses: dict[int, TierStatus],
    program: Any,
    api_client: Model | None,
    origin: str,
    now: dt.datetime,
) -> dict[int, PurchaseResult]:
    """The set-based writes for the plain items [(index, its plan)], in order: the purchases, their lines,
    their entries (the redemption, then the earning, as purchase_record writes them), the new lots (with what
    later redemptions of the chunk took from them already), where each redeemed point came from, the lots'
    remaining points, the balances, the spend totals and the purchase dates: one statement each."""
    balances = {pk: accounts[pk].balance for pk in {data["customer_id"] for _index, data in plain}}
    purchases = []
    for _index, data in plain:
        pk = data["customer_id"]
        balances[pk] += data["earned"] - data["redeem"]
        purchases.append(
            Purchase(
                customer_id=pk,
                amount=data["amount"],
                redeemed_points=data["redeem"],
                paid_amount=data["paid"],
                qualifying_amount=data["paid"],
                earned_points=data["earned"],
                earned_breakdown=data["parts"],
                cashback_percent=statuses[pk].tier.cashback_percent,
                point_value=program.point_value,
                external_id=data["external_id"],
                idempotency_key=data["key"],
                request_fingerprint=data["fingerprint"],
                created_by=None,
                api_client=api_client,
                origin=origin,
                balance_after=balances[pk],
                created_at=data["at"],
            )
        )
    Purchase.objects.bulk_create(purchases)
    lines: list[PurchaseLine] = []
    entries: list[LedgerEntry] = []
    debits: list[tuple[LedgerEntry, Taken]] = []
    lots: list[PointsLot] = []
    for purchase, (_index, data) in zip(purchases, plain, strict=True):
        line: LineInput
        for line in data["lines"]:
            lines.append(PurchaseLine(purchase=purchase, sku=line.sku, category=line.category, amount=line.amount))
        common = {"customer_id": purchase.customer_id, "purchase": purchase, "source": "", "created_at": now}
        if data["redeem"]:
            entry = LedgerEntry(
                kind=Kind.REDEEM,
                points=-data["redeem"],
                reason=reasons.redeem_reason(purchase),
                idempotency_key=None,
                request_fingerprint="",
                expires_at=None,
                **common,
            )
            entries.append(entry)
            debits.append((entry, data["taken"]))
        if data["earned"]:
            entry = LedgerEntry(
                kind=Kind.EARN,
                points=data["earned"],
                reason=reasons.earn_reason(purchase, purchase.cashback_percent),
                idempotency_key=None,
                request_fingerprint="",
                expires_at=data["lot"].expires_at,
                **common,
            )
            entries.append(entry)
            data["lot"].entry = entry
            lots.append(data["lot"])
    PurchaseLine.objects.bulk_create(lines)
    LedgerEntry.objects.bulk_create(entries)
    for lot in lots:
        lot.entry_id = lot.entry.pk
    PointsLot.objects.bulk_create(lots)  # with what later purchases of the chunk took from them already
    LotDebit.objects.bulk_create(
        [LotDebit(entry=entry, lot_id=lot.pk, points=take) for entry, taken in debits for lot, take in taken]
    )
    new = {lot.pk for lot in lots}
    older = {lot.pk: lot.remaining for _entry, taken in debits for lot, _take in taken if lot.pk not in new}
    with connection.cursor() as cursor:
        if older:
            ids = sorted(older)
            cursor.execute(
                f"UPDATE {PointsLot._meta.db_table} AS l SET remaining = v.remaining "  # noqa: S608 - metadata
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v (id, remaining) WHERE l.id = v.id",
                [ids, [older[pk] for pk in ids]],
            )
        ids = sorted(balances)
        cursor.execute(
            f"UPDATE {PointsAccount._meta.db_table} AS a SET balance = v.balance, updated_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v (id, balance) WHERE a.customer_id = v.id",
            [now, ids, [balances[pk] for pk in ids]],
        )
    for pk in ids:
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
