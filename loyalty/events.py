"""Events `loyalty` publishes for the apps above it (analytics, campaigns, messaging), which subscribe at start-up.

`loyalty` never imports those apps: when a purchase must trigger something (a welcome campaign, a
"points earned" message), it publishes an event here and subscribers run after the purchase commits.
Subscribers should only queue work (a django-q2 task): they run in the request, after the commit, and
an error in one is logged and does not undo the purchase or stop the other subscribers.
"""

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurchaseRecorded:
    """A purchase was recorded (not a replay). `points_earned` and `points_redeemed` are ints (points)."""

    purchase_id: int
    customer_id: int
    points_earned: int
    points_redeemed: int


_purchase_recorded_subscribers: list[Callable] = []
_purchase_recorded_in_transaction: list[Callable] = []
# Subscribed with many=True: called with a list of events (one call per batch chunk, set-based work).
_purchase_recorded_many: set[Callable] = set()
# Subscribed in_transaction with savepoint=False: called without a savepoint of its own.
_purchase_recorded_no_savepoint: set[Callable] = set()


def purchase_recorded_subscribe(
    fn: Callable, *, in_transaction: bool = False, many: bool = False, savepoint: bool = True
) -> Callable:
    """Register `fn` to be called after each recorded purchase commits (once per function). Returns `fn`.

    `in_transaction`: call `fn` inside the purchase's transaction instead (in a savepoint: an error is logged
    and rolls back only what `fn` wrote), for a subscriber that only writes rows of the same database — a
    task queued in a table there (django-q2's ORM broker) — which then commit, or roll back, with the
    purchase: one commit per purchase instead of two, and no notice lost between the two (issue #16).
    `many`: `fn` takes a list of PurchaseRecorded (one call for all the purchases a batch chunk recorded,
    purchases_recorded_publish, so that it can do set-based work; a single purchase comes as a list of one).
    `savepoint` False (with `in_transaction`): no savepoint around `fn` — two statements fewer per purchase
    (issue #16) — for a subscriber whose only database work is one statement that no data can make fail (a
    row inserted into a queue table without constraints): a Python error is still logged and the purchase
    goes on; a failed statement would fail the purchase, as any statement of it would."""
    chosen = _purchase_recorded_in_transaction if in_transaction else _purchase_recorded_subscribers
    other = _purchase_recorded_subscribers if in_transaction else _purchase_recorded_in_transaction
    if fn in other:
        other.remove(fn)
    if fn not in chosen:
        chosen.append(fn)
    if many:
        _purchase_recorded_many.add(fn)
    else:
        _purchase_recorded_many.discard(fn)
    if in_transaction and not savepoint:
        _purchase_recorded_no_savepoint.add(fn)
    else:
        _purchase_recorded_no_savepoint.discard(fn)
    return fn


def purchase_recorded_unsubscribe(fn: Callable) -> None:
    """Remove `fn` (tests; an app that turns a feature off)."""
    for subscribers in (_purchase_recorded_subscribers, _purchase_recorded_in_transaction):
        if fn in subscribers:
            subscribers.remove(fn)
    _purchase_recorded_many.discard(fn)
    _purchase_recorded_no_savepoint.discard(fn)


def _deliver(fn: Callable, events: list[PurchaseRecorded], *, savepoint: bool = False) -> None:
    """Call `fn` with the events (the list when subscribed `many`, else one by one); errors are logged.
    `savepoint`: each call in its own (an in-transaction subscriber, so a failed statement of it does not
    poison the purchase's transaction)."""
    many = fn in _purchase_recorded_many
    for call in [events] if many else [[event] for event in events]:
        try:
            with transaction.atomic() if savepoint else nullcontext():
                fn(call if many else call[0])
        except Exception:
            logger.exception(
                "subscriber %s failed for purchases %s",
                getattr(fn, "__qualname__", fn),
                [event.purchase_id for event in call],
            )


def purchase_recorded_publish(event: PurchaseRecorded) -> None:
    """Call inside the purchase's transaction: each subscriber runs once it has committed, never if it
    rolls back; those subscribed `in_transaction` run now, each in a savepoint (unless subscribed without)."""
    purchases_recorded_publish([event])


def purchases_recorded_publish(events: list[PurchaseRecorded]) -> None:
    """purchase_recorded_publish for many purchases recorded in one transaction (a batch chunk, issue #16):
    subscribers registered `many` are called once with the whole list, the others once per event, in order;
    the same outcome as publishing each event."""
    if not events:
        return
    events = list(events)
    for fn in list(_purchase_recorded_in_transaction):
        _deliver(fn, events, savepoint=fn not in _purchase_recorded_no_savepoint)
    for fn in list(_purchase_recorded_subscribers):
        transaction.on_commit(partial(_deliver, fn, events))


@dataclass(frozen=True)
class TierUpgraded:
    """A purchase moved a customer up from one tier to a higher one (`change_id`: the TierChange row).
    Not published for joining the first tier, nor for the daily review's moves (the review is set-based:
    its upgrades are the TierChange rows of reason `upgrade_review` and its date)."""

    change_id: int
    customer_id: int


_tier_upgraded_subscribers: list[Callable[[TierUpgraded], None]] = []


def tier_upgraded_subscribe(fn: Callable[[TierUpgraded], None]) -> Callable[[TierUpgraded], None]:
    """Register `fn` to be called after each purchase that upgraded a tier commits (once per function)."""
    if fn not in _tier_upgraded_subscribers:
        _tier_upgraded_subscribers.append(fn)
    return fn


def tier_upgraded_unsubscribe(fn: Callable[[TierUpgraded], None]) -> None:
    """Remove `fn` (tests; an app that turns a feature off)."""
    if fn in _tier_upgraded_subscribers:
        _tier_upgraded_subscribers.remove(fn)


def _deliver_tier(fn: Callable[[TierUpgraded], None], event: TierUpgraded) -> None:
    try:
        fn(event)
    except Exception:
        logger.exception("subscriber %s failed for tier change %s", getattr(fn, "__qualname__", fn), event.change_id)


def tier_upgraded_publish(event: TierUpgraded) -> None:
    """Call inside the upgrading purchase's transaction: each subscriber runs once it has committed."""
    for fn in list(_tier_upgraded_subscribers):
        transaction.on_commit(partial(_deliver_tier, fn, event))


@dataclass(frozen=True)
class DailyRunFinished:
    """The daily jobs finished for a date (`as_of`, the shop's calendar day; replays of past dates too).
    Not published when the run was skipped because another one held the lock."""

    as_of: dt.date


_daily_run_finished_subscribers: list[Callable[[DailyRunFinished], None]] = []


def daily_run_finished_subscribe(fn: Callable[[DailyRunFinished], None]) -> Callable[[DailyRunFinished], None]:
    """Register `fn` to be called after each daily run (once per function). Returns `fn`."""
    if fn not in _daily_run_finished_subscribers:
        _daily_run_finished_subscribers.append(fn)
    return fn


def daily_run_finished_unsubscribe(fn: Callable[[DailyRunFinished], None]) -> None:
    """Remove `fn` (tests; an app that turns a feature off)."""
    if fn in _daily_run_finished_subscribers:
        _daily_run_finished_subscribers.remove(fn)


def _deliver_daily(fn: Callable[[DailyRunFinished], None], event: DailyRunFinished) -> None:
    try:
        fn(event)
    except Exception:
        logger.exception("subscriber %s failed for the daily run of %s", getattr(fn, "__qualname__", fn), event.as_of)


def daily_run_finished_publish(event: DailyRunFinished) -> None:
    """Call when the daily jobs are done: each subscriber runs once the surrounding transaction (if any)
    commits; an error in one is logged and does not stop the others."""
    for fn in list(_daily_run_finished_subscribers):
        transaction.on_commit(partial(_deliver_daily, fn, event))
