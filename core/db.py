"""Prepared statements for the hot path (issue #16): PostgreSQL plans a statement once per connection.

Django sends every query with its values written into the text (psycopg's client-side binding) and turns
psycopg's prepared statements off, so PostgreSQL parses and plans each of a purchase's dozen short
statements again for every purchase; for the larger ones (the purchase's INSERT with its spend total and
its boosts' grant rows) planning costs about as much as running them. Server-side binding for every query
is not an option: Django's GROUP BY over an expression with parameters then fails ("must appear in the
GROUP BY clause"). So the hot path's own SQL statements, written by hand and run the same way thousands
of times, go through `prepared_cursor`: the values are sent apart from the text, and psycopg prepares a
statement the fifth time a connection runs it (`prepare_threshold`, set in settings for PostgreSQL) and
only binds and runs it from then on. The ORM's queries are unchanged.

The cursor is Django's wrapper around it, so errors are Django's (IntegrityError…), and the statements are
logged and counted like any other (CaptureQueriesContext, execute_wrapper). With server-side binding the
values are typed by psycopg (an int as int2/int4/int8, a str as unknown): write casts where PostgreSQL
cannot infer a type from the context (a VALUES list in a WITH, a SELECT list).
"""

from django.db import connection
from django.db.backends.utils import CursorWrapper


def prepared_cursor() -> CursorWrapper:
    """A cursor on the default connection (its transaction) whose statements PostgreSQL prepares once per
    connection (see the module docstring). On another database (SQLite: the demo), `connection.cursor()`.
    Use as `with prepared_cursor() as cursor:` like connection.cursor()."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg  # noqa: PLC0415 - PostgreSQL only

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        connection.validate_thread_sharing()
        raw = psycopg.Cursor(connection.connection)
        return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def array_text(values: list) -> str:
    """A PostgreSQL array literal of ints, bools or None ("{1,NULL,t}") for a parameter cast in the SQL
    (`%s::bigint[]`, `%s::boolean[]`): sent as one short string, where psycopg would inspect every element
    of a list to choose its array type (issue #15: a boosted purchase sends five such arrays)."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif value is True or value is False:
            parts.append("t" if value else "f")
        else:
            parts.append(str(int(value)))
    return "{" + ",".join(parts) + "}"
