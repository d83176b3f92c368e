"""The demo runs on SQLite (README's first command): the paths PostgreSQL takes as hand-written SQL have an
ORM twin there, and this runs the demo's own stack on a real SQLite file, in a process of its own (the suite's
database is PostgreSQL). A tester found on SQLite that boosts were quoted but never credited and that the
django-q worker never claimed a task: both are checked here end to end."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json
from decimal import Decimal
from django.utils import timezone
from django_q.brokers import get_broker
from campaigns.models import BoostGrant, Campaign
from campaigns.services.changes import campaign_create, campaign_launch
from customers.services import customer_enrol
from loyalty.models import ProgramSettings
from loyalty.services import purchase_record
from loyalty.selectors import ledger_problems

ProgramSettings.objects.get_or_create(pk=1)
ProgramSettings.objects.filter(pk=1).update(boost_combine="sum", boost_cap_percent=Decimal("20"))
customer = customer_enrol(name="Anna", phone="+79123456789")
double = campaign_create(values={"name": "Double", "kind": Campaign.Kind.BOOST, "boost_multiplier": Decimal("2")})
limited = campaign_create(values={"name": "Once", "kind": Campaign.Kind.BOOST, "boost_extra_percent": Decimal("1"),
                                  "per_customer_limit": 1})
campaign_launch(campaign_id=double.pk)
campaign_launch(campaign_id=limited.pk)
first = purchase_record(customer_id=customer.pk, amount="1000.00", idempotency_key="sq-1")
second = purchase_record(customer_id=customer.pk, amount="1000.00", idempotency_key="sq-2")
claimed = get_broker().dequeue() or []
print(json.dumps({
    "first": first.purchase.earned_points,
    "second": second.purchase.earned_points,
    "breakdown": first.purchase.earned_breakdown,
    "grants": BoostGrant.objects.filter(customer=customer).count(),
    "claimed": len(claimed),
    "ledger_problems": len(ledger_problems()),
}))
"""


def test_on_sqlite_boosts_are_credited_and_the_worker_can_claim_tasks(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": "sqlite-demo-test-" + "x" * 40,
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    done = subprocess.run(
        [*manage, "shell", "-c", SCRIPT], cwd=ROOT, env=env, check=True, timeout=300, capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # 5 % of 1 000.00 = 50; ×2 adds 50; +1 % adds 10, once per customer (its limit): 110, then 100.
    assert (result["first"], result["second"]) == (110, 100), result
    assert [part["points"] for part in result["breakdown"]] == [50, 50, 10]
    assert result["grants"] == 3  # two for the first purchase, one for the second
    assert result["claimed"] >= 1  # the "points earned" notices' task rows can be claimed by a worker
    assert result["ledger_problems"] == 0
