"""Writes for the loyalty program: the points ledger and the operations that move points.

Every service here:
- runs in one transaction and locks the customer's PointsAccount row first (so concurrent operations on
  one customer are serialised and never overspend);
- appends LedgerEntry rows and keeps PointsAccount.balance equal to their sum, and to the sum of
  PointsLot remainders, in that same transaction;
- is idempotent by a caller-supplied key where the request comes from outside (till, API, import);
- validates everything before writing, so bad input raises a LoyaltyError and changes nothing.
"""

import datetime as dt
import hashlib
import json
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.services import audit_record, customer_purchase_dates_touch

from .. import rules
from ..exceptions import (
    AdjustmentTooLarge,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    RedeemTooMuch,
    RefundTooMuch,
    UnknownCustomer,
    UnknownPurchase,
)
from ..models import LedgerEntry, LotDebit, PointsAccount, PointsLot, Purchase, PurchaseLine, Refund
from ..selectors import (
    balance_after_purchase,
    balance_after_refund,
    customer_terms,
    program_settings_get,
    tiers_list,
)
from .tiers import tier_recalculate_all, tier_upgrade_on_purchase

logger = logging.getLogger(__name__)

Kind = LedgerEntry.Kind


# --- building blocks -------------------------------------------------------------------------------


def _parse(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except rules.RuleError as exc:
        raise InvalidInput(str(exc)) from None


def _fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _account_lock(customer_id: Any) -> PointsAccount:
    """Lock the customer's account row (creating it on first use). Call inside a transaction."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise UnknownCustomer(customer_id) from None
    account = PointsAccount.objects.select_for_update().filter(pk=customer_id).first()
    if account is not None:
        return account
    if not Customer.objects.filter(pk=customer_id).exists():
        raise UnknownCustomer(customer_id)
    try:
        with transaction.atomic():
            PointsAccount.objects.create(customer_id=customer_id, balance=0)
    except IntegrityError:
        pass  # created concurrently; lock it below
    return PointsAccount.objects.select_for_update().get(pk=customer_id)


def _credit(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    reason: str,
    now: dt.datetime,
    available_at: dt.datetime,
    expires_at: dt.datetime | None,
    purchase: Purchase | None = None,
    refund: Refund | None = None,
    source: str = "",
    actor: Any = None,
    idempotency_key: str | None = None,
) -> LedgerEntry:
    entry = LedgerEntry.objects.create(
        customer_id=account.pk,
        kind=kind,
        points=points,
        reason=reason,
        purchase=purchase,
        refund=refund,
        source=source,
        actor=_user_or_none(actor),
        idempotency_key=idempotency_key,
        created_at=now,
        expires_at=expires_at,
    )
    PointsLot.objects.create(
        customer_id=account.pk,
        entry=entry,
        points=points,
        remaining=points,
        created_at=now,
        available_at=available_at,
        expires_at=expires_at,
    )
    account.balance += points
    return entry


def _take_from_lots(lots: list[PointsLot], points: int) -> list[tuple[PointsLot, int]]:
    taken = []
    need = points
    for lot in lots:
        if need == 0:
            break
        take = min(lot.remaining, need)
        if take:
            taken.append((lot, take))
            need -= take
    return taken


def _debit(
    *,
    account: PointsAccount,
    kind: str,
    taken: list[tuple[PointsLot, int]],
    reason: str,
    now: dt.datetime,
    purchase: Purchase | None = None,
    refund: Refund | None = None,
    source: str = "",
    actor: Any = None,
    idempotency_key: str | None = None,
) -> LedgerEntry:
    points = sum(take for _lot, take in taken)
    entry = LedgerEntry.objects.create(
        customer_id=account.pk,
        kind=kind,
        points=-points,
        reason=reason,
        purchase=purchase,
        refund=refund,
        source=source,
        actor=_user_or_none(actor),
        idempotency_key=idempotency_key,
        created_at=now,
    )
    # One UPDATE for all the lots touched: remaining -= take, guarded by the CHECK (remaining >= 0).
    PointsLot.objects.filter(pk__in=[lot.pk for lot, _take in taken]).update(
        remaining=F("remaining")
        - Case(*[When(pk=lot.pk, then=take) for lot, take in taken], output_field=IntegerField())
    )
    LotDebit.objects.bulk_create([LotDebit(entry=entry, lot=lot, points=take) for lot, take in taken])
    account.balance -= points
    return entry


def _spendable_lots(customer_id: int, now: dt.datetime) -> list[PointsLot]:
    """Lots that can pay now, soonest expiry first (never-expiring last), then oldest."""
    return list(
        PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0, available_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by(F("expires_at").asc(nulls_last=True), "available_at", "id")
    )


def _all_open_lots(customer_id: int, *, first_lot_id: int | None = None) -> list[PointsLot]:
    """Every lot with points left (pending ones too), a preferred lot first, then soonest expiry."""
    lots = list(
        PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0).order_by(
            F("expires_at").asc(nulls_last=True), "available_at", "id"
        )
    )
    if first_lot_id is not None:
        lots.sort(key=lambda lot: lot.pk != first_lot_id)
    return lots


def _save_balance(account: PointsAccount) -> None:
    account.save(update_fields=["balance", "updated_at"])


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _once_per_key(*, model, key: str | None, fingerprint: str, customer_id: Any, replay, create):
    """Run `create(account)` at most once per idempotency key, under the customer's account lock.

    A key seen before returns `replay(earlier, fingerprint)` (which raises IdempotencyConflict for a
    different request). Two requests with one key for different customers can still race past the
    check: the loser's INSERT hits the unique key, and it replays the winner's row instead.
    """
    try:
        with transaction.atomic():
            account = _account_lock(customer_id)
            if key and (earlier := model.objects.filter(idempotency_key=key).first()) is not None:
                return replay(earlier, fingerprint)
            return create(account)
    except IntegrityError:
        earlier = model.objects.filter(idempotency_key=key).first() if key else None
        if earlier is None:
            raise
        return replay(earlier, fingerprint)


# --- purchases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    balance_after: int
    replayed: bool  # True when an idempotency key returned an earlier result


@dataclass(frozen=True)
class LineInput:
    amount: Decimal
    category: str = ""
    sku: str = ""


def _lines_parse(lines: list[Any] | None) -> list[LineInput]:
    parsed = []
    for index, line in enumerate(lines or [], start=1):
        data = line if isinstance(line, dict) else vars(line)
        try:
            amount = rules.money_parse(data.get("amount"), field_label=_("Line %(n)s amount") % {"n": index})
        except rules.RuleError as exc:
            raise InvalidInput(str(exc), field="lines") from None
        parsed.append(
            LineInput(
                amount=amount, category=str(data.get("category") or "")[:100], sku=str(data.get("sku") or "")[:64]
            )
        )
    return parsed


def purchase_record(
    *,
    customer_id: Any,
    amount: Any,
    redeem_points: Any = 0,
    lines: list[Any] | None = None,
    external_id: str = "",
    idempotency_key: str | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> PurchaseResult:
    """Record a purchase: redeem points (up to the cap), earn cashback on the part paid in money.

    The same `idempotency_key` with the same request returns the first result and records nothing;
    with a different request it raises IdempotencyConflict.
    """
    amount = _parse(rules.money_parse, amount)
    redeem = _parse(rules.points_parse, redeem_points)
    parsed_lines = _lines_parse(lines)
    external_id = (external_id or "").strip()[:100]
    fingerprint = _fingerprint(
        {
            "customer": str(customer_id),
            "amount": str(amount),
            "redeem": redeem,
            "external_id": external_id,
            "lines": [[str(line.amount), line.category, line.sku] for line in parsed_lines],
        }
    )
    return _once_per_key(
        model=Purchase,
        key=idempotency_key,
        fingerprint=fingerprint,
        customer_id=customer_id,
        replay=_purchase_replay,
        create=lambda account: _purchase_create(
            account=account,
            amount=amount,
            redeem=redeem,
            lines=parsed_lines,
            external_id=external_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            origin=origin,
            now=now or timezone.now(),
        ),
    )


def _purchase_replay(earlier: Purchase, fingerprint: str) -> PurchaseResult:
    if earlier.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    return PurchaseResult(purchase=earlier, balance_after=balance_after_purchase(earlier), replayed=True)


def _purchase_create(
    *,
    account: PointsAccount,
    amount: Decimal,
    redeem: int,
    lines: list[LineInput],
    external_id: str,
    idempotency_key: str | None,
    fingerprint: str,
    actor: Any,
    origin: str,
    now: dt.datetime,
) -> PurchaseResult:
    program = program_settings_get()
    tiers = tiers_list()
    # The tier held before this purchase sets its terms; an upgrade it causes applies from the next one.
    _tier, cashback, cap = customer_terms(account.pk, program=program, tiers=tiers)
    if redeem:
        spendable = _spendable_lots(account.pk, now)  # the same lots pay below: one read
        available = sum(lot.remaining for lot in spendable)
        allowed = rules.max_redeemable(
            amount=amount, available_points=available, cap_percent=cap, point_value=program.point_value
        )
        if redeem > allowed:
            raise RedeemTooMuch(requested=redeem, max_redeem_points=allowed)
    paid = rules.paid_amount(amount=amount, redeemed_points=redeem, point_value=program.point_value)
    earned = rules.earn_points(paid=paid, cashback_percent=cashback, point_value=program.point_value)
    purchase = Purchase.objects.create(
        customer_id=account.pk,
        amount=amount,
        redeemed_points=redeem,
        paid_amount=paid,
        qualifying_amount=paid,
        earned_points=earned,
        cashback_percent=cashback,
        point_value=program.point_value,
        external_id=external_id,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        created_by=_user_or_none(actor),
        origin=origin,
        created_at=now,
    )
    if lines:
        PurchaseLine.objects.bulk_create(
            [
                PurchaseLine(purchase=purchase, sku=line.sku, category=line.category, amount=line.amount)
                for line in lines
            ]
        )
    label = external_id or f"#{purchase.pk}"
    if redeem:
        _debit(
            account=account,
            kind=Kind.REDEEM,
            taken=_take_from_lots(spendable, redeem),
            reason=_("Paid with points, purchase %(p)s") % {"p": label},
            now=now,
            purchase=purchase,
            actor=actor,
        )
    if earned:
        _credit(
            account=account,
            kind=Kind.EARN,
            points=earned,
            reason=_("Cashback %(pct)s%% on purchase %(p)s") % {"pct": _percent(cashback), "p": label},
            now=now,
            available_at=rules.points_available_at(
                credited_at=now, activation_delay_days=program.activation_delay_days
            ),
            expires_at=rules.points_expiry(credited_at=now, lifetime_days=program.points_lifetime_days),
            purchase=purchase,
            actor=actor,
        )
    _save_balance(account)
    customer_purchase_dates_touch(customer_id=account.pk, at=now)
    tier_upgrade_on_purchase(customer_id=account.pk, purchase=purchase, now=now, program=program, tiers=tiers)
    return PurchaseResult(purchase=purchase, balance_after=account.balance, replayed=False)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


# --- refunds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    balance_after: int
    replayed: bool


def purchase_refund(
    *,
    purchase_id: Any,
    amount: Any = None,
    idempotency_key: str | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> RefundResult:
    """Refund all (amount=None) or part of a purchase.

    Earned points are reversed and redeemed points returned in proportion to the refunded amount.
    Reversed points that were already spent are not taken below zero: the shortfall is recorded.
    """
    refund_amount = None if amount in (None, "") else _parse(rules.money_parse, amount)
    fingerprint = _fingerprint({"purchase": str(purchase_id), "amount": str(refund_amount)})
    try:
        purchase_pk = int(purchase_id)
    except (TypeError, ValueError):
        raise UnknownPurchase(purchase_id) from None
    customer_id = Purchase.objects.filter(pk=purchase_pk).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise UnknownPurchase(purchase_id)
    return _once_per_key(
        model=Refund,
        key=idempotency_key,
        fingerprint=fingerprint,
        customer_id=customer_id,
        replay=_refund_replay,
        create=lambda account: _refund_create(
            account=account,
            purchase=Purchase.objects.select_for_update().get(pk=purchase_pk),
            amount=refund_amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            origin=origin,
            now=now or timezone.now(),
        ),
    )


def _refund_replay(earlier: Refund, fingerprint: str) -> RefundResult:
    if earlier.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    return RefundResult(refund=earlier, balance_after=balance_after_refund(earlier), replayed=True)


def _refund_create(
    *,
    account: PointsAccount,
    purchase: Purchase,
    amount: Decimal | None,
    idempotency_key: str | None,
    fingerprint: str,
    actor: Any,
    origin: str,
    now: dt.datetime,
) -> RefundResult:
    refundable = purchase.refundable_amount
    if refundable <= 0:
        raise RefundTooMuch(requested=amount or purchase.amount, refundable=Decimal("0.00"))
    if amount is None:
        amount = refundable
    if amount > refundable:
        raise RefundTooMuch(requested=amount, refundable=refundable)
    to_reverse, to_return = rules.refund_points_split(
        amount=purchase.amount,
        refunded_before=purchase.refunded_amount,
        refund_amount=amount,
        earned_points=purchase.earned_points,
        reversed_before=purchase.points_reversed,
        redeemed_points=purchase.redeemed_points,
        returned_before=purchase.points_returned,
    )
    refund = Refund.objects.create(
        purchase=purchase,
        amount=amount,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        created_by=_user_or_none(actor),
        origin=origin,
        created_at=now,
    )
    label = purchase.external_id or f"#{purchase.pk}"
    reversed_points = 0
    if to_reverse:
        earn_lot_id = (
            PointsLot.objects.filter(entry__purchase=purchase, entry__kind=Kind.EARN)
            .values_list("id", flat=True)
            .first()
        )
        taken = _take_from_lots(_all_open_lots(account.pk, first_lot_id=earn_lot_id), to_reverse)
        if taken:
            _debit(
                account=account,
                kind=Kind.REFUND_REVERSAL,
                taken=taken,
                reason=_("Refund of purchase %(p)s: cashback reversed") % {"p": label},
                now=now,
                purchase=purchase,
                refund=refund,
                actor=actor,
            )
            reversed_points = sum(take for _lot, take in taken)
    if to_return:
        _credit(
            account=account,
            kind=Kind.REFUND_RETURN,
            points=to_return,
            reason=_("Refund of purchase %(p)s: points paid with returned") % {"p": label},
            now=now,
            available_at=now,
            expires_at=_returned_points_expiry(purchase),
            purchase=purchase,
            refund=refund,
            actor=actor,
        )
    refund.points_reversed = reversed_points
    refund.points_returned = to_return
    refund.points_shortfall = to_reverse - reversed_points
    refund.save(update_fields=["points_reversed", "points_returned", "points_shortfall"])
    # points_reversed counts the shortfall too: those points are settled, not owed again later.
    purchase.refunded_amount += amount
    purchase.points_reversed += to_reverse
    purchase.points_returned += to_return
    purchase.qualifying_amount = rules.qualifying_amount(
        paid=purchase.paid_amount, amount=purchase.amount, refunded=purchase.refunded_amount
    )
    purchase.save(update_fields=["refunded_amount", "points_reversed", "points_returned", "qualifying_amount"])
    _save_balance(account)
    return RefundResult(refund=refund, balance_after=account.balance, replayed=False)


def _returned_points_expiry(purchase: Purchase) -> dt.datetime | None:
    """Returned points keep the latest expiry of the lots they were paid from (no lifetime extension)."""
    expiries = list(
        LotDebit.objects.filter(entry__purchase=purchase, entry__kind=Kind.REDEEM).values_list(
            "lot__expires_at", flat=True
        )
    )
    if not expiries or any(expiry is None for expiry in expiries):
        return None
    return max(expiries)


# --- adjustments and bonuses -----------------------------------------------------------------------


def points_adjust(
    *,
    customer_id: Any,
    points: Any,
    reason: str,
    actor: Any,
    idempotency_key: str | None = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """A manual adjustment by staff: ± points with a mandatory reason, within the configured limit."""
    points = _parse(rules.points_parse, points, allow_zero=False, allow_negative=True)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Enter the reason for the adjustment."), field="reason")
    program = program_settings_get()
    if abs(points) > program.manual_adjustment_limit:
        raise AdjustmentTooLarge(
            _("A manual adjustment is limited to %(limit)s points.") % {"limit": program.manual_adjustment_limit}
        )
    now = now or timezone.now()
    with transaction.atomic():
        account = _account_lock(customer_id)
        if idempotency_key and (earlier := LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()):
            return earlier
        if points > 0:
            entry = _credit(
                account=account,
                kind=Kind.ADJUSTMENT,
                points=points,
                reason=reason,
                now=now,
                available_at=now,
                expires_at=rules.points_expiry(credited_at=now, lifetime_days=program.points_lifetime_days),
                actor=actor,
                idempotency_key=idempotency_key,
            )
        else:
            if -points > account.balance:
                raise InsufficientPoints(
                    _("Cannot deduct %(points)s points: the customer has %(balance)s.")
                    % {"points": -points, "balance": account.balance}
                )
            entry = _debit(
                account=account,
                kind=Kind.ADJUSTMENT,
                taken=_take_from_lots(_all_open_lots(account.pk), -points),
                reason=reason,
                now=now,
                actor=actor,
                idempotency_key=idempotency_key,
            )
        _save_balance(account)
        audit_record(
            action="points.adjust",
            obj=entry,
            summary=_("%(points)+d points for customer %(customer)s: %(reason)s")
            % {"points": points, "customer": account.pk, "reason": reason},
            actor=actor,
            origin=origin,
            changes={"customer": account.pk, "points": points, "reason": reason, "balance_after": account.balance},
            at=now,
        )
    return entry


def points_award(
    *,
    customer_id: Any,
    points: Any,
    reason: str,
    kind: str = Kind.BONUS,
    source: str = "",
    expires_at: dt.datetime | None = None,
    use_lifetime: bool = True,
    idempotency_key: str | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """Credit points that are not cashback: campaign bonuses, imported opening balances.

    `expires_at` overrides the program lifetime (a welcome bonus with its own deadline); with
    `use_lifetime=False` and no `expires_at` the points never expire.
    """
    if kind not in (Kind.BONUS, Kind.IMPORT):
        raise ValueError(f"points_award does not credit {kind!r}")
    points = _parse(rules.points_parse, points, allow_zero=False)
    now = now or timezone.now()
    with transaction.atomic():
        account = _account_lock(customer_id)
        if idempotency_key and (earlier := LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()):
            return earlier
        if expires_at is None and use_lifetime:
            expires_at = rules.points_expiry(credited_at=now, lifetime_days=program_settings_get().points_lifetime_days)
        entry = _credit(
            account=account,
            kind=kind,
            points=points,
            reason=reason,
            now=now,
            available_at=now,
            expires_at=expires_at,
            source=source,
            actor=actor,
            idempotency_key=idempotency_key,
        )
        _save_balance(account)
    return entry


# --- expiry and the daily job ----------------------------------------------------------------------

EXPIRY_CHUNK = 20000  # customers per transaction


def points_expire_due(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """Expire every lot whose expiry is at or before the start of `as_of` (local time).

    Set-based: per chunk of customer ids, one INSERT … SELECT for the expiry entries (one per customer),
    one for the lot debits, one UPDATE of the balances and one of the lots. Running it again for the
    same date finds nothing left to expire: the lots it emptied have nothing left. A lot can still fall
    due after a run (returned points keep the expiry of the points they were paid with, which may have
    passed); the next run, even for the same date, expires it. Each entry's key
    (`expire:<date>:<run>:<customer>`) links it to its lot debits within this run.
    """
    cutoff = rules.local_midnight(as_of)
    now = now or timezone.now()
    due = PointsLot.objects.filter(remaining__gt=0, expires_at__lte=cutoff)
    bounds = due.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    result = {"customers": 0, "points": 0}
    if bounds["lo"] is None:
        return result
    lot_t, entry_t, debit_t = PointsLot._meta.db_table, LedgerEntry._meta.db_table, LotDebit._meta.db_table
    key_prefix = f"expire:{as_of.isoformat()}:{uuid.uuid4().hex[:12]}:"
    reason = _("Points expired")
    due_lot_sum = (
        due.filter(customer_id=OuterRef("pk")).values("customer_id").annotate(total=Sum("remaining")).values("total")
    )
    for lo in range(bounds["lo"], bounds["hi"] + 1, EXPIRY_CHUNK):
        hi = lo + EXPIRY_CHUNK - 1
        chunk_due = due.filter(customer_id__gte=lo, customer_id__lte=hi)
        with transaction.atomic():
            # Lock the accounts in primary-key order, as every ledger service does, before touching lots.
            locked = list(
                PointsAccount.objects.select_for_update()
                .filter(pk__in=chunk_due.values("customer_id"))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not locked:
                continue
            totals = chunk_due.aggregate(customers=Count("customer_id", distinct=True), points=Sum("remaining"))
            due_sql = "remaining > 0 AND expires_at <= %s AND customer_id BETWEEN %s AND %s"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {entry_t} (customer_id, kind, points, reason, source, idempotency_key, created_at)
                    SELECT customer_id, %s, -SUM(remaining), %s, '', %s || customer_id, %s
                    FROM {lot_t} WHERE {due_sql}
                    GROUP BY customer_id
                    """,  # noqa: S608 - table names come from model metadata, values are parameters
                    [Kind.EXPIRE, reason, key_prefix, now, cutoff, lo, hi],
                )
                cursor.execute(
                    f"""
                    INSERT INTO {debit_t} (entry_id, lot_id, points)
                    SELECT e.id, l.id, l.remaining
                    FROM {lot_t} l JOIN {entry_t} e ON e.idempotency_key = %s || l.customer_id
                    WHERE l.remaining > 0 AND l.expires_at <= %s AND l.customer_id BETWEEN %s AND %s
                    """,  # noqa: S608
                    [key_prefix, cutoff, lo, hi],
                )
            PointsAccount.objects.filter(pk__in=locked).update(balance=F("balance") - Subquery(due_lot_sum))
            chunk_due.update(remaining=0)
        result["customers"] += totals["customers"] or 0
        result["points"] += totals["points"] or 0
    return result


@contextmanager
def _job_lock(name: str):
    """Guard a job against overlapping runs (PostgreSQL advisory lock; SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def daily_run(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """The daily jobs as of a date: expiry, the tier review, then a check that cached balances equal the ledger.

    Idempotent per date: a second run for the same date changes nothing.
    """
    from ..selectors import balance_mismatches

    with _job_lock("loyalty.daily_run") as got_lock:
        if not got_lock:
            return {"date": as_of.isoformat(), "skipped": "another daily run is in progress"}
        expired = points_expire_due(as_of=as_of, now=now)
        tiers = tier_recalculate_all(as_of=as_of, now=now)
        mismatches = balance_mismatches()
    if mismatches:
        logger.error("ledger mismatch: cached balance differs from entries for %s", mismatches[:10])
    return {
        "date": as_of.isoformat(),
        "expired_customers": expired["customers"],
        "expired_points": expired["points"],
        "tiers_upgraded": tiers["upgraded"],
        "tiers_downgraded": tiers["downgraded"],
        "tiers_joined": tiers["joined"],
        "balance_mismatches": len(mismatches),
    }
