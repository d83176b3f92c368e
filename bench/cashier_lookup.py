"""Benchmark: the till with 1 000 000 customers on PostgreSQL.

    .venv/bin/python bench/cashier_lookup.py [--customers 1000000] [--lookups 2000] [--purchases 500] [--reload]

Bulk-loads customers with COPY (valid phones and Luhn-checked card numbers) into its own database
`boomerang_bench_till` (override with BENCH_DATABASE_URL); the data stays for the next run unless
--reload. Then, in this process, it sends requests through Django's full stack (middleware, session
auth, the view, the template) with the test client, and reports the server-side time:
- lookup: POST /cashier/ q=… with a random customer's phone typed in one of three formats, or a card
  number as a scanner types it (one match → the redirect to the card);
- card: GET /cashier/customer/<id>/ (what the cashier sees next);
- purchase: POST /cashier/customer/<id>/purchase/ redeeming points, the receipt redirect included.
Goals on this 2-core machine: lookup p95 under 20 ms, purchase under 50 ms.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_till"
)
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)


def card_for(i: int) -> str:
    from customers.rules import luhn_check_digit

    body = "27" + f"{i:010d}"
    return body + luhn_check_digit(body)


def phone_for(i: int) -> str:
    return f"+7912{i:07d}"


def load(n: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_tierstatus, loyalty_tierchange, "
            "loyalty_purchaseline, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, loyalty_lotdebit, "
            "loyalty_pointsaccount, customers_auditentry RESTART IDENTITY CASCADE"
        )
    started = time.perf_counter()
    raw = connection.connection  # the psycopg connection under Django's
    with raw.cursor() as cur:
        with cur.copy(
            "COPY customers_customer (name, phone, card_number, consent_email, consent_sms, referral_code, notes,"
            " enrol_fingerprint, created_at) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row(
                    (
                        f"Customer {i}",
                        phone_for(i),
                        card_for(i),
                        i % 3 == 0,
                        i % 4 == 0,
                        f"B{i:09d}",
                        "",
                        "",
                        "2026-01-01",
                    )
                )
    raw.commit()
    with connection.cursor() as cur:
        cur.execute("ANALYZE customers_customer")
    print(f"loaded {n:,} customers with COPY in {time.perf_counter() - started:.1f} s", flush=True)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {p50 * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms   max {ordered[-1] * 1000:6.2f} ms  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--purchases", type=int, default=500)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from customers.models import Customer
    from loyalty import services

    call_command("migrate", verbosity=0)
    if args.reload or Customer.objects.count() != args.customers:
        load(args.customers)
    else:
        print(f"reusing {args.customers:,} loaded customers (pass --reload to load again)")

    cashier, _ = User.objects.get_or_create(username="bench-cashier")
    cashier.groups.add(Group.objects.get(name="Cashiers"))
    client = Client()
    client.force_login(cashier)
    rng = random.Random(7)

    formats = [
        lambda i: phone_for(i),
        lambda i: f"8 (912) {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}",
        lambda i: f"+7 912 {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d}",
        lambda i: card_for(i),
    ]
    for _ in range(50):  # warm up connections and caches
        client.post("/cashier/", {"q": phone_for(rng.randint(1, args.customers))})

    lookup, card = [], []
    for _ in range(args.lookups):
        i = rng.randint(1, args.customers)
        query = rng.choice(formats)(i)
        t = time.perf_counter()
        response = client.post("/cashier/", {"q": query})
        lookup.append(time.perf_counter() - t)
        assert response.status_code == 302, (query, response.status_code)
        t = time.perf_counter()
        client.get(response.url)
        card.append(time.perf_counter() - t)

    # Give the purchase customers some points first, through the service.
    buyers = [rng.randint(1, args.customers) for _ in range(args.purchases)]
    for i in set(buyers):
        services.points_award(customer_id=i, points=500, reason="bench opening balance")
    purchase = []
    for i in buyers:
        data = {"amount": f"{rng.randint(300, 5000)}.00", "redeem_points": "50", "idempotency_key": uuid.uuid4().hex}
        t = time.perf_counter()
        response = client.post(f"/cashier/customer/{i}/purchase/", data)
        purchase.append(time.perf_counter() - t)
        assert response.status_code == 302, response.content[:500]

    print(f"lookup   (POST /cashier/ q=…)              {percentiles(lookup)}")
    print(f"card     (GET /cashier/customer/<id>/)    {percentiles(card)}")
    print(f"purchase (POST …/purchase/, with points)  {percentiles(purchase)}")
    print("goals: lookup p95 < 20 ms, purchase < 50 ms")


if __name__ == "__main__":
    main()
