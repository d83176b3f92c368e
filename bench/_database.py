"""The benchmarks' own PostgreSQL databases (each script uses one, named by BENCH_DATABASE_URL)."""


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database named by `url` if it does not exist; with `fresh`, drop it first (closing any
    connection to it), so that a run starts from nothing."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def customers_and_purchases_insert(cursor, customers: int, purchases: int) -> None:
    """Bulk-load `customers` customers and `purchases` purchases with set-based SQL (generate_series) on the
    open `cursor`, printing how long each took. Skewed like a real shop: a few heavy buyers, many light
    ones; checks mostly 200–2 000, some up to 8 200; over the last 400 days; 5 % cashback, 1 point = 1.00;
    four customers in five write in Russian, the fifth in English.
    The tables are expected empty (the caller truncates what it needs)."""
    import os
    import time

    started = time.perf_counter()
    cursor.execute(
        """
        INSERT INTO customers_customer (name, phone, card_number, email, consent_email, consent_sms,
            referral_code, notes, language, enrol_fingerprint, created_at)
        SELECT 'Customer ' || i, '+7900' || lpad(i::text, 7, '0'), '27' || lpad(i::text, 11, '0'), NULL,
               i %% 3 = 0, i %% 4 = 0, 'R' || i, '', CASE WHEN i %% 5 = 0 THEN 'en' ELSE 'ru' END, '',
               now() - (random() * 800) * interval '1 day'
        FROM generate_series(1, %s) AS i
        """,
        [customers],
    )
    print(f"loaded {customers:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    cursor.execute(
        """
        INSERT INTO loyalty_purchase (customer_id, amount, redeemed_points, paid_amount, earned_points,
            cashback_percent, point_value, refunded_amount, points_reversed, points_returned,
            points_swapped_back, qualifying_amount, external_id, request_fingerprint, origin, created_at)
        SELECT c, a, 0, a, floor(a * 0.05), 5, 1, 0, 0, 0, 0, a, '', '', 'bench',
               now() - (random() * 400) * interval '1 day'
        FROM (
            SELECT 1 + floor(%s * power(random(), 1.5))::int AS c,
                   round((200 + power(random(), 3) * 8000)::numeric, 2) AS a
            FROM generate_series(1, %s)
        ) g
        """,
        [customers, purchases],
    )
    print(f"loaded {purchases:,} purchases in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    # The running totals of the qualifying spend (loyalty.SpendDay, issue #16), as spend_days_rebuild: the
    # tier progress reads them, and verify_ledger checks them against the purchases.
    zone = os.environ.get("TIME_ZONE", "Europe/Moscow")
    cursor.execute(
        """
        INSERT INTO loyalty_spendday (customer_id, day, spend, purchases)
        SELECT customer_id, CAST((created_at AT TIME ZONE %s) AS DATE), SUM(qualifying_amount),
               SUM(CASE WHEN qualifying_amount > 0 THEN 1 ELSE 0 END)
        FROM loyalty_purchase GROUP BY customer_id, CAST((created_at AT TIME ZONE %s) AS DATE)
        """,
        [zone, zone],
    )
    print(f"spend totals per customer and day in {time.perf_counter() - started:.1f} s", flush=True)
