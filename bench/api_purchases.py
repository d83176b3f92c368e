"""Benchmark: purchases per second through the REST API, through the service layer, and as raw SQL.

    .venv/bin/python bench/api_purchases.py [--purchases 2000] [--customers 200] [--workers 2] [--time-limit 90]
        [--lookups 2000] [--lookup-connections 4] [--lookup-customers 0]

Every purchase is the same: a 1 000.00 check for one of `--customers` customers (round robin), paying
10 points, earning 49. Three ways, each in the same run, on its own database `boomerang_bench_api`
(override with BENCH_DATABASE_URL; emptied at the start of every run):

- raw SQL: the database work of one purchase written by hand with psycopg, one transaction each: lock the
  account row, insert the purchase, pick the lot to pay from and take 10 points from it, insert the
  redeem entry and its lot debit, the earn entry and its lot, update the balance and the customer's
  purchase dates. (The service also reads the program settings, the tier and the spend window, and
  writes a tier change when a purchase crosses a threshold; the raw SQL does not.) This is the floor.
- service: loyalty.services.purchase_record, the function every caller goes through.
- API: POST /api/v1/purchases/ over HTTP to gunicorn (--workers sync workers, bound to 127.0.0.1 only)
  from a threaded http.client load generator on loopback (2 × workers threads, one Idempotency-Key per
  purchase), twice: with the settings as they are (a new PostgreSQL connection per request,
  CONN_MAX_AGE=0) and with persistent connections (DATABASE_URL …?conn_max_age=60).

Then the customer lookup through the API: POST /api/v1/customers/lookup/ {"q": phone} from
`--lookup-connections` threads (each its own keep-alive HTTP connection) to the same gunicorn with persistent
DB connections, `--lookups` requests in all: requests per second, p50 and p95. With `--lookup-customers N`
the database first gets N more customers bulk-loaded (bench/_database.py; no purchases), and the lookups
ask for phones spread over all of them.

Raw SQL and the service layer run in `--workers` processes as well, so that all three use the same number
of database connections. Each phase stops after `--purchases` purchases or `--time-limit` seconds.
Figures: purchases per second, and each as a ratio to raw SQL.

Earning boosts (issue #15; goal: with five active boosts within 10 % of none): then five boost campaigns
are launched and the service layer and the API (persistent connections) run again. The five all match
every purchase, the worst case for the purchase path (each one found, targeted, computed and written as
a grant row; combined by "sum" under a 20 % cap so that all five earn): ×2 for everyone; +1 % for the
members of any tier (a target checked by SQL); +1 % with a 10 % holdout; +1 % on every weekday 0–24 h (its time
window checked); +1 % with a per-customer limit (the customer's grants counted). None has a points
budget: a budget is one counter every boosted purchase must update under its row lock, so that concurrent
boosted purchases of a budgeted boost queue on it until each commits (measured apart, once, and
reported in docs/campaigns.md). The last lines compare each
boosted phase with the same phase without boosts.

Then, with the boosts paused (issue #16), `--batch-purchases` purchases through POST
/api/v1/purchases/batch/ (batches of `--batch-size`, as many client threads as the single endpoint's
phase) against the single endpoint with persistent connections (goal: ≥ 5× per purchase), and the
history curve: a purchase and the API's customer object for a customer with 1 / 100 / 1 000 / 5 000
earlier purchases and live lots (`--history-repeats` each; goal: 5 000 within 20 % of 1). So one run
prints every ratio of issues #15 and #16; `--only-issue16` runs only raw SQL, the single endpoint, the
batch and the curve; `--batch-purchases 0 --history-repeats 0` skips them.
"""

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_api")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
# The benchmark measures purchases, not the throttle (which still runs, and counts, on every request).
os.environ["API_THROTTLE_RATE"] = "100000000/min"

AMOUNT = "1000.00"
REDEEM = 10
OPENING_POINTS = 1_000_000


def reset(customers: int) -> tuple[list[int], str]:
    """Empty the database, enrol the customers with an opening balance, create an API client."""
    from django.db import connection

    from api.services import api_client_create
    from customers.services import customer_enrol
    from loyalty import services

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_tierstatus, loyalty_tierchange, "
            "loyalty_purchaseline, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, loyalty_lotdebit, "
            "loyalty_pointsaccount, customers_auditentry, loyalty_apiclient, campaigns_campaigngrant, campaigns_boostgrant, "
            "campaigns_campaign, loyalty_spendday RESTART IDENTITY CASCADE"
        )
    ids = []
    for i in range(customers):
        customer = customer_enrol(name=f"Bench {i}", phone=f"+7913{i:07d}")
        services.points_award(customer_id=customer.pk, points=OPENING_POINTS, reason="bench opening balance")
        ids.append(customer.pk)
    return ids, api_client_create(name="bench").key


def boosts_launch() -> None:
    """Five running boost campaigns that all match every bench purchase (see the module docstring), and the
    program's combining rule "sum" with a 20 % cap."""
    from decimal import Decimal

    from django.utils import timezone

    from campaigns.models import Campaign
    from loyalty.models import ProgramSettings, Tier

    ProgramSettings.objects.filter(pk=1).update(boost_combine="sum", boost_cap_percent=Decimal("20"))
    now = timezone.now()
    common = {"kind": Campaign.Kind.BOOST, "status": Campaign.Status.ACTIVE, "created_at": now, "updated_at": now}
    common["holdout_percent"] = Decimal("0")
    Campaign.objects.create(name="Double points", boost_multiplier=Decimal("2"), **common)
    tiered = Campaign.objects.create(
        name="+1 % for every tier", boost_extra_percent=Decimal("1"), target=Campaign.Target.TIERS, **common
    )
    tiered.target_tiers.set(Tier.objects.all())
    Campaign.objects.create(
        name="+1 %, 10 % holdout", boost_extra_percent=Decimal("1"), **common | {"holdout_percent": Decimal("10")}
    )
    Campaign.objects.create(
        name="+1 % all week",
        boost_extra_percent=Decimal("1"),
        boost_weekdays=list(range(7)),
        boost_hour_from=0,
        boost_hour_to=24,
        **common,
    )
    Campaign.objects.create(
        name="+1 %, at most 10^9 times per customer",
        boost_extra_percent=Decimal("1"),
        per_customer_limit=10**9,
        **common,
    )


# --- raw SQL -----------------------------------------------------------------------------------------------


def raw_purchase(conn, customer_id: int, key: str) -> None:
    """One purchase's writes by hand (see the module docstring), in one transaction."""
    now = dt.datetime.now(dt.UTC)
    expires = now + dt.timedelta(days=365)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT balance FROM loyalty_pointsaccount WHERE customer_id = %s FOR UPDATE", [customer_id])
        balance = cur.fetchone()[0]
        # Lots past their expiry are dead before any job runs: a purchase looks for them first.
        cur.execute(
            "SELECT id FROM loyalty_pointslot WHERE customer_id = %s AND remaining > 0 AND expires_at <= %s",
            [customer_id, now],
        )
        cur.execute(
            """INSERT INTO loyalty_purchase (customer_id, amount, redeemed_points, paid_amount, earned_points,
                   cashback_percent, point_value, refunded_amount, points_reversed, points_returned,
                   points_swapped_back, qualifying_amount, external_id, idempotency_key, request_fingerprint,
                   origin, balance_after, created_at)
               VALUES (%s, 1000.00, %s, 990.00, 49, 5.00, 1.00, 0, 0, 0, 0, 990.00, '', %s, %s, 'bench:sql', %s, %s)
               RETURNING id""",
            [customer_id, REDEEM, key, "f" * 64, balance - REDEEM + 49, now],
        )
        purchase_id = cur.fetchone()[0]
        cur.execute(
            """SELECT id FROM loyalty_pointslot
               WHERE customer_id = %s AND remaining >= %s AND available_at <= %s
                 AND (expires_at IS NULL OR expires_at > %s)
               ORDER BY expires_at ASC NULLS LAST, available_at, id LIMIT 1""",
            [customer_id, REDEEM, now, now],
        )
        lot_id = cur.fetchone()[0]
        cur.execute("UPDATE loyalty_pointslot SET remaining = remaining - %s WHERE id = %s", [REDEEM, lot_id])
        cur.execute(
            """INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, source,
                   request_fingerprint, created_at)
               VALUES (%s, 'redeem', %s, %s, %s, '', '', %s) RETURNING id""",
            [customer_id, -REDEEM, f"Paid with points, purchase #{purchase_id}", purchase_id, now],
        )
        redeem_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO loyalty_lotdebit (entry_id, lot_id, points) VALUES (%s, %s, %s)", [redeem_id, lot_id, REDEEM]
        )
        cur.execute(
            """INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, source,
                   request_fingerprint, created_at, expires_at)
               VALUES (%s, 'earn', 49, %s, %s, '', '', %s, %s) RETURNING id""",
            [customer_id, f"Cashback 5% on purchase #{purchase_id}", purchase_id, now, expires],
        )
        earn_id = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO loyalty_pointslot (customer_id, entry_id, points, remaining, created_at, available_at,
                   expires_at)
               VALUES (%s, %s, 49, 49, %s, %s, %s)""",
            [customer_id, earn_id, now, now, expires],
        )
        cur.execute(
            "UPDATE loyalty_pointsaccount SET balance = balance + %s, updated_at = %s WHERE customer_id = %s",
            [49 - REDEEM, now, customer_id],
        )
        cur.execute(
            """UPDATE customers_customer
               SET first_purchase_at = LEAST(COALESCE(first_purchase_at, %s), %s),
                   last_purchase_at = GREATEST(COALESCE(last_purchase_at, %s), %s)
               WHERE id = %s""",
            [now, now, now, now, customer_id],
        )


def raw_worker(job: tuple[list[int], int, int, float]) -> int:
    import psycopg

    customer_ids, count, offset, deadline = job
    done = 0
    with psycopg.connect(DATABASE_URL.split("?", 1)[0]) as conn:
        for i in range(count):
            if time.time() > deadline:
                break
            raw_purchase(conn, customer_ids[(offset + i) % len(customer_ids)], f"sql:{uuid.uuid4().hex}")
            done += 1
    return done


# --- the service layer -----------------------------------------------------------------------------------


def service_worker(job: tuple[list[int], int, int, float]) -> int:
    from django.db import connection

    from loyalty.services import purchase_record

    customer_ids, count, offset, deadline = job
    done = 0
    for i in range(count):
        if time.time() > deadline:
            break
        purchase_record(
            customer_id=customer_ids[(offset + i) % len(customer_ids)],
            amount=AMOUNT,
            redeem_points=REDEEM,
            idempotency_key=f"svc:{uuid.uuid4().hex}",
            origin="bench:service",
        )
        done += 1
    connection.close()
    return done


def in_processes(worker, customer_ids: list[int], total: int, processes: int, time_limit: float) -> tuple[int, float]:
    """Run `total` purchases split over `processes` forked processes; (purchases done, seconds)."""
    from django.db import connections

    connections.close_all()  # never share a connection with a forked child
    share = -(-total // processes)
    deadline = time.time() + time_limit
    jobs = [(customer_ids, min(share, total - p * share), p * share, deadline) for p in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        started = time.perf_counter()
        done = sum(pool.map(worker, jobs))
        return done, time.perf_counter() - started


# --- cost against history (issue #16) -----------------------------------------------------------------------

HISTORY = (1, 100, 1_000, 5_000)


def history_load(customer_id: int, purchases: int) -> None:
    """`purchases` earlier purchases for one customer, spread over the last 360 days, each with its earn entry
    and a live lot (49 points, burning 365 days after it), written as SQL; then the balance and the running
    spend totals (spend_days_rebuild) made to agree, so that the ledger stays exact."""
    from django.db import connection

    from loyalty.services import spend_days_rebuild

    with connection.cursor() as cur:
        cur.execute(
            """
            WITH p AS (
                INSERT INTO loyalty_purchase (customer_id, amount, redeemed_points, paid_amount, earned_points,
                    cashback_percent, point_value, refunded_amount, points_reversed, points_returned,
                    points_swapped_back, qualifying_amount, external_id, request_fingerprint, origin, created_at)
                SELECT %s, 1000.00, 0, 1000.00, 49, 5, 1, 0, 0, 0, 0, 1000.00, '', '', 'bench:history',
                       now() - interval '2 days' - (i * 358.0 / %s) * interval '1 day'
                FROM generate_series(1, %s) AS i
                RETURNING id, created_at
            ), e AS (
                INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, source,
                    request_fingerprint, created_at, expires_at)
                SELECT %s, 'earn', 49, 'bench history', id, '', '', created_at, created_at + interval '365 days'
                FROM p RETURNING id, created_at, expires_at
            )
            INSERT INTO loyalty_pointslot (customer_id, entry_id, points, remaining, created_at, available_at,
                expires_at)
            SELECT %s, id, 49, 49, created_at, created_at, expires_at FROM e
            """,
            [customer_id, purchases, purchases, customer_id, customer_id],
        )
        cur.execute(
            """INSERT INTO loyalty_pointsaccount (customer_id, balance, points_owed, updated_at)
               VALUES (%s, %s, 0, now())
               ON CONFLICT (customer_id) DO UPDATE SET balance = loyalty_pointsaccount.balance + excluded.balance""",
            [customer_id, 49 * purchases],
        )
    spend_days_rebuild()


def history_curve(repeats: int) -> list[tuple[int, float, float]]:
    """For a customer with 1, 100, 1 000 and 5 000 earlier purchases and lots: the median ms of a purchase
    through the service layer (no points redeemed) and of the API's customer object (api.selectors.
    customer_card), `repeats` of each, in-process."""
    import statistics

    from django.db import connection

    from api.selectors import customer_card
    from customers.models import Customer
    from customers.services import customer_enrol
    from loyalty.services import purchase_record

    curve = []
    for n in HISTORY:
        customer = customer_enrol(name=f"History {n}", phone=f"+7914{n:07d}")
        history_load(customer.pk, n)
        customer = Customer.objects.get(pk=customer.pk)
        for _warm in range(5):  # imports, compiled queries, caches: the first customer would pay them
            purchase_record(customer_id=customer.pk, amount=AMOUNT, idempotency_key=f"hist:{uuid.uuid4().hex}")
            customer_card(customer)
        buy, look = [], []
        for _i in range(repeats):
            started = time.perf_counter()
            purchase_record(customer_id=customer.pk, amount=AMOUNT, idempotency_key=f"hist:{uuid.uuid4().hex}")
            buy.append(time.perf_counter() - started)
            started = time.perf_counter()
            customer_card(customer)
            look.append(time.perf_counter() - started)
        curve.append((n, 1000 * statistics.median(buy), 1000 * statistics.median(look)))
    connection.close()
    return curve


# --- the API -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, database_url: str, log) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/schema/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


def api_load(port: int, key: str, customer_ids: list[int], total: int, threads: int, time_limit: float):
    """`total` purchases from `threads` threads; (purchases answered 201, seconds, other statuses)."""
    counter = iter(range(total))
    lock = threading.Lock()
    ok, failures = [0], []
    deadline = time.time() + time_limit

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            body = json.dumps(
                {"customer": customer_ids[i % len(customer_ids)], "amount": AMOUNT, "redeem_points": REDEEM}
            )
            headers = {
                "Authorization": f"Token {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            conn.request("POST", "/api/v1/purchases/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                if response.status == 201:
                    ok[0] += 1
                else:
                    failures.append(response.status)

    pool = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return ok[0], time.perf_counter() - started, failures


def lookup_load(port: int, key: str, phones: list[str], total: int, threads: int, time_limit: float):
    """`total` lookups from `threads` threads; (latencies in ms of the 200s, seconds, other statuses)."""
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[int] = []
    deadline = time.time() + time_limit

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        while time.time() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            body = json.dumps({"q": phones[(i * 7919) % len(phones)]})
            started = time.perf_counter()
            conn.request("POST", "/api/v1/customers/lookup/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status == 200:
                    latencies.append(elapsed)
                else:
                    failures.append(response.status)

    pool = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, time.perf_counter() - started, failures


def batch_load(port: int, key: str, customer_ids: list[int], total: int, size: int, threads: int, time_limit: float):
    """`total` purchases in batches of `size` (POST /api/v1/purchases/batch/, each purchase its own key,
    occurred an hour ago) from `threads` threads; (purchases recorded, seconds, other results)."""
    counter = iter(range(0, total, size))
    lock = threading.Lock()
    ok, failures = [0], []
    deadline = time.time() + time_limit
    occurred = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.time() < deadline:
            with lock:
                start = next(counter, None)
            if start is None:
                return
            purchases = [
                {
                    "idempotency_key": uuid.uuid4().hex,
                    "occurred_at": occurred,
                    "customer": customer_ids[i % len(customer_ids)],
                    "amount": AMOUNT,
                    "redeem_points": REDEEM,
                }
                for i in range(start, min(start + size, total))
            ]
            body = json.dumps({"purchases": purchases})
            headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
            conn.request("POST", "/api/v1/purchases/batch/", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            with lock:
                if response.status != 200:
                    failures.append(response.status)
                    continue
                for result in json.loads(answer)["results"]:
                    if result["result"] == "recorded":
                        ok[0] += 1
                    else:
                        failures.append(result.get("error", {}).get("code", result["result"]))

    pool = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return ok[0], time.perf_counter() - started, failures


def batch_phase(database_url, args, customer_ids, key, log) -> tuple[int, float]:
    port = free_port()
    server = start_gunicorn(port, args.workers, database_url, log)
    try:
        # Warm up as the single endpoint's phase does, and as many requests as it takes each worker to have
        # prepared the chunk's statements (the fifth run of each on a connection, core.db.prepared_cursor).
        batch_load(port, key, customer_ids, 10 * args.batch_size, args.batch_size, 2 * args.workers, 30)
        done, seconds, failures = batch_load(  # as many client threads as the single endpoint's phase
            port, key, customer_ids, args.batch_purchases, args.batch_size, 2 * args.workers, args.time_limit
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    if failures:
        raise RuntimeError(f"batch: {len(failures)} purchases failed: {sorted(set(map(str, failures)))}")
    return done, seconds


def api_phase(label, database_url, args, customer_ids, key, log, lookup_phones=None):
    """Purchases through gunicorn: (purchases done, seconds); with `lookup_phones`, then the lookups on the
    same server: also (latencies ms, seconds)."""
    port = free_port()
    server = start_gunicorn(port, args.workers, database_url, log)
    lookups = None
    try:
        api_load(port, key, customer_ids, 20, 2, 30)  # warm up: imports, first connections
        done, seconds, failures = api_load(port, key, customer_ids, args.purchases, 2 * args.workers, args.time_limit)
        if lookup_phones:
            lookup_load(port, key, lookup_phones, 40, args.lookup_connections, 30)  # warm up
            latencies, lookup_seconds, lookup_failures = lookup_load(
                port, key, lookup_phones, args.lookups, args.lookup_connections, args.time_limit
            )
            failures += lookup_failures
            lookups = (latencies, lookup_seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if failures:
        raise RuntimeError(f"{label}: {len(failures)} requests failed, statuses {sorted(set(failures))}")
    return (done, seconds), lookups


def lookup_customers_load(count: int) -> list[str]:
    """Bulk-load `count` customers (no purchases) and return a spread of their phones to look up."""
    from _database import customers_and_purchases_insert
    from django.db import connection

    with connection.cursor() as cursor:
        customers_and_purchases_insert(cursor, count, 0)
        cursor.execute("ANALYZE customers_customer")
    step = max(1, count // 5000)
    return [f"+7900{i:07d}" for i in range(1, count + 1, step)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=2000, help="per phase")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, and processes for SQL/service")
    parser.add_argument("--time-limit", type=float, default=90, help="seconds per phase at most")
    parser.add_argument("--boost-rounds", type=int, default=3, help="interleaved rounds without/with boosts")
    parser.add_argument("--round-purchases", type=int, default=400, help="purchases per half-round")
    parser.add_argument("--lookups", type=int, default=2000, help="API lookups (0: none)")
    parser.add_argument("--lookup-connections", type=int, default=4)
    parser.add_argument("--lookup-customers", type=int, default=0, help="customers to bulk-load for the lookups")
    parser.add_argument("--batch-purchases", type=int, default=10_000, help="purchases through the batch endpoint")
    parser.add_argument("--batch-size", type=int, default=100, help="purchases per batch request")
    parser.add_argument(
        "--batch-ab", action="store_true", help="also run the batch load through the per-item path (A/B)"
    )
    parser.add_argument("--history-repeats", type=int, default=100, help="purchases and lookups per history point")
    parser.add_argument(
        "--only-issue16",
        action="store_true",
        help="only raw SQL, the single API endpoint (persistent), the batch endpoint and the history curve",
    )
    args = parser.parse_args()

    ensure_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    from loyalty.models import Purchase
    from loyalty.selectors import ledger_problems

    call_command("migrate", verbosity=0)
    customer_ids, key = reset(args.customers)
    lookup_phones = [f"+7913{i:07d}" for i in range(args.customers)]
    if args.lookup_customers:
        lookup_phones = lookup_customers_load(args.lookup_customers)
    print(
        f"{args.customers} customers, {args.purchases} purchases per phase, {args.workers} workers/processes, "
        f"{os.cpu_count()} CPUs; every purchase: {AMOUNT} paying {REDEEM} points; "
        f"load average before: {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    results: dict[str, tuple[int, float]] = {}
    results["raw SQL"] = in_processes(raw_worker, customer_ids, args.purchases, args.workers, args.time_limit)
    if args.only_issue16:
        issue16(args, customer_ids, key, results)
        return
    results["service layer"] = in_processes(service_worker, customer_ids, args.purchases, args.workers, args.time_limit)
    with tempfile.NamedTemporaryFile("w+", prefix="bench-api-gunicorn-", suffix=".log", delete=False) as log:
        results["API, new DB connection per request"] = api_phase("API", DATABASE_URL, args, customer_ids, key, log)[0]
        persistent = DATABASE_URL + ("&" if "?" in DATABASE_URL else "?") + "conn_max_age=60"
        results["API, persistent DB connections"], lookups = api_phase(
            "API (persistent)", persistent, args, customer_ids, key, log, lookup_phones if args.lookups else None
        )
        boosts_launch()
        results["service layer, 5 boosts"] = in_processes(
            service_worker, customer_ids, args.purchases, args.workers, args.time_limit
        )
        results["API, persistent, 5 boosts"] = api_phase(
            "API (persistent, boosts)", persistent, args, customer_ids, key, log
        )[0]
        log.seek(0)
        logged = sum(1 for line in log if " POST /api/v1/purchases/ 201 " in line)
    os.unlink(log.name)  # kept only when a phase failed, for its traceback

    raw_rate = results["raw SQL"][0] / results["raw SQL"][1]
    print(f"{'':38s} {'purchases':>9s} {'seconds':>8s} {'per s':>8s} {'ms each':>8s} {'÷ raw SQL':>9s}")
    for label, (done, seconds) in results.items():
        rate = done / seconds
        print(
            f"{label:38s} {done:9d} {seconds:8.2f} {rate:8.1f} {1000 * args.workers / rate:8.2f} {rate / raw_rate:9.3f}"
        )
    print("(ms each: wall time per purchase per worker, i.e. workers ÷ rate)")
    if lookups:
        latencies, seconds = lookups
        print(
            f"API lookup (POST /api/v1/customers/lookup/, {args.lookup_connections} connections, persistent DB "
            f"connections, {len(lookup_phones):,} phones asked among {args.customers + args.lookup_customers:,} "
            f"customers): {len(latencies)} in {seconds:.2f} s = {len(latencies) / seconds:.1f}/s; "
            f"p50 {percentile(latencies, 0.50):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)")
    from campaigns.models import Campaign

    rounds = []
    for _round in range(args.boost_rounds):
        pair = []
        for status in (Campaign.Status.PAUSED, Campaign.Status.ACTIVE):
            Campaign.objects.filter(kind=Campaign.Kind.BOOST).update(status=status)
            done, seconds = in_processes(
                service_worker, customer_ids, args.round_purchases, args.workers, args.time_limit
            )
            pair.append(done / seconds)
        rounds.append(pair)
    api_rounds = []
    if args.boost_rounds:
        with tempfile.NamedTemporaryFile("w+", prefix="bench-api-gunicorn-", suffix=".log", delete=False) as log:
            port = free_port()
            server = start_gunicorn(port, args.workers, persistent, log)
            try:
                api_load(port, key, customer_ids, 20, 2, 30)
                for _round in range(args.boost_rounds):
                    pair = []
                    for status in (Campaign.Status.PAUSED, Campaign.Status.ACTIVE):
                        Campaign.objects.filter(kind=Campaign.Kind.BOOST).update(status=status)  # seen at once
                        done, seconds, failures = api_load(
                            port, key, customer_ids, args.round_purchases, 2 * args.workers, args.time_limit
                        )
                        if failures:
                            raise RuntimeError(f"API rounds: {len(failures)} requests failed")
                        pair.append(done / seconds)
                    api_rounds.append(pair)
            finally:
                server.terminate()
                server.wait(timeout=30)
        os.unlink(log.name)
    for label, pairs in (("service layer", rounds), ("API, persistent", api_rounds)):
        if not pairs:
            continue
        each = ", ".join(f"{boosted / plain:.3f}" for plain, boosted in pairs)
        total = sum(boosted for _p, boosted in pairs) / sum(plain for plain, _b in pairs)
        print(
            f"{label}, interleaved rounds without/with boosts ({args.round_purchases} purchases each): "
            f"{', '.join(f'{p:.1f}/{b:.1f}' for p, b in pairs)} per s; ratios {each}; overall {total:.3f}"
        )
    for boosted, plain in (
        ("service layer, 5 boosts", "service layer"),
        ("API, persistent, 5 boosts", "API, persistent DB connections"),
    ):
        ratio = (results[boosted][0] / results[boosted][1]) / (results[plain][0] / results[plain][1])
        print(f"{boosted} ÷ without boosts: {ratio:.3f} (goal ≥ 0.900)")
    from campaigns.models import BoostGrant

    print(f"boost grant rows written: {BoostGrant.objects.count()}")
    if args.batch_purchases or args.history_repeats:  # issue #16's batch and history parts, boosts paused
        Campaign.objects.filter(kind=Campaign.Kind.BOOST).update(status=Campaign.Status.PAUSED)
    if args.batch_purchases:
        batch_phases(args, customer_ids, key, results)
        batch_report(args, results)
    if args.history_repeats:
        history_report(args)
    single = {label: value for label, value in results.items() if label.startswith("API") and "batch" not in label}
    api_total = sum(done for done, _s in single.values())  # the single endpoint's phases (their own log)
    api_phases = len(single)
    print(f"request log lines for API purchases answered 201: {logged} (expected {api_total + api_phases * 20})")
    mismatches = ledger_problems()
    print(f"purchases in the database: {Purchase.objects.count()}; cached balances ≠ ledger: {len(mismatches)}")
    if mismatches:
        raise SystemExit("ledger mismatch")


def batch_phases(args, customer_ids: list[int], key: str, results: dict[str, tuple[int, float]]) -> None:
    """The batch endpoint's load (and, with --batch-ab, the same through the per-item path) into `results`,
    on a gunicorn with persistent connections; run with the boosts paused (a boosted item is not plain)."""
    persistent = DATABASE_URL + ("&" if "?" in DATABASE_URL else "?") + "conn_max_age=60"
    with tempfile.NamedTemporaryFile("w+", prefix="bench-api-gunicorn-", suffix=".log", delete=False) as log:
        results[f"API batch of {args.batch_size}, persistent"] = batch_phase(persistent, args, customer_ids, key, log)
        if args.batch_ab:  # the same load through the per-item path (API_BATCH_SET_BASED=false)
            os.environ["API_BATCH_SET_BASED"] = "false"
            try:
                results[f"API batch of {args.batch_size}, per item"] = batch_phase(
                    persistent, args, customer_ids, key, log
                )
            finally:
                os.environ.pop("API_BATCH_SET_BASED")
    os.unlink(log.name)


def batch_report(args, results: dict[str, tuple[int, float]]) -> None:
    """The batch endpoint against the single one, per purchase (goal: ≥ 5), from `results`."""
    raw_rate = results["raw SQL"][0] / results["raw SQL"][1]
    single = results["API, persistent DB connections"]
    batch = results[f"API batch of {args.batch_size}, persistent"]
    print(
        f"API batch of {args.batch_size}: {batch[0]} purchases in {batch[1]:.2f} s = {batch[0] / batch[1]:.1f}/s "
        f"({batch[0] / batch[1] / raw_rate:.3f} of raw SQL); "
        f"batch endpoint ÷ single endpoint, per purchase: {(batch[0] / batch[1]) / (single[0] / single[1]):.2f} "
        f"(goal ≥ 5)"
    )
    if args.batch_ab:
        per_item = results[f"API batch of {args.batch_size}, per item"]
        print(
            f"batch endpoint per item (API_BATCH_SET_BASED=false) ÷ single endpoint: "
            f"{(per_item[0] / per_item[1]) / (single[0] / single[1]):.2f}; set-based ÷ per item: "
            f"{(batch[0] / batch[1]) / (per_item[0] / per_item[1]):.2f}"
        )


def history_report(args) -> None:
    """The history curve (goal: a purchase and a lookup with 5 000 earlier purchases within 20 % of a new
    customer), printed."""
    curve = history_curve(args.history_repeats)
    print("earlier purchases and lots | purchase, median ms | lookup (customer object), median ms")
    for n, buy, look in curve:
        print(f"{n:26d} | {buy:18.2f} | {look:10.2f}")
    first, last = curve[0], curve[-1]
    print(
        f"5 000 ÷ 1: purchase {last[1] / first[1]:.2f}, lookup {last[2] / first[2]:.2f} (goal ≤ 1.20); "
        f"load average after: {os.getloadavg()[0]:.2f}"
    )


def issue16(args, customer_ids: list[int], key: str, results: dict[str, tuple[int, float]]) -> None:
    """Only issue #16's batch and history parts: the single endpoint, the batch endpoint against it (goal:
    ≥ 5× per purchase) and the history curve."""
    from loyalty.models import Purchase
    from loyalty.selectors import ledger_problems, spend_day_problems

    persistent = DATABASE_URL + ("&" if "?" in DATABASE_URL else "?") + "conn_max_age=60"
    with tempfile.NamedTemporaryFile("w+", prefix="bench-api-gunicorn-", suffix=".log", delete=False) as log:
        results["API, persistent DB connections"] = api_phase(
            "API (persistent)", persistent, args, customer_ids, key, log
        )[0]
    os.unlink(log.name)
    batch_phases(args, customer_ids, key, results)
    raw_rate = results["raw SQL"][0] / results["raw SQL"][1]
    print(f"{'':38s} {'purchases':>9s} {'seconds':>8s} {'per s':>8s} {'÷ raw SQL':>9s}")
    for label, (done, seconds) in results.items():
        print(f"{label:38s} {done:9d} {seconds:8.2f} {done / seconds:8.1f} {done / seconds / raw_rate:9.3f}")
    batch_report(args, results)
    history_report(args)
    mismatches, spend = ledger_problems(), spend_day_problems()
    print(
        f"purchases in the database: {Purchase.objects.count()}; cached balances ≠ ledger: {len(mismatches)}; "
        f"spend totals ≠ purchases: {len(spend)}"
    )
    if mismatches or spend:
        raise SystemExit("ledger mismatch")


if __name__ == "__main__":
    main()
