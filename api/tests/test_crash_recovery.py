"""Nothing is lost in a crash (issue #11). A real gunicorn serves the API and the console over loopback
while clients send a stream of purchases and refunds (API, each with its Idempotency-Key) and a marketer
makes manual adjustments (console form, with its hidden key); the server is killed with SIGKILL
(and, in the second test, its database connections are cut) at random moments and restarted. Then:

- every request answered 201 is recorded exactly once;
- a request that got no answer is recorded completely or not at all (the ledger balances either way);
- retrying each unanswered request with its key records it exactly once;
- verify_ledger finds nothing.

Bounded: a few seconds of traffic per test. The seed is printed, so a failure can be replayed.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.db import connection

from api.tests.factories import ApiClientFactory
from core.tests.factories import PASSWORD, UserFactory
from customers.tests.factories import CustomerFactory
from loyalty import services
from loyalty.models import LedgerEntry, Purchase, Refund

ROOT = Path(__file__).resolve().parents[2]
MIN_ANSWERED = 21  # answered requests a run needs to mean anything (the stream goes on until it has them)
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn (2 workers) on the test database; `kill()` is SIGKILL to the whole process group."""

    def __init__(self) -> None:
        self.port = _free_port()
        db = connection.settings_dict
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",  # the same password hasher as the test
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "DEBUG": "false",
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "CSRF_COOKIE_SECURE": "false",
            "API_THROTTLE_RATE": "100000/min",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "CONN_MAX_AGE": "60",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{self.port}/api/v1/purchases/", timeout=10)  # the first loads Django
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def cut_database_connections(self, *, spare: int) -> int:
        """Terminate every connection to the test database but this thread's and `spare` (the test's)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
                [spare],
            )
            return cursor.fetchone()[0]


def _stream(
    server: Server,
    key: str,
    customer_ids: list[int],
    *,
    seconds: float,
    fault,
    seed: int,
    clients: int = 4,
    min_answered: int = MIN_ANSWERED,
    max_seconds: float = 40,
):
    """`clients` threads send purchases (and refunds of earlier ones) for `seconds` while another thread
    calls `fault()` at random moments, so that faults hit requests in flight. On a busy machine (restarts
    slow) the stream goes on, up to `max_seconds`, until `min_answered` requests have been answered.
    Returns [(path, body, idempotency key, status or None for no answer)]."""
    sent: list = []
    started = time.monotonic()

    def running() -> bool:
        elapsed = time.monotonic() - started
        if elapsed >= max_seconds:
            return False
        return elapsed < seconds or sum(1 for s in sent if s[3] == 201) < min_answered

    def client(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        session = requests.Session()
        recorded: list[int] = []
        while running():
            if recorded and rng.random() < 0.25:
                purchase_id = recorded.pop(rng.randrange(len(recorded)))
                path, body = f"/api/v1/purchases/{purchase_id}/refund/", {"amount": "10.00"}
            else:
                path = "/api/v1/purchases/"
                body = {"customer": rng.choice(customer_ids), "amount": f"{rng.randint(100, 5000)}.00",
                        "redeem_points": rng.choice([0, 0, 5])}  # fmt: skip
            idem = uuid.uuid4().hex
            headers = {"Authorization": f"Token {key}", "Idempotency-Key": idem}
            try:
                response = session.post(f"http://127.0.0.1:{server.port}{path}", json=body, headers=headers, timeout=5)
                status = response.status_code
                if status == 201 and path == "/api/v1/purchases/":
                    recorded.append(response.json()["id"])
            except requests.RequestException:
                status = None
                session = requests.Session()
                time.sleep(0.05)
            sent.append((path, body, idem, status))

    def adjuster() -> None:
        """A marketer making manual adjustments in the console (session login, CSRF, its hidden key)."""
        rng = random.Random(seed * 100 + 99)
        session = None
        while running():
            if session is None:
                session = _console_login(server)
                if session is None:
                    time.sleep(0.1)
                    continue
            idem = uuid.uuid4().hex
            path = f"/customers/{rng.choice(customer_ids)}/adjust/"
            body = {"points": str(rng.choice([5, -5, 20])), "reason": "goodwill", "idempotency_key": idem}
            try:
                response = session.post(f"http://127.0.0.1:{server.port}{path}", timeout=5, allow_redirects=False,
                                        data={**body, "csrfmiddlewaretoken": session.cookies["csrftoken"]})  # fmt: skip
                status = 201 if response.status_code == 302 else response.status_code
            except requests.RequestException:
                status, session = None, None
            sent.append((path, body, idem, status))

    def faults() -> None:
        rng = random.Random(seed)
        try:
            while True:
                time.sleep(rng.uniform(0.4, 1.2))
                if not running():
                    return
                fault()
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads += [threading.Thread(target=adjuster), threading.Thread(target=faults)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


def _console_login(server: Server) -> requests.Session | None:
    """A logged-in console session for the marketer, or None while the server is down."""
    session = requests.Session()
    try:
        session.get(f"http://127.0.0.1:{server.port}/accounts/login/", timeout=5)
        response = session.post(
            f"http://127.0.0.1:{server.port}/accounts/login/", timeout=5, allow_redirects=False,
            data={"username": "crash-marketer", "password": PASSWORD,
                  "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
        )  # fmt: skip
    except requests.RequestException:
        return None
    return session if response.status_code == 302 else None


def _recorded(client_pk: int, idem: str, path: str) -> int:
    if path.endswith("/adjust/"):
        return LedgerEntry.objects.filter(idempotency_key=f"console:{idem}").count()
    model = Purchase if path == "/api/v1/purchases/" else Refund
    return model.objects.filter(idempotency_key=f"api:{client_pk}:{idem}").count()


def _run(fault_kind: str) -> None:
    seed = random.randrange(10**6)
    print(f"crash test seed {seed} ({fault_kind})")
    api_client = ApiClientFactory(name=f"crash-{fault_kind}")
    UserFactory(username="crash-marketer", groups=["Marketing"])
    customers = [CustomerFactory().pk for _ in range(5)]
    for pk in customers:
        services.points_award(customer_id=pk, points=1000, reason="float for the test")
    server = Server()
    server.start()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        test_pid = cursor.fetchone()[0]

    def fault() -> None:
        if fault_kind == "sigkill":
            server.kill()
            server.start()
        else:
            server.cut_database_connections(spare=test_pid)

    try:
        sent = _stream(server, api_client.key, customers, seconds=8, fault=fault, seed=seed)
        answered = [s for s in sent if s[3] == 201]
        unanswered = [s for s in sent if s[3] is None or s[3] >= 500]
        assert len(answered) >= MIN_ANSWERED, f"too little traffic to mean anything: {len(sent)} requests"
        adjustments = sum(1 for s in answered if s[0].endswith("/adjust/"))
        assert adjustments > 0, "the marketer's adjustments never went through"
        for path, _body, idem, _status in answered:
            assert _recorded(api_client.client.pk, idem, path) == 1, (seed, path, idem)
        for path, _body, idem, _status in unanswered:
            assert _recorded(api_client.client.pk, idem, path) in (0, 1), (seed, path, idem)
        call_command("verify_ledger")  # raises CommandError on any problem (half-recorded operations too)
        # Retrying each unanswered request with its key records it exactly once.
        session = requests.Session()
        session.headers["Authorization"] = f"Token {api_client.key}"
        console = _console_login(server)
        for path, body, idem, _status in unanswered:
            if path.endswith("/adjust/"):
                response = console.post(f"http://127.0.0.1:{server.port}{path}", timeout=10, allow_redirects=False,
                                        data={**body, "csrfmiddlewaretoken": console.cookies["csrftoken"]})  # fmt: skip
                status = 201 if response.status_code == 302 else response.status_code
            else:
                response = session.post(f"http://127.0.0.1:{server.port}{path}", json=body,
                                        headers={"Idempotency-Key": idem}, timeout=10)  # fmt: skip
                status = response.status_code
            assert status in (201, 400, 404), (seed, path, response.status_code, response.text[:300])
            expected = 1 if status == 201 else 0
            assert _recorded(api_client.client.pk, idem, path) == expected, (seed, path, idem)
        call_command("verify_ledger")
        print(f"{len(sent)} requests ({adjustments} adjustments answered), {len(answered)} answered 201, "
              f"{len(unanswered)} unanswered and retried")  # fmt: skip
    finally:
        server.kill()


def test_sigkill_during_a_stream_of_purchases_and_refunds_loses_nothing():
    _run("sigkill")


def test_cut_database_connections_during_a_stream_lose_nothing():
    _run("cut-connections")
