"""A purchase's opening reads and closing writes, one statement each on PostgreSQL (issue #16).

Opening: what account_lock (the account row lock, the dead and spendable lots), versions_current (the cache
version tokens), tier_status_lock (the tier status row lock) and qualifying_spend (the tier window's spend,
read by tier_upgrade_on_purchase) would read one statement each, in that order, is read by one call of the
database function loyalty_purchase_open (migration loyalty 0024): each of its queries sees what was committed
before it ran, as the separate statements did, and the rows are locked in the same order (account first).
Closing: account_save and customer_purchase_dates_touch in one statement (a data-modifying WITH).

Elsewhere (SQLite: the demo), and when the account is locked by another transaction or does not exist yet,
the purchase takes the usual path: the same functions, one statement each.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from core.db import prepared_cursor
from core.versions import versions_memoised, versions_seed
from customers.services import customer_purchase_dates_touch, customer_purchase_dates_touch_sql

from ...models import PointsAccount, ProgramSettings, Tier, TierStatus
from ...selectors import (
    program_settings_held,
    qualifying_spend_counts,
    qualifying_spend_sum,
    qualifying_spend_window,
)
from ..tiers import UNREAD, tier_status_from_row, tier_status_lock
from .core import _ACCOUNT_COLUMNS, _fast, account_lock, account_save, expire_dead_lots, lots_for_spending_parse

_BIGINT = range(-(2**63), 2**63)


@dataclass(frozen=True)
class PurchaseOpening:
    """What the opening statement read besides the account and its lots (set as `account.opening`)."""

    status_row: tuple | None  # the tier status (customer id, tier id, below since, changed at), locked; None: none
    spend: tuple[Decimal, int] | None  # (money, purchases) counting towards tiers before this purchase; None: unread
    window_days: int | None  # the tier window (days, None: lifetime) `spend` was read over


def purchase_account_lock(customer_id: Any, *, now: dt.datetime | None, spend: int = 0) -> PointsAccount:
    """account_lock for a purchase (same arguments, same result, same errors: UnknownCustomer), that on
    PostgreSQL also reads, in the same statement and after the lock, the cache version tokens (handed to
    versions_current, when it would have read them: not versions_memoised()), the tier status (row-locked)
    and the qualifying spend of the tier window ending at the account's `now`, before this purchase: set as
    `account.opening` (PurchaseOpening; None when the usual path was taken), for purchase_tier_status and
    purchase_qualifying_spend.

    The spend is read over the tier window of the program settings this process holds (the tokens that say
    whether they are current come with it); purchase_qualifying_spend discards it when the settings turn out
    to have another window. The statement locks the account only when no other transaction holds it (SKIP
    LOCKED), so `now` (None: the present moment) is taken before it and is the moment the lock was granted,
    as account_lock's contract says; when the account is held by another transaction, or has none yet, it
    takes account_lock's path (which waits, or creates it), and the reads of the other functions follow one
    by one as before.
    """
    account = None
    if _fast():
        try:
            pk = int(customer_id)
        except (TypeError, ValueError):
            pk = None  # account_lock raises UnknownCustomer
        if pk is not None and pk in _BIGINT:
            account = _purchase_open(pk, now=now or timezone.now(), spend=spend)
    if account is None:
        account = account_lock(customer_id, now=now, spend=spend)
        account.opening = None
    return account


def _purchase_open(customer_id: int, *, now: dt.datetime, spend: int) -> PointsAccount | None:
    """The opening statement (see purchase_account_lock); None when it did not lock the account."""
    held = program_settings_held()
    window_days = held.tier_window_days if held is not None else None
    today = first_day = edge_from = start = first_edge_to = None
    if held is not None:  # nothing held yet (a process's first purchase): tier_upgrade_on_purchase reads it
        today, first_day, edge_from, start, first_edge_to = qualifying_spend_window(now, window_days)
    versions = not versions_memoised()
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT * FROM loyalty_purchase_open(%s::bigint, %s::timestamptz, %s::bigint, %s::boolean, %s::date, "
            "%s::date, %s::timestamptz, %s::timestamptz, %s::timestamptz)",
            [customer_id, now, max(spend, 0), versions, today, first_day, edge_from, start, first_edge_to],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    parts: dict[str, list[tuple]] = {"a": [], "l": [], "v": [], "s": [], "q": []}
    for part, n1, n2, n3, n4, n5, n6, n7, t1, t2, t3, d1, flag, m1, m2, s1, s2 in rows:
        if part == "l":
            parts[part].append((n1, n2, n3, n4, n5, n6, t1, t2, t3, flag, n7))
        elif part == "a":
            parts[part].append((n1, n2, n3, t1))
        elif part == "v":
            parts[part].append((s1, s2))
        elif part == "s":
            parts[part].append((n1, n2, d1, t1))
        else:
            parts[part].append((m1, n1, m2, n2))
    account = PointsAccount.from_db(connection.alias, _ACCOUNT_COLUMNS, parts["a"][0])
    if versions:
        versions_seed(dict(parts["v"]))
    account.now = now
    account.spendable = account.spendable_total = None
    dead, spendable, total = lots_for_spending_parse(parts["l"])
    if spend > 0:
        account.spendable, account.spendable_total = spendable, total
    account.opening = PurchaseOpening(
        status_row=parts["s"][0] if parts["s"] else None,
        spend=qualifying_spend_sum(*parts["q"][0]) if parts["q"] else None,
        window_days=window_days,
    )
    if expire_dead_lots(account, now=now, dead=dead) is not None:
        account_save(account)  # saved now: a replay or an error after the lock must not lose it (account_lock)
    return account


def purchase_tier_status(account: PointsAccount, *, tiers: list[Tier]) -> TierStatus | None:
    """tier_status_lock(account.pk, tiers=tiers), from the opening statement when it read it (no query)."""
    opening = getattr(account, "opening", None)
    if opening is not None:
        status = tier_status_from_row(opening.status_row, tiers=tiers)
        if status is not UNREAD:
            return status
    return tier_status_lock(account.pk, tiers=tiers)


def purchase_qualifying_spend(
    account: PointsAccount, *, paid: Decimal, at: dt.datetime, program: ProgramSettings
) -> tuple[Decimal, int] | None:
    """(money, purchases) counting towards tiers over the window ending at the account's `now` once this
    purchase (`paid`: its qualifying amount, money; `at`: its created_at) is recorded, as qualifying_spend
    would read them then: the opening statement's read plus this purchase when the window counts it. Exact
    because the account lock kept every other purchase and refund of the customer out meanwhile. None when
    the opening did not read it, or read it over another window than `program`'s (settings changed since
    this process last loaded them): tier_upgrade_on_purchase reads it."""
    opening = getattr(account, "opening", None)
    if opening is None or opening.spend is None or opening.window_days != program.tier_window_days:
        return None
    spend, purchases = opening.spend
    if qualifying_spend_counts(at, now=account.now, window_days=program.tier_window_days):
        spend, purchases = spend + paid, purchases + (1 if paid > 0 else 0)
    return spend, purchases


def purchase_account_save(account: PointsAccount, *, at: dt.datetime) -> None:
    """account_save, then customer_purchase_dates_touch for the purchase dated `at`: one statement on
    PostgreSQL (a data-modifying WITH), two elsewhere."""
    if _fast():
        account_save(account, also=customer_purchase_dates_touch_sql(customer_id=account.pk, at=at))
        return
    account_save(account)
    customer_purchase_dates_touch(customer_id=account.pk, at=at)
