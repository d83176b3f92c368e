"""API clients are cached per process (api.authentication.api_client_for_key, core.versions): a key
costs no query once seen, and a revoked or rotated key stops working at once in every process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.authentication import api_client_for_key
from api.services import api_client_revoke, api_client_rotate

ROOT = Path(__file__).resolve().parents[2]

# Another process with its own database connection: for each key on stdin, one lookup through the full
# stack (Django's test client sends the request signals, as gunicorn does); prints the status.
CALLER = """
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from rest_framework.test import APIClient
phone = sys.argv[1]
for line in sys.stdin:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + line.strip())
    response = client.post("/api/v1/customers/lookup/", {"q": phone}, format="json")
    print(json.dumps({"status": response.status_code, "detail": response.json().get("detail")}), flush=True)
"""


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_a_revoked_key_stops_working_at_once_in_another_process(program, customer, api_client_factory):
    created = api_client_factory(name="till-1")
    other = api_client_factory(name="till-2")
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    caller = subprocess.Popen(
        [sys.executable, "-c", CALLER, customer.phone],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def call(key: str) -> dict:
        caller.stdin.write(key + "\n")
        caller.stdin.flush()
        line = caller.stdout.readline()
        assert line, "the calling process died"
        return json.loads(line)

    try:
        assert call(created.key)["status"] == 200
        assert call(created.key)["status"] == 200  # now from that process's cache
        assert call(other.key)["status"] == 200
        api_client_revoke(client_id=created.client.pk)
        assert call(created.key) == {"status": 401, "detail": "This API key has been revoked."}
        assert call(other.key)["status"] == 200  # the others keep working
        rotated = api_client_rotate(client_id=other.client.pk)
        assert call(other.key) == {"status": 401, "detail": "Invalid API key."}
        assert call(rotated.key)["status"] == 200
    finally:
        caller.stdin.close()
        caller.wait(timeout=30)
    assert caller.returncode == 0


@pytest.mark.django_db
def test_a_known_key_costs_no_query_of_clients(program, api_client_factory):
    created = api_client_factory(name="till")
    assert api_client_for_key(created.key).pk == created.client.pk
    with CaptureQueriesContext(connection) as queries:
        assert api_client_for_key(created.key).pk == created.client.pk
    assert [q["sql"] for q in queries] == ["SELECT name, token FROM core_cacheversion"]
    assert api_client_for_key("not-a-key") is None
