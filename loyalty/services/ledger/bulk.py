"""Crediting many customers at once: the one public bulk credit of the ledger (opening balances of an
import today; any future mass award). Set-based: a handful of INSERTs and one UPDATE per 5 000 customers,
never a query per customer, except for the few who owe points (their debt is settled first, entry by entry).
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
from .core import account_save, accounts_for_update, credit, user_or_none

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
