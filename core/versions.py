"""Process-local caches of rarely changed rows (the program's rules, the API clients) that are never
stale after a change, in any process.

Every cached set has a row in `core_cacheversion` whose token a database trigger on the set's tables
replaces with a fresh random string in the same transaction as any change: a service, the admin, a
migration, `manage.py shell`, raw SQL alike (see docs/scaling.md, "Cached rules"). A reader compares
the token with the one its copy was loaded under and reloads when they differ. A rolled-back change
leaves a token that is never seen again, so no copy survives a rollback; a change is seen by every
process from the first read after its commit.

The tokens are read in one query (`SELECT name, token FROM core_cacheversion`), once per HTTP request
(between Django's request_started and request_finished, when read outside a transaction; a service that
changes a set calls `versions_forget` first, so that reads inside its transaction see its own tokens),
and on every read outside a request (jobs, the shell) or inside a transaction.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import connection

_local = threading.local()
_caches: list["VersionedCache"] = []


def versions_current() -> dict[str, str]:
    """{set name: token} as committed (or as changed by the current transaction). One query; memoised
    for the rest of the current HTTP request. A name without a row (the table emptied, e.g. by a test
    flush) is absent: its cache is bypassed until a change writes the row again."""
    memo = getattr(_local, "memo", None)
    if memo is not None:
        return memo
    with connection.cursor() as cursor:
        cursor.execute(VERSIONS_SQL)
        tokens = dict(cursor.fetchall())
    return versions_seed(tokens)


VERSIONS_SQL = "SELECT name, token FROM core_cacheversion"


def versions_memoised() -> bool:
    """True when versions_current would answer from memory now (no query): a caller that could read the
    tokens with a statement of its own (versions_seed) has nothing to read."""
    return getattr(_local, "memo", None) is not None


def versions_seed(tokens: dict[str, str]) -> dict[str, str]:
    """Take `tokens` ({set name: token}, as VERSIONS_SQL returns them) as versions_current's read of the
    database: memoised where versions_current memoises what it reads, so that its next call asks nothing
    (a purchase reads them in its opening statement on PostgreSQL, issue #16). Read them only where
    versions_current would have (not versions_memoised()), and at the moment it would have. Returns them."""
    # Not inside a transaction: one that changes a set and then rolls back must not leave its token
    # memoised for the rest of the request. Inside versions_once's block: memoised until the block ends.
    if getattr(_local, "once", False) or (getattr(_local, "in_request", False) and not connection.in_atomic_block):
        _local.memo = tokens
    return tokens


@contextmanager
def versions_once() -> Iterator[None]:
    """Read the tokens at most once for the block (one operation that reads several cached sets, e.g. a
    purchase: the program's rules, then the boosts), as a request does; outside a request and inside a
    transaction each read would otherwise ask the database again. The tokens read are as fresh as a
    request's: committed before the block's first read. A service inside the block that changes a set calls
    versions_forget as usual (its own change is read again). When the block ends, the tokens memoised before
    it (a request's) are restored, so that nothing read inside it outlives it."""
    outer_once, outer_memo = getattr(_local, "once", False), getattr(_local, "memo", None)
    forgets = getattr(_local, "forgets", 0)
    _local.once = True
    try:
        yield
    finally:
        _local.once = outer_once
        # A set changed inside the block (versions_forget): the outer tokens are out of date too.
        _local.memo = outer_memo if getattr(_local, "forgets", 0) == forgets else None


def versions_forget(**_kwargs: Any) -> None:
    """Drop this thread's memoised tokens: the next read asks the database again. Called by the
    services that change a cached set, so that the same request reads its own change."""
    _local.memo = None
    _local.forgets = getattr(_local, "forgets", 0) + 1


def _request_started(**_kwargs: Any) -> None:
    _local.in_request = True
    _local.memo = None


def _request_finished(**_kwargs: Any) -> None:
    _local.in_request = False
    _local.memo = None


request_started.connect(_request_started, dispatch_uid="core.versions.request_started")
request_finished.connect(_request_finished, dispatch_uid="core.versions.request_finished")


class VersionedCache:
    """One value per process (`load()`'s result), reloaded when the token of `name` changes.

    The token is read before loading, so a copy is never older than its token says (a change committed
    between the two reads makes the copy newer, and the next read reloads it anyway). Callers must not
    mutate the value (hand out copies where callers might)."""

    def __init__(self, name: str, load: Callable[[], Any]) -> None:
        self.name = name
        self.load = load
        self._held: tuple[str, Any] | None = None  # (token, value), replaced whole: safe across threads
        _caches.append(self)

    def get(self) -> Any:
        token = versions_current().get(self.name)
        if token is None:
            return self.load()
        held = self._held
        if held is not None and held[0] == token:
            return held[1]
        value = self.load()
        self._held = (token, value)
        return value

    def current(self) -> Any:
        """The copy held when it is current (its token is the set's token now), else None: never loads.
        For a cheap question (is anything there?) that must not run the loading query."""
        held = self._held
        token = versions_current().get(self.name)
        return held[1] if held is not None and token is not None and held[0] == token else None

    def held(self) -> Any:
        """The copy held, current or not (None: nothing loaded yet); never queries. For a caller that guesses
        from it and checks the guess against get() afterwards."""
        held = self._held
        return held[1] if held is not None else None

    def token(self) -> str | None:
        """The current token of this set (None: no row, nothing may be cached)."""
        return versions_current().get(self.name)

    def clear(self) -> None:
        self._held = None


def caches_clear() -> None:
    """Forget every process-local copy (for tests that change rows without a trigger, e.g. TRUNCATE
    on SQLite)."""
    versions_forget()
    for cache in _caches:
        cache.clear()


# --- the triggers (installed by migrations: core's creates the function, each owning app its triggers) -----

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION core_cacheversion_bump() RETURNS trigger AS $$
BEGIN
    INSERT INTO core_cacheversion (name, token)
    VALUES (TG_ARGV[0], md5(random()::text || clock_timestamp()::text || txid_current()::text))
    ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def version_trigger_install(schema_editor, *, table: str, name: str) -> None:
    """Make every change of `table` (insert, update, delete; on PostgreSQL truncate too) give the set
    `name` a fresh token, in the changing transaction."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {table}_cacheversion AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION core_cacheversion_bump('{name}')"
        )
    elif vendor == "sqlite":
        for op in ("INSERT", "UPDATE", "DELETE"):
            bump = (
                f"INSERT OR REPLACE INTO core_cacheversion (name, token) VALUES ('{name}', lower(hex(randomblob(16))))"  # noqa: S608, E501 - names from migrations
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_cacheversion_{op.lower()} AFTER {op} ON {table} BEGIN {bump}; END"
            )


def version_trigger_uninstall(schema_editor, *, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_cacheversion ON {table}")
    elif vendor == "sqlite":
        for op in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_cacheversion_{op}")
