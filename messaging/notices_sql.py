"""The set-based queueing of notices: one INSERT … SELECT writes a notice per customer for a chunk of
customer ids, with the same checks `message_queue` makes one message at a time (STOP, consent, address,
frequency cap; quiet hours are applied right after, by one UPDATE per quiet channel).

A caller gives the candidates as a SELECT of three columns for customers with lo ≤ id ≤ hi:
`customer_id`, `vals` (the JSON object the renderer needs, built with `json_object_sql`) and `dedupe`
(the message's dedupe key). For each candidate and each channel of the notice, in the notice's order,
the SQL computes the reason the message could not go there ('' when it can); the first channel with no
reason wins, else the first channel with its reason (a `skipped` row, so the outbox says why the
customer heard nothing). Each row is in its customer's language (the customer row's `language`). A
dedupe key already in the outbox inserts nothing (ON CONFLICT DO NOTHING). Portable SQL: PostgreSQL and
SQLite (the app's demo database).
"""

import datetime as dt
from typing import Any

from django.db import connection

from customers.models import Customer

from .models import ConsentChange, Message, MessageStatusChange

# Withdrawals by the customers themselves (customers.events.ConsentSource values): "unsubscribed".
_SELF_WITHDRAWN = ("link", "stop")
_CAP_STATUSES = ("queued", "sending", "sent", "delivered")


def datetime_param(value: dt.datetime) -> Any:
    """An aware datetime as a raw SQL parameter of this database (SQLite: Django's UTC text form)."""
    return connection.ops.adapt_datetimefield_value(value)


def date_param(value: dt.date) -> Any:
    """A date as a raw SQL parameter of this database."""
    return connection.ops.adapt_datefield_value(value)


def text_sql(expr: str) -> str:
    """`expr` as text in SQL (both databases: CAST … AS TEXT)."""
    return f"CAST({expr} AS TEXT)"


def json_object_sql(pairs: list[tuple[str, str]]) -> str:
    """SQL building a JSON object from (key, SQL expression) pairs: jsonb_build_object on PostgreSQL,
    json_object on SQLite. Keys are constants of the caller (never user input)."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    if not pairs:
        return "'{}'" if connection.vendor != "postgresql" else "'{}'::jsonb"
    arguments = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    return f"{function}({arguments})"


def key_sql() -> str:
    """A new random UUID for Message.key (PostgreSQL's uuid; SQLite stores 32 hex digits)."""
    return "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"


def notices_insert_sql(
    *,
    candidates_sql: str,
    candidates_params: list,
    channels: list[str],
    kind: str,
    purpose: str,
    languages: tuple[str, ...],
    default_language: str,
    needs_consent: bool,
    cap_limit: int,
    cap_since,
    now,
    held_channels: tuple[str, ...] = (),
    release=None,
    held_note: str = "",
    id_range: tuple[int, int] | None = None,
) -> tuple[str, list]:
    """The INSERT … SELECT writing one Message per candidate (see the module's docstring). `channels` in
    the order tried (not empty); each row's `language` is its customer's (`customers_customer.language`)
    when that is one of `languages` (the codes of settings.LANGUAGES), else `default_language`
    (settings.LANGUAGE_CODE): the rule of messaging.services.render.customer_language, in SQL;
    `needs_consent`: the channel's marketing consent is required; `cap_limit` > 0: marketing messages queued since `cap_since` (statuses queued, sending, sent,
    delivered) must be fewer than it. `now` (adapted for the database) is the created_at and due time of
    every row; a row queued on one of `held_channels` (quiet hours now) is due at `release` instead, with
    held_reason "quiet hours". `id_range` (lo, hi): the candidates' customer ids lie within it (a chunk), so
    the customers are read by that primary-key range (without it PostgreSQL may merge-join the customers
    from the first id on, for every chunk).

    On PostgreSQL the statement also writes each row's first status-history row (and `held_note` for a held
    one) from INSERT … RETURNING, and its result is one row: (queued, skipped, held) counts. On SQLite it
    is the bare INSERT (`messaging.services.notices` writes the history by created_at)."""
    if not channels:
        raise ValueError("a notice needs at least one channel")
    if not languages:
        raise ValueError("the list of languages must not be empty")
    message_t, consent_t, customer_t = Message._meta.db_table, ConsentChange._meta.db_table, Customer._meta.db_table
    change_t = MessageStatusChange._meta.db_table
    timestamp = "CAST(%s AS timestamptz)" if connection.vendor == "postgresql" else "%s"
    # Each candidate's channel rows (o) and reasons (r) computed once: inlined, PostgreSQL evaluated the
    # consent-history and frequency-cap subqueries once for each use of `latest` and `reason` (the window's
    # sort key and the inserted column: up to four times a row). SQLite: plain CTEs (MATERIALIZED needs 3.35).
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    held = f"code IN ({', '.join(['%s'] * len(held_channels))})" if held_channels else "1 = 0"
    channel_rows = " UNION ALL ".join(f"SELECT %s AS code, {n} AS ord" for n in range(len(channels)))
    language = f"CASE WHEN c.language IN ({', '.join(['%s'] * len(languages))}) THEN c.language ELSE %s END"
    consent = (
        "CASE o.code WHEN 'email' THEN (CASE WHEN o.consent_email THEN 1 ELSE 0 END) "
        "WHEN 'sms' THEN (CASE WHEN o.consent_sms THEN 1 ELSE 0 END) "
        "ELSE (CASE WHEN o.latest = '+' THEN 1 ELSE 0 END) END"
    )
    self_withdrawn = ", ".join(f"'{source}'" for source in _SELF_WITHDRAWN)
    range_sql, range_params = ("\n        WHERE c.id BETWEEN %s AND %s", list(id_range)) if id_range else ("", [])
    cap_sql, cap_params = "", []
    if cap_limit > 0:
        statuses = ", ".join(f"'{status}'" for status in _CAP_STATUSES)
        cap_sql = f"""
               WHEN (SELECT COUNT(*) FROM {message_t} m
                     WHERE m.customer_id = o.customer_id AND m.purpose = 'marketing'
                       AND m.created_at >= %s AND m.status IN ({statuses})) >= %s THEN 'frequency_cap'"""  # noqa: S608
        cap_params = [cap_since, cap_limit]
    sql = f"""
    WITH cand AS ({candidates_sql}),
    ch AS ({channel_rows}),
    o AS {materialized}(
        SELECT cand.customer_id, cand.vals, cand.dedupe, ch.code, ch.ord, c.consent_email, c.consent_sms,
               {language} AS language,
               (SELECT CASE WHEN cc.granted THEN '+' ELSE cc.source END FROM {consent_t} cc
                WHERE cc.customer_id = c.id AND cc.channel = ch.code
                ORDER BY cc.at DESC, cc.id DESC LIMIT 1) AS latest,
               CASE WHEN c.erased_at IS NOT NULL THEN ''
                    WHEN ch.code = 'email' THEN COALESCE(c.email, '')
                    WHEN c.phone LIKE '+0%%' THEN ''
                    ELSE COALESCE(c.phone, '') END AS address
        FROM cand JOIN {customer_t} c ON c.id = cand.customer_id CROSS JOIN ch{range_sql}
    ),
    r AS {materialized}(
        SELECT o.customer_id, o.vals, o.dedupe, o.code, o.ord, o.address, o.language,
               CASE WHEN COALESCE(o.latest, '') = 'stop' THEN 'unsubscribed'
                    WHEN {1 if needs_consent else 0} = 1 AND {consent} = 0 THEN
                        (CASE WHEN COALESCE(o.latest, '') IN ({self_withdrawn}) THEN 'unsubscribed'
                              ELSE 'no_consent' END)
                    WHEN o.address = '' THEN 'no_address'{cap_sql}
                    ELSE '' END AS reason
        FROM o
    ),
    pick AS (
        SELECT r.*, ROW_NUMBER() OVER (
                   PARTITION BY r.customer_id ORDER BY CASE WHEN r.reason = '' THEN 0 ELSE 1 END, r.ord) AS rn
        FROM r
    ),
    ins AS (
        INSERT INTO {message_t} (
            customer_id, channel, kind, purpose, template, language, subject, text, address, status, skip_reason,
            error, attempts, next_attempt_at, held_reason, dispatched_at, key, dedupe_key, provider,
            provider_message_id, created_by_id, created_at, claimed_at, sent_at, delivered_at, failed_at, updated_at,
            "values", open_count, click_count, links
        )
        SELECT customer_id, code, %s, %s, '', language, '', '', address,
               CASE WHEN reason = '' THEN 'queued' ELSE 'skipped' END, reason,
               '', 0, CASE WHEN reason <> '' THEN NULL WHEN {held} THEN {timestamp} ELSE {timestamp} END,
               CASE WHEN reason = '' AND {held} THEN 'quiet hours' ELSE '' END, NULL, {key_sql()}, dedupe, '',
               '', NULL, {timestamp}, NULL, NULL, NULL, NULL, {timestamp}, vals, 0, 0, '[]'
        FROM pick WHERE rn = 1
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, status, skip_reason, held_reason
    ),
    hist AS (
        INSERT INTO {change_t} (message_id, status, reason, at)
        SELECT id, status, CASE WHEN skip_reason = '' THEN 'queued' ELSE skip_reason END, {timestamp} FROM ins
        UNION ALL
        SELECT id, 'queued', %s, {timestamp} FROM ins WHERE held_reason <> ''
        RETURNING status, reason
    )
    SELECT COALESCE(SUM(CASE WHEN status = 'queued' AND reason = 'queued' THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN status = 'skipped' THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN status = 'queued' AND reason <> 'queued' THEN 1 ELSE 0 END), 0)
    FROM hist
    """  # noqa: S608 - table names from model metadata, constants; every value is a parameter
    held_params = list(held_channels)
    insert_params = [kind, purpose, *held_params, release, now, *held_params, now, now]
    language_params = [*languages, default_language]
    params = [
        *candidates_params, *channels, *language_params, *range_params, *cap_params, *insert_params, now,
        held_note, now,
    ]  # fmt: skip
    if connection.vendor != "postgresql":
        # SQLite: no INSERT in a WITH; the bare INSERT … SELECT (its history is written by created_at).
        sql = sql[: sql.index("    ins AS (")].rstrip().rstrip(",") + "\n" + _bare_insert(sql)
        params = [*candidates_params, *channels, *language_params, *range_params, *cap_params, *insert_params]
    return sql, params


def _bare_insert(sql: str) -> str:
    """The INSERT … ON CONFLICT DO NOTHING of the `ins` step of notices_insert_sql's statement, on its own."""
    body = sql[sql.index("INSERT INTO", sql.index("    ins AS (")) : sql.index("RETURNING id, status")]
    return body
