"""Load test: a mix of lookups, purchases and refunds from many clients against gunicorn and PostgreSQL.

    .venv/bin/python bench/load_mixed.py [--seconds 120] [--clients 16] [--workers 5] [--customers 2000]

On its own database `boomerang_bench_load` (BENCH_DATABASE_URL to override; emptied each run): enrols
`--customers` customers with 100 000 points each and one API client, starts gunicorn (`--workers` sync
workers, loopback only, the production access-log format) and runs `--clients` threads for `--seconds`,
each repeating: 60 % POST /api/v1/customers/lookup/ by a random phone, 30 % POST /api/v1/purchases/
(some paying points), 10 % a refund of 10.00 of one of its own earlier purchases. Every purchase and
refund has its own Idempotency-Key.

Prints requests per second, p50 / p95 / p99 latency per kind, and the errors (no answer, 5xx, or a status
other than the one expected); then runs verify_ledger (every balance = Σ entries = Σ lots).
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_load")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"
os.environ["API_THROTTLE_RATE"] = "100000000/min"  # measured: the work, not the throttle (which still counts)
EXPECTED = {"lookup": 200, "purchase": 201, "refund": 201}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()

    ensure_database(DATABASE_URL, fresh=True)

    import django

    django.setup()
    from django.core.management import call_command

    from api.services import api_client_create
    from customers.services import customer_enrol
    from loyalty import services

    call_command("migrate", verbosity=0)
    phones = []
    for i in range(args.customers):
        customer = customer_enrol(name=f"Load {i}", phone=f"+7914{i:07d}")
        services.points_award(customer_id=customer.pk, points=100_000, reason="load test float")
        phones.append((customer.pk, f"+7 914 {i:07d}"))
    key = api_client_create(name="load").key

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(args.workers),
           "GUNICORN_ACCESS_LOG": "/dev/null"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(base + "/api/v1/purchases/", timeout=10)  # the first request loads Django
            break
        except requests.RequestException:
            time.sleep(0.1)

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {key}"
        mine: list[int] = []
        while time.monotonic() < deadline:
            roll = rng.random()
            customer_id, phone = rng.choice(phones)
            if roll < 0.6:
                kind, path, body, headers = "lookup", "/api/v1/customers/lookup/", {"q": phone}, {}
            elif roll < 0.9 or not mine:
                kind, path = "purchase", "/api/v1/purchases/"
                body = {"customer": customer_id, "amount": f"{rng.randint(100, 5000)}.00",
                        "redeem_points": rng.choice([0, 0, 0, 20])}  # fmt: skip
                headers = {"Idempotency-Key": uuid.uuid4().hex}
            else:
                kind, path = "refund", f"/api/v1/purchases/{mine.pop(rng.randrange(len(mine)))}/refund/"
                body, headers = {"amount": "10.00"}, {"Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                response = session.post(base + path, json=body, headers=headers, timeout=30)
                status = response.status_code
            except requests.RequestException:
                status = None
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies[kind].append(elapsed)
                if status != EXPECTED[kind]:
                    errors[(kind, status)] += 1
            if kind == "purchase" and status == 201:
                mine.append(response.json()["id"])

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    server.terminate()
    server.wait()

    total = sum(len(v) for v in latencies.values())
    print(f"{args.clients} clients, {args.workers} gunicorn workers, {args.customers} customers, {took:.0f} s, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"all        {total:6d} requests  {total / took:7.1f}/s")
    for kind in ("lookup", "purchase", "refund"):
        values = sorted(latencies[kind])
        if not values:
            continue
        q = statistics.quantiles(values, n=100)
        print(f"{kind:9s}  {len(values):6d} requests  {len(values) / took:7.1f}/s  "
              f"p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms  p99 {q[98]:6.1f} ms")  # fmt: skip
    print(f"errors     {sum(errors.values())} {dict(errors) if errors else ''}")
    call_command("verify_ledger")


if __name__ == "__main__":
    main()
