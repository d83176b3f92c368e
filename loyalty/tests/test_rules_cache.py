"""The program settings and tiers are cached per process (loyalty.selectors, core.versions) and never
served stale after a change: not in the process that saved it, not in another one."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.versions import _request_finished, _request_started
from loyalty.models import ProgramSettings, Tier
from loyalty.selectors import program_settings_get, tiers_list
from loyalty.services import program_settings_update, tiers_save
from loyalty.services.tiers import TIER_FIELDS

ROOT = Path(__file__).resolve().parents[2]

# A second process with its own connection to the test database: for each line on stdin it serves one
# "request" (Django's request signals around the reads, as under gunicorn) and prints the rules it read
# and how many queries that took.
READER = """
import json, sys
import django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext
from loyalty.selectors import program_settings_get, tiers_list
for _line in sys.stdin:
    request_started.send(sender=None)
    with CaptureQueriesContext(connection) as queries:
        program = program_settings_get()
        tiers = tiers_list()
        program_settings_get()  # read again in the same request: no query
    request_finished.send(sender=None)
    print(json.dumps({"cashback": str(program.base_cashback_percent), "tiers": [t.name for t in tiers],
                      "queries": len(queries)}), flush=True)
"""


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _tier_rows() -> list[dict]:
    return [{"id": t.pk, **{f: getattr(t, f) for f in TIER_FIELDS}} for t in tiers_list()]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers)
def test_cached_rules_never_stale_after_a_change_two_processes(program):
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    reader = subprocess.Popen(
        [sys.executable, "-c", READER], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )

    def read() -> dict:
        reader.stdin.write("read\n")
        reader.stdin.flush()
        line = reader.stdout.readline()
        assert line, "the reader process died"
        return json.loads(line)

    try:
        first = read()
        assert first["cashback"] == str(program.base_cashback_percent)
        assert first["tiers"] == [t.name for t in tiers_list()]
        assert first["queries"] == 3  # the version, the settings, the tiers
        assert read() == {**first, "queries": 1}  # cached: only the version

        program_settings_update(base_cashback_percent=Decimal("7.25"), actor=None)
        after_settings = read()
        assert after_settings["cashback"] == "7.25"
        assert after_settings["queries"] == 3

        rows = _tier_rows()
        rows[0]["name"] = "Copper"
        tiers_save(tiers=rows, actor=None)
        assert read()["tiers"][0] == "Copper"

        # A change that bypasses the services (raw SQL, a migration, the shell) is seen too: the trigger.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE loyalty_programsettings SET base_cashback_percent = 3.50")
        assert read()["cashback"] == "3.50"
        assert read()["queries"] == 1
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert reader.returncode == 0


@pytest.mark.django_db
def test_a_request_reads_its_own_change_and_not_a_rolled_back_one(program):
    _request_started()  # as Django's request_started does (without closing the test's connection)
    try:
        assert program_settings_get().base_cashback_percent == program.base_cashback_percent
        program_settings_update(base_cashback_percent=Decimal("6.00"), actor=None)
        assert program_settings_get().base_cashback_percent == Decimal("6.00")

        rows = _tier_rows()
        rows[0]["name"] = "Rolled back"
        with pytest.raises(RuntimeError), transaction.atomic():
            tiers_save(tiers=rows, actor=None)
            assert tiers_list()[0].name == "Rolled back"
            raise RuntimeError
        assert tiers_list()[0].name == Tier.objects.order_by("order").first().name != "Rolled back"
    finally:
        _request_finished()


@pytest.mark.django_db
def test_cached_rules_are_copies(program):
    program_settings_get().base_cashback_percent = Decimal("99")
    tiers_list()[0].name = "Changed in memory"
    assert program_settings_get().base_cashback_percent == program.base_cashback_percent
    assert tiers_list()[0].name == Tier.objects.order_by("order").first().name
    assert ProgramSettings.objects.get().base_cashback_percent == program.base_cashback_percent


@pytest.mark.django_db
def test_unchanged_rules_cost_one_query(program):
    program_settings_get()
    with CaptureQueriesContext(connection) as queries:
        program_settings_get()
        tiers_list()
    assert len(queries) == 2  # the version, once per read outside a request; no settings or tiers
