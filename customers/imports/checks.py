"""Checks against the database, set-based: values the database already holds, values repeated within
the file (kept in a temporary table, not in memory), fresh unique values."""

import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext, suppress

from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from ..models import Customer
from .results import QUERY_CHUNK, ImportRow, Problem


def _chunks(values: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(field_name: str, values: Iterable[str]) -> set[str]:
    """Which of `values` the database holds in Customer.<field_name>."""
    values = [v for v in set(values) if v]
    if not values:
        return set()
    if connection.vendor == "postgresql":
        # One array parameter: `__in` would bind one parameter per value, which psycopg converts slowly.
        quote = connection.ops.quote_name
        table, column = quote(Customer._meta.db_table), quote(Customer._meta.get_field(field_name).column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", [values])  # noqa: S608
            return {value for (value,) in cursor.fetchall()}
    found: set[str] = set()
    for chunk in _chunks(values):
        found.update(Customer.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True))
    return found


def _database_conflicts(rows: list[ImportRow]) -> list[Problem]:
    """Rows whose phone, e-mail or card number already belongs to a customer in the database."""
    problems = []
    checks = (
        ("phone", _("A customer with phone %(value)s already exists.")),
        ("email", _("A customer with email %(value)s already exists.")),
        ("card_number", _("Card number %(value)s already belongs to a customer.")),
    )
    for attribute, message in checks:
        taken = _existing(attribute, (getattr(r, attribute) for r in rows))
        if not taken:
            continue
        for r in rows:
            value = getattr(r, attribute)
            if value and value in taken:
                problems.append(Problem(r.row, attribute, message % {"value": value}))
    return problems


def _unique_new(generate: Callable[[], str], field_name: str, count: int, taken: set[str]) -> list[str]:
    """`count` new values unique among themselves, in `taken` (values of this batch) and in the database."""
    fresh: list[str] = []
    while len(fresh) < count:
        candidates = {generate() for _ in range(count - len(fresh))} - taken
        candidates -= _existing(field_name, candidates)
        fresh.extend(candidates)
        taken |= candidates
    return fresh


SEEN_ATTRIBUTES = ("phone", "email", "card_number")
SQLITE_CHUNK = 500  # values per statement on SQLite (its bound on parameters)


class SeenValues:
    """The phones, e-mails and card numbers of the rows checked so far, and the row that had each first.

    Held in a temporary table of the database connection, so that checking a file of any length costs
    the same memory (a dict of 145 000 rows' values took 50 MB). Use as a context manager: the table is
    created on entry and dropped on exit. `repeated(keys)` takes one chunk's keys in row order, as
    (attribute, value, spreadsheet row) with attribute one of SEEN_ATTRIBUTES, and returns a Problem for
    every key that an earlier row (of this chunk or of an earlier one) already had.
    """

    def __init__(self) -> None:
        self.table = connection.ops.quote_name(f"import_seen_{uuid.uuid4().hex[:12]}")

    def __enter__(self) -> "SeenValues":
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (attribute smallint NOT NULL, value text NOT NULL, "
                "first_row integer NOT NULL, PRIMARY KEY (attribute, value))"
            )
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        # After a failure the connection may be unusable; the temporary table ends with the session anyway.
        with suppress(DatabaseError) if exc_type else nullcontext(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.table}")

    def repeated(self, keys: list[tuple[str, str, int]]) -> list[Problem]:
        """Problems for the keys seen before (message: "Same phone as row N: value"), then records the
        chunk's first occurrences. One query and one insert per chunk on PostgreSQL."""
        first_in_chunk: dict[tuple[int, str], int] = {}
        for attribute, value, row in keys:
            first_in_chunk.setdefault((SEEN_ATTRIBUTES.index(attribute), value), row)
        earlier = self._earlier(list(first_in_chunk))
        problems = []
        for attribute, value, row in keys:
            key = (SEEN_ATTRIBUTES.index(attribute), value)
            first = earlier.get(key, first_in_chunk[key])
            if first != row:
                problems.append(Problem(row, attribute, _repeated_message(attribute, first, value)))
        self._insert([(a, v, r) for (a, v), r in first_in_chunk.items() if (a, v) not in earlier])
        return problems

    def _earlier(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        if not keys:
            return {}
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT s.attribute, s.value, s.first_row FROM {self.table} s "  # noqa: S608
                    "JOIN unnest(%s::smallint[], %s::text[]) AS k(attribute, value) USING (attribute, value)",
                    [[a for a, _v in keys], [v for _a, v in keys]],
                )
                return {(a, v): row for a, v, row in cursor.fetchall()}
            found = {}
            for attribute in range(len(SEEN_ATTRIBUTES)):
                values = [v for a, v in keys if a == attribute]
                for chunk in _chunks(values, SQLITE_CHUNK):
                    cursor.execute(
                        f"SELECT attribute, value, first_row FROM {self.table} "  # noqa: S608
                        f"WHERE attribute = %s AND value IN ({', '.join(['%s'] * len(chunk))})",
                        [attribute, *chunk],
                    )
                    found.update({(a, v): row for a, v, row in cursor.fetchall()})
            return found

    def _insert(self, rows: list[tuple[int, str, int]]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {self.table} (attribute, value, first_row) "  # noqa: S608
                    "SELECT * FROM unnest(%s::smallint[], %s::text[], %s::integer[])",
                    [[a for a, _v, _r in rows], [v for _a, v, _r in rows], [r for _a, _v, r in rows]],
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {self.table} (attribute, value, first_row) VALUES (%s, %s, %s)",  # noqa: S608
                    rows,
                )


def _repeated_message(attribute: str, first: int, value: str) -> str:
    messages = {
        "phone": _("Same phone as row %(row)s: %(value)s."),
        "email": _("Same email as row %(row)s: %(value)s."),
        "card_number": _("Same card number as row %(row)s: %(value)s."),
    }
    return messages[attribute] % {"row": first, "value": value}
