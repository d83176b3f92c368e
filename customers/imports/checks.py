"""Checks against the database, set-based: values the database already holds, fresh unique values."""

from collections.abc import Callable, Iterable

from django.db import connection
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
