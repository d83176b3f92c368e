"""Events `customers` publishes for the apps above it, which subscribe without `customers` knowing them.

`OpeningBalances`: the customer import created customers who bring points from an old program. It is
published INSIDE the import's transaction (unlike after-commit events) because the balances are part of
the import: a failure to credit them must roll the customers back too. `loyalty` subscribes its bulk
credit at start-up (loyalty.apps); publishing balances with no subscriber is an error, not a silent loss.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OpeningBalances:
    """Opening balances of newly imported customers.

    `balances`: {customer id: points (int > 0)}; `source`: where they came from ("import:<job id>");
    `actor`: the user who ran the import (or None); `at`: the moment of the import (aware datetime)."""

    balances: dict[int, int]
    source: str
    actor: Any
    at: dt.datetime


_opening_balances_subscribers: list[Callable[[OpeningBalances], None]] = []


def opening_balances_subscribe(fn: Callable[[OpeningBalances], None]) -> Callable[[OpeningBalances], None]:
    """Register `fn` to credit opening balances (idempotent: a function registers once). Returns `fn`."""
    if fn not in _opening_balances_subscribers:
        _opening_balances_subscribers.append(fn)
    return fn


def opening_balances_publish(event: OpeningBalances) -> None:
    """Call every subscriber now, inside the caller's transaction; their errors propagate (and roll back).

    Raises RuntimeError when there are balances but nobody subscribed (the ledger app is not installed)."""
    if not event.balances:
        return
    if not _opening_balances_subscribers:
        raise RuntimeError("no ledger subscribed to credit opening balances (is the loyalty app installed?)")
    for fn in _opening_balances_subscribers:
        fn(event)
