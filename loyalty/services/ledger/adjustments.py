"""Points that are not cashback: manual adjustments by staff, and awards (campaign bonuses)."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_record
from core.formatting import points_format
from core.idempotency import once_per_key, request_fingerprint

from ... import rules
from ...exceptions import AdjustmentTooLarge, InsufficientPoints, InvalidInput
from ...models import LedgerEntry, PointsAccount
from ...selectors import program_settings_get
from .core import Kind, account_lock, account_save, credit, debit, live_lots, parse, take_from_lots

REASON_MAX = LedgerEntry._meta.get_field("reason").max_length
SOURCE_MAX = LedgerEntry._meta.get_field("source").max_length


def _reason_clean(reason: str | None, *, required_message: str) -> str:
    """The reason trimmed; InvalidInput (on `reason`) when empty or longer than an entry holds (300)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(required_message, field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("A reason can have at most %(n)s characters.") % {"n": REASON_MAX}, field="reason")
    return reason


def _entry_once(
    *,
    customer_id: Any,
    key: str | None,
    fingerprint: str,
    now: dt.datetime,
    create: Callable[[PointsAccount], LedgerEntry],
) -> LedgerEntry:
    """`create(account)` once per key, under the customer's account lock; a retry returns the entry."""
    return once_per_key(
        model=LedgerEntry,
        key=key,
        fingerprint=fingerprint,
        lock=lambda: account_lock(customer_id, now=now),
        create=create,
        replay=lambda earlier: earlier,
    )


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
    """A manual adjustment by staff: ± `points` (integer, non-zero) with a mandatory reason, at most
    ProgramSettings.manual_adjustment_limit either way. Audited.

    A deduction takes live points only (never ones past their expiry), soonest expiry first, and never
    more than the customer holds. Raises InvalidInput, AdjustmentTooLarge, InsufficientPoints,
    UnknownCustomer, IdempotencyConflict (the key used for another customer, points or reason).
    """
    points = parse(rules.points_parse, points, allow_zero=False, allow_negative=True)
    reason = _reason_clean(reason, required_message=_("Enter the reason for the adjustment."))
    program = program_settings_get()
    if abs(points) > program.manual_adjustment_limit:
        raise AdjustmentTooLarge(
            ngettext(
                "A manual adjustment is limited to %(limit)s point.",
                "A manual adjustment is limited to %(limit)s points.",
                program.manual_adjustment_limit,
            )
            % {"limit": points_format(program.manual_adjustment_limit)}
        )
    fingerprint = request_fingerprint({"customer": str(customer_id), "points": points, "reason": reason})

    def create(account: PointsAccount) -> LedgerEntry:
        now = account.now
        balance_before = account.balance
        if points > 0:
            entry = credit(
                account=account,
                kind=Kind.ADJUSTMENT,
                points=points,
                reason=reason,
                now=now,
                available_at=now,
                expires_at=rules.points_expiry(credited_at=now, lifetime_days=program.points_lifetime_days),
                actor=actor,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
            )
        else:
            if -points > account.balance:  # the balance holds live points only: dead ones expired at the lock
                raise InsufficientPoints(
                    ngettext(
                        "Cannot deduct %(points)s point: the customer has %(balance)s.",
                        "Cannot deduct %(points)s points: the customer has %(balance)s.",
                        -points,
                    )
                    % {"points": points_format(-points), "balance": points_format(account.balance)}
                )
            entry = debit(
                account=account,
                kind=Kind.ADJUSTMENT,
                taken=take_from_lots(live_lots(account.pk, now), -points),
                reason=reason,
                now=now,
                actor=actor,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
            )
        account_save(account)
        audit_record(
            action=AuditAction.POINTS_ADJUST,
            obj=entry,
            summary=_("%(points)+d points for customer %(customer)s: %(reason)s")
            % {"points": points, "customer": account.pk, "reason": reason},
            actor=actor,
            origin=origin,
            changes={
                "customer": account.pk,
                "points": points,
                "reason": reason,
                "balance": [balance_before, account.balance],
            },
            at=now,
        )
        return entry

    return _entry_once(customer_id=customer_id, key=idempotency_key, fingerprint=fingerprint, now=now, create=create)


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
    """Credit `points` (a positive integer) that are not cashback: campaign bonuses, opening balances.

    `expires_at` overrides the program lifetime (a welcome bonus with its own deadline); with
    `use_lifetime=False` and no `expires_at` the points never expire. What the customer owes is paid
    from them first. Raises InvalidInput, UnknownCustomer, IdempotencyConflict (the key used for
    another customer, points, kind, source or deadline).
    """
    if kind not in (Kind.BONUS, Kind.IMPORT):
        raise ValueError(f"points_award does not credit {kind!r}")
    points = parse(rules.points_parse, points, allow_zero=False)
    reason = _reason_clean(reason, required_message=_("Enter the reason for the bonus."))
    if len(source) > SOURCE_MAX:
        raise InvalidInput(_("A source can have at most %(n)s characters.") % {"n": SOURCE_MAX}, field="source")
    deadline = expires_at  # the caller's own deadline is part of the request; a computed one is not
    fingerprint = request_fingerprint(
        {
            "customer": str(customer_id),
            "points": points,
            "kind": str(kind),
            "source": source,
            "reason": reason,
            "expires_at": deadline.isoformat() if deadline else None,
            "use_lifetime": use_lifetime,
        }
    )

    def create(account: PointsAccount) -> LedgerEntry:
        now = account.now
        expiry = deadline
        if expiry is None and use_lifetime:
            expiry = rules.points_expiry(credited_at=now, lifetime_days=program_settings_get().points_lifetime_days)
        entry = credit(
            account=account,
            kind=kind,
            points=points,
            reason=reason,
            now=now,
            available_at=now,
            expires_at=expiry,
            source=source,
            actor=actor,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        account_save(account)
        return entry

    return _entry_once(customer_id=customer_id, key=idempotency_key, fingerprint=fingerprint, now=now, create=create)
