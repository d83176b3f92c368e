"""Events `customers` publishes for the apps above it, which subscribe without `customers` knowing them.

`OpeningBalances`: the customer import created customers who bring points from an old program. It is
published INSIDE the import's transaction (unlike after-commit events) because the balances are part of
the import: a failure to credit them must roll the customers back too. `loyalty` subscribes its bulk
credit at start-up (loyalty.apps); publishing balances with no subscriber is an error, not a silent loss.

`ConsentChanged`: a marketing consent (`Customer.consent_email` / `consent_sms`) was given or withdrawn,
with how (`ConsentSource`). Also published inside the change's transaction: `messaging` keeps the consent
history, and the boolean and its history must never disagree.

`CustomerEnrolled`: a customer was enrolled (not a replayed enrolment) by `customers.services.customer_enrol`
(the till, the API); the customer import publishes none (its customers are not new). Published inside the enrolment's
transaction and delivered AFTER it commits (campaigns grant the welcome bonus then: the till shows it
at once); an error in a subscriber is logged and never undoes the enrolment.

`CustomerErased`: a person's data was erased; published inside the erasure so that the apps above erase
their copies (messages' addresses and texts) with it.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


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


class ConsentSource(models.TextChoices):
    """How a marketing consent was given or withdrawn (stored in the consent history, `messaging`)."""

    ENROLMENT = "enrolment", _("Enrolment form")
    IMPORT = "import", _("Customer import")
    API = "api", _("API")
    LINK = "link", _("Unsubscribe link")
    STOP = "stop", _("STOP reply")
    STAFF = "staff", _("Staff")
    ERASURE = "erasure", _("Personal data erased")


@dataclass(frozen=True)
class ConsentChanged:
    """The marketing consent of `customer_ids` for `channel` ("email" or "sms") became `granted`.

    Published by the customers services INSIDE the transaction that changes `Customer.consent_<channel>`,
    so that the history its subscriber (`messaging`) writes commits or rolls back with the change.
    `source` is a ConsentSource value, `actor` the signed-in user (or None), `origin` where the change came
    from ("console", "api:<client>", "link"…), `at` its moment (aware datetime), `note` free text."""

    customer_ids: tuple[int, ...]
    channel: str
    granted: bool
    source: str
    actor: Any
    origin: str
    at: dt.datetime
    note: str = ""


_consent_changed_subscribers: list[Callable[[ConsentChanged], None]] = []


def consent_changed_subscribe(fn: Callable[[ConsentChanged], None]) -> Callable[[ConsentChanged], None]:
    """Register `fn` to record consent changes (once per function). Returns `fn`."""
    if fn not in _consent_changed_subscribers:
        _consent_changed_subscribers.append(fn)
    return fn


def consent_changed_publish(event: ConsentChanged) -> None:
    """Call every subscriber now, inside the caller's transaction; their errors propagate (and roll back
    the consent change with them). Nothing happens for an event with no customers."""
    if not event.customer_ids:
        return
    for fn in _consent_changed_subscribers:
        fn(event)


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerEnrolled:
    """A customer was enrolled at `at` (aware datetime), from `origin` ("cashier", "api:<client>", …)."""

    customer_id: int
    at: dt.datetime
    origin: str = ""


_customer_enrolled_subscribers: list[Callable[[CustomerEnrolled], None]] = []


def customer_enrolled_subscribe(fn: Callable[[CustomerEnrolled], None]) -> Callable[[CustomerEnrolled], None]:
    """Register `fn` to run after each enrolment commits (once per function). Returns `fn`."""
    if fn not in _customer_enrolled_subscribers:
        _customer_enrolled_subscribers.append(fn)
    return fn


def customer_enrolled_unsubscribe(fn: Callable[[CustomerEnrolled], None]) -> None:
    """Remove `fn` (tests; an app that turns a feature off)."""
    if fn in _customer_enrolled_subscribers:
        _customer_enrolled_subscribers.remove(fn)


def _deliver_enrolled(fn: Callable[[CustomerEnrolled], None], event: CustomerEnrolled) -> None:
    try:
        fn(event)
    except Exception:
        logger.exception(
            "subscriber %s failed for enrolled customer %s", getattr(fn, "__qualname__", fn), event.customer_id
        )


def customer_enrolled_publish(event: CustomerEnrolled) -> None:
    """Call inside the enrolment's transaction: each subscriber runs once it has committed, in the same
    request, never if it rolls back."""
    for fn in list(_customer_enrolled_subscribers):
        transaction.on_commit(partial(_deliver_enrolled, fn, event))


@dataclass(frozen=True)
class CustomerErased:
    """A customer's personal data was erased on request (customer_erase). Published inside the erasure's
    transaction: the apps above erase what they hold about the person (messaging: the addresses and
    texts of their messages) in it too, all or nothing."""

    customer_id: int


_customer_erased_subscribers: list[Callable[[CustomerErased], None]] = []


def customer_erased_subscribe(fn: Callable[[CustomerErased], None]) -> Callable[[CustomerErased], None]:
    """Register `fn` to erase what its app holds about a person (once per function). Returns `fn`."""
    if fn not in _customer_erased_subscribers:
        _customer_erased_subscribers.append(fn)
    return fn


def customer_erased_publish(event: CustomerErased) -> None:
    """Call every subscriber now, inside the erasure's transaction; their errors propagate (and roll back)."""
    for fn in _customer_erased_subscribers:
        fn(event)
