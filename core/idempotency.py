"""One way to make a write safe to retry: an idempotency key, checked the same way by every service.

The same key with the same request returns the first result and records nothing; the same key with
another request raises IdempotencyConflict; two concurrent requests with one key never surface a raw
IntegrityError (the loser of the race on the key's unique index replays the winner's row).
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from .exceptions import DomainError, IdempotencyConflict, InvalidIdempotencyKey

KEY_MAX_LENGTH = 100  # the key columns' length (prefixes such as "api:<client>:" included)

T = TypeVar("T")


def request_fingerprint(payload: dict[str, Any]) -> str:
    """A SHA-256 hex digest (64 characters) of a request's normalised fields, for comparing retries."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def once_per_key(
    *,
    model: type[models.Model],
    key: str | None,
    fingerprint: str,
    create: Callable[[Any], T],
    replay: Callable[[Any], T],
    lock: Callable[[], Any] | None = None,
    key_field: str = "idempotency_key",
    fingerprint_field: str = "request_fingerprint",
    check_first: bool = True,
    same_as: tuple[str, ...] = (),
    same_request: Callable[[Any], bool] | None = None,
) -> T:
    """Run `create(lock())` at most once per `key` (no key: always), in one transaction.

    `model` holds the key in `key_field` (a unique column) and the request's fingerprint in
    `fingerprint_field`. `lock()` runs first inside the transaction (e.g. the customer's account row
    lock) so that retries for one customer are serialised. A row with the key already there is passed
    to `replay(row)` when its fingerprint matches, else IdempotencyConflict is raised.

    `check_first=False` saves the look-up before `create` (one query per new key, the common case): for a
    `create` that writes the keyed row before any effect outside the transaction, so that a key seen before
    fails on its unique index (or on a DomainError before that) and the transaction rolls back whole; the
    row is then looked up and replayed (or refused) as above. A retry then costs more than with the
    look-up (its work up to the failing INSERT, and an error line in the database's log).

    `same_as`: other fingerprints a stored row may carry and still be this request (a late purchase whose
    key was first sent to the endpoint that dates a purchase on arrival, loyalty's purchase_record);
    `same_request(row)`: when the fingerprints differ, whether the row is this request all the same (the
    other way round: a purchase first recorded late, then sent again online). Both are then replayed.
    """

    def earlier():
        return model.objects.filter(**{key_field: key}).first() if key else None

    def replay_or_conflict(row):
        if getattr(row, fingerprint_field) not in (fingerprint, *same_as) and not (
            same_request is not None and same_request(row)
        ):
            raise IdempotencyConflict()
        return replay(row)

    if key and len(key) > KEY_MAX_LENGTH:
        raise InvalidIdempotencyKey()
    try:
        with transaction.atomic():
            locked = lock() if lock is not None else None
            if check_first and (row := earlier()) is not None:
                return replay_or_conflict(row)
            return create(locked)
    except (IntegrityError, DomainError):
        # A request with the same key that committed while this one ran makes this one fail: on the
        # key's unique index, or on a rule its own write broke (the phone it enrolled, the receipt it
        # recorded). Then this request is a retry of that one.
        row = earlier()
        if row is None:
            raise
        return replay_or_conflict(row)
