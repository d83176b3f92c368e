"""Refunds: undo all or part of a purchase's points, so that the customer ends exactly where they would
be had the refunded part not been bought, never better and never worse.

Per refund, in one transaction under the account lock:
1. the redeemed points paid with come back in proportion, lot by lot with the expiry of the very lots
   they were paid from (points already past it come back dead and expire at once);
2. then the earned cashback is taken back in proportion: first from the points that lot still holds
   (wherever a refund returned them), then from any live points; what was spent and cannot be taken
   is the refund's shortfall, owed by the customer and paid by later credits first;
3. earned points that expired unused are not taken back: the customer lost them already.
Proportions are cumulative and round down (rules.refund_points_split), so partial refunds add up to
exactly one full refund.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q, Sum
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record, audit_value
from core.idempotency import once_per_key, request_fingerprint

from ... import reasons, rules
from ...boosts import boosts_refunded
from ...exceptions import RefundTooMuch, UnknownPurchase
from ...models import LotDebit, PointsAccount, PointsLot, Purchase, Refund
from ...selectors import balance_after_refund
from ...templatetags.money import money
from .core import (
    Kind,
    account_lock,
    account_save,
    credit,
    debit,
    live_lots,
    lot_root,
    owed_outstanding,
    parse,
    take_from_lots,
    user_or_none,
)
from .spend import spend_day_add


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    balance_after: int  # points, the customer's balance right after the refund
    replayed: bool


def purchase_refund(
    *,
    purchase_id: Any,
    amount: Any = None,
    idempotency_key: str | None = None,
    api_client: Model | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> RefundResult:
    """Refund `amount` (money; None: all that remains) of a purchase and settle its points.

    With `api_client`, only that client's own purchases can be refunded (another's is UnknownPurchase,
    a 404: a leaked key cannot reverse points on other systems' purchases). Raises UnknownPurchase,
    InvalidInput, RefundTooMuch (more than remains), IdempotencyConflict.
    """
    refund_amount = None if amount in (None, "") else parse(rules.money_parse, amount)
    fingerprint = request_fingerprint({"purchase": str(purchase_id), "amount": str(refund_amount)})
    try:
        purchase_pk = int(purchase_id)
    except (TypeError, ValueError):
        raise UnknownPurchase(purchase_id) from None
    visible = Purchase.objects.filter(pk=purchase_pk)
    if api_client is not None:
        visible = visible.filter(api_client=api_client)
    customer_id = visible.values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise UnknownPurchase(purchase_id)
    return once_per_key(
        model=Refund,
        key=idempotency_key,
        fingerprint=fingerprint,
        lock=lambda: account_lock(customer_id, now=now),
        replay=lambda earlier: RefundResult(refund=earlier, balance_after=balance_after_refund(earlier), replayed=True),
        create=lambda account: _refund_create(
            account=account,
            purchase=Purchase.objects.select_for_update().get(pk=purchase_pk),
            amount=refund_amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=actor,
            origin=origin,
            now=account.now,
        ),
    )


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
        raise RefundTooMuch(requested=amount or purchase.amount, refundable=Decimal("0.00"), refunded_in_full=True)
    if amount is None:
        amount = refundable
    if amount > refundable:
        raise RefundTooMuch(requested=amount, refundable=refundable)
    earn_lot = PointsLot.objects.filter(entry__purchase=purchase, entry__kind=Kind.EARN).only("pk").first()
    # Earned points that expired unused were lost already and are not taken back; earlier refunds of
    # this purchase may have counted some of them.
    excused_before = (purchase.refunds.aggregate(s=Sum("points_expired"))["s"] or 0) if earn_lot else 0
    reverse_due, to_return = rules.refund_points_split(
        amount=purchase.amount,
        refunded_before=purchase.refunded_amount,
        refund_amount=amount,
        earned_points=purchase.earned_points,
        reversed_before=purchase.points_reversed + excused_before,
        redeemed_points=purchase.redeemed_points,
        returned_before=purchase.points_returned,
    )
    balance_before = account.balance
    refund = Refund.objects.create(
        purchase=purchase,
        amount=amount,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        created_by=user_or_none(actor),
        origin=origin,
        created_at=now,
    )
    label = purchase.external_id or f"#{purchase.pk}"
    if to_return:
        _return_points(
            account=account, purchase=purchase, refund=refund, points=to_return, label=label, actor=actor, now=now
        )
    expired = 0
    if reverse_due and earn_lot is not None:
        expired = min(reverse_due, max(0, _expired_from(earn_lot.pk) - excused_before))
    to_reverse = reverse_due - expired
    reversed_points = 0
    if to_reverse:
        root = earn_lot.pk if earn_lot is not None else None
        taken = take_from_lots(live_lots(account.pk, now, root_first=root), to_reverse)
        if taken:
            debit(
                account=account,
                kind=Kind.REFUND_REVERSAL,
                taken=taken,
                reason=reasons.reversal_reason(purchase),
                now=now,
                purchase=purchase,
                refund=refund,
                actor=actor,
            )
            reversed_points = sum(take for _lot, take in taken)
    shortfall = to_reverse - reversed_points
    account.points_owed += shortfall
    refund.points_reversed = reversed_points
    refund.points_returned = to_return
    refund.points_shortfall = shortfall
    refund.points_expired = expired
    refund.balance_after = account.balance
    refund.save(
        update_fields=["points_reversed", "points_returned", "points_shortfall", "points_expired", "balance_after"]
    )
    boosts_refunded(
        purchase_id=purchase.pk, amount=purchase.amount, refunded_before=purchase.refunded_amount, refund_amount=amount
    )
    # points_reversed counts what was settled: taken back, or owed (the shortfall).
    purchase.refunded_amount += amount
    purchase.points_reversed += to_reverse
    purchase.points_returned += to_return
    qualifying_before = purchase.qualifying_amount
    purchase.qualifying_amount = rules.qualifying_amount(
        paid=purchase.paid_amount, amount=purchase.amount, refunded=purchase.refunded_amount
    )
    spend_day_add(  # the running total of the purchase's day (its window position), not the refund's
        customer_id=purchase.customer_id,
        at=purchase.created_at,
        spend=purchase.qualifying_amount - qualifying_before,
        purchases=int(purchase.qualifying_amount > 0) - int(qualifying_before > 0),
    )
    purchase.save(update_fields=["refunded_amount", "points_reversed", "points_returned", "qualifying_amount"])
    account_save(account)
    if user_or_none(actor) is not None:
        _refund_audit(refund=refund, purchase=purchase, balance_before=balance_before, actor=actor, origin=origin)
    return RefundResult(refund=refund, balance_after=account.balance, replayed=False)


def _refund_audit(*, refund: Refund, purchase: Purchase, balance_before: int, actor: Any, origin: str) -> None:
    """The audit row of a refund a person recorded (the till): who, the customer, the purchase, the amount,
    the points it moved (only the parts that are not zero) and the balance before → after. Refunds sent
    by API clients are in the purchase's refunds only, as their purchases are."""
    receipt = purchase.external_id or f"#{purchase.pk}"
    points = {
        name: getattr(refund, name)
        for name in ("points_returned", "points_reversed", "points_expired", "points_shortfall")
        if getattr(refund, name)
    }
    audit_record(
        action=AuditAction.PURCHASE_REFUND,
        obj=refund,
        summary=_("Refund of %(amount)s on purchase %(receipt)s")
        % {"amount": money(refund.amount), "receipt": receipt},
        actor=actor,
        origin=origin,
        changes={
            "customer": purchase.customer_id,
            "purchase": purchase.pk,
            "receipt": receipt,
            "amount": audit_value(refund.amount),
            **points,
            "balance": [balance_before, refund.balance_after],
        },
        at=refund.created_at,
    )


def _expired_from(root_lot_id: int) -> int:
    """Points that expired unused in a lot or in any lot a refund returned its points into (points)."""
    return (
        LotDebit.objects.filter(
            Q(lot_id=root_lot_id) | Q(lot__origin_lot_id=root_lot_id), entry__kind=Kind.EXPIRE
        ).aggregate(s=Sum("points"))["s"]
        or 0
    )


def _units(debits: list[LotDebit]) -> list[tuple[PointsLot, int]]:
    return [(d.lot, d.points) for d in debits]


def _slice(pieces: list[tuple[PointsLot, int]], start: int, count: int) -> list[tuple[PointsLot, int]]:
    """Points `start` … `start + count − 1` of a sequence of (lot, points) pieces, as pieces."""
    result = []
    for lot, points in pieces:
        if count <= 0:
            break
        if start >= points:
            start -= points
            continue
        take = min(points - start, count)
        result.append((lot, take))
        count -= take
        start = 0
    return result


def _return_points(
    *, account: PointsAccount, purchase: Purchase, refund: Refund, points: int, label: str, actor: Any, now: dt.datetime
) -> None:
    """Credit `points` of the purchase's redemption back, lot by lot.

    The points come back in the reverse order they were taken (the longest-lived first), each piece
    with the expiry of the lot it was paid from. A piece whose points were earned by another purchase
    that has since been refunded is, in this order:
    1. the very points that refund could not take back: they settle what it left owed (even if dead);
    2. the points that refund took in their place (these had been spent here): they turn back into
       those points, with their expiry;
    3. the rest comes back as itself.
    So the customer ends with what they would hold had neither purchase happened.
    """
    paid_with = list(
        LotDebit.objects.filter(entry__purchase=purchase, entry__kind=Kind.REDEEM)
        .select_related("lot", "lot__entry")
        .order_by("-entry_id", "-id")
    )
    for lot, count in _slice(_units(paid_with), purchase.points_returned, points):
        root_id = lot_root(lot)
        root = lot if root_id == lot.pk else PointsLot.objects.select_related("entry").get(pk=root_id)
        earner_id = root.entry.purchase_id if root.entry.kind == Kind.EARN else None
        if earner_id is not None and earner_id != purchase.pk:
            owed = min(count, sum(left for _refund, left in owed_outstanding(account.pk, purchase_id=earner_id)))
            if owed:
                _credit_return(
                    account=account,
                    source_lot=lot,
                    root_id=root_id,
                    points=owed,
                    refund=refund,
                    label=label,
                    actor=actor,
                    now=now,
                    owed_by_purchase_id=earner_id,
                )
                count -= owed
            if count:
                count = _swap_back(
                    account=account, earner_id=earner_id, points=count, refund=refund, label=label, actor=actor, now=now
                )
        if count:
            _credit_return(
                account=account,
                source_lot=lot,
                root_id=root_id,
                points=count,
                refund=refund,
                label=label,
                actor=actor,
                now=now,
                owed_by_purchase_id=earner_id,
            )


def _swap_back(
    *, account: PointsAccount, earner_id: int, points: int, refund: Refund, label: str, actor: Any, now: dt.datetime
) -> int:
    """Return up to `points` as the points a refund of purchase `earner_id` took in their place;
    the number of points left to return as themselves."""
    earner = Purchase.objects.select_for_update().get(pk=earner_id)
    earn_root = PointsLot.objects.filter(entry__purchase=earner, entry__kind=Kind.EARN).values_list("pk", flat=True)
    replaced_by = list(
        LotDebit.objects.filter(
            Q(entry__purchase=earner, entry__kind=Kind.REFUND_REVERSAL)
            | Q(
                entry__kind=Kind.OWED_SETTLED,
                entry__source__in=[f"refund:{pk}" for pk in earner.refunds.values_list("pk", flat=True)],
            )
        )
        .exclude(Q(lot_id__in=earn_root) | Q(lot__origin_lot_id__in=earn_root))
        .select_related("lot")
        .order_by("entry_id", "id")
    )
    pieces = _slice(_units(replaced_by), earner.points_swapped_back, points)
    swapped = 0
    for lot, count in pieces:
        _credit_return(
            account=account,
            source_lot=lot,
            root_id=lot_root(lot),
            points=count,
            refund=refund,
            label=label,
            actor=actor,
            now=now,
        )
        swapped += count
    if swapped:
        Purchase.objects.filter(pk=earner.pk).update(points_swapped_back=earner.points_swapped_back + swapped)
    return points - swapped


def _credit_return(
    *,
    account: PointsAccount,
    source_lot: PointsLot,
    root_id: int,
    points: int,
    refund: Refund,
    label: str,
    actor: Any,
    now: dt.datetime,
    owed_by_purchase_id: int | None = None,
) -> None:
    credit(
        account=account,
        kind=Kind.REFUND_RETURN,
        points=points,
        reason=reasons.return_reason(refund.purchase),
        now=now,
        available_at=source_lot.available_at,
        expires_at=source_lot.expires_at,
        origin_lot_id=root_id,
        owed_by_purchase_id=owed_by_purchase_id,
        purchase=refund.purchase,
        refund=refund,
        actor=actor,
    )
