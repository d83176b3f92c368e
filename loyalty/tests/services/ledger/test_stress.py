"""Stress: real threads on separate connections run purchases, refunds, deductions, awards and the daily
job against the same few customers, a few hundred operations bounded in time. No exception but the
domain's own may surface, and afterwards every customer's points add up and no dead lot holds points.

The customers start with points that died at the shop's last midnight and that no job has expired yet,
and awards keep creating more such lots while the job runs, so the tills' own (lazy) expiry and the
nightly job race for the same lots.
"""

import datetime as dt
import random
import threading
import time
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from core.exceptions import DomainError
from customers.services import customer_enrol
from loyalty import services
from loyalty.models import LedgerEntry, PointsAccount, PointsLot, Purchase
from loyalty.rules import local_midnight
from loyalty.selectors import ledger_problems, purchase_quote

THREADS = 6
OPERATIONS = 50  # per thread
TIME_LIMIT = 90  # seconds for all of them; a thread stops early past it


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep migration data (tiers, roles)
def test_tills_and_the_daily_job_together_keep_every_ledger_exact():
    today = timezone.localdate()
    midnight = local_midnight(today)
    yesterday = midnight - dt.timedelta(hours=12)
    customers = [customer_enrol(name=f"Stress {i}", phone=f"+7912555000{i}").pk for i in range(4)]
    for customer_id in customers:
        # Points that burnt at midnight (credited yesterday, not yet expired by any job), and some that never burn.
        services.points_award(
            customer_id=customer_id, points=300, reason="dies at midnight", expires_at=midnight, now=yesterday
        )
        services.points_award(customer_id=customer_id, points=500, reason="never", use_lifetime=False, now=yesterday)
        services.purchase_record(customer_id=customer_id, amount=D("1000.00"), redeem_points=300, now=yesterday)

    deadline = time.monotonic() + TIME_LIMIT
    errors: list[BaseException] = []
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def operation(rng: random.Random) -> None:
        customer_id = rng.choice(customers)
        kind = rng.choices(["purchase", "refund", "deduct", "award", "dead_award", "daily"], [5, 4, 2, 2, 1, 1])[0]
        if kind == "purchase":
            amount = D(rng.randint(100, 300000)) / 100
            quote = purchase_quote(customer_id=customer_id, amount=amount)
            services.purchase_record(
                customer_id=customer_id, amount=amount, redeem_points=rng.randint(0, quote.max_redeem_points)
            )
        elif kind == "refund":
            purchase = Purchase.objects.filter(customer_id=customer_id).order_by("?").first()
            amount = None if rng.random() < 0.5 else (purchase.amount * D(rng.randint(1, 60)) / 100).quantize(D("0.01"))
            services.purchase_refund(purchase_id=purchase.pk, amount=amount if amount else None)
        elif kind == "deduct":
            services.points_adjust(customer_id=customer_id, points=-rng.randint(1, 80), reason="stress", actor=None)
        elif kind == "award":
            services.points_award(customer_id=customer_id, points=rng.randint(1, 100), reason="stress")
        elif kind == "dead_award":
            # A lot already due by today's date, created while the job may be running.
            services.points_award(
                customer_id=customer_id, points=rng.randint(1, 100), reason="late", expires_at=midnight, now=yesterday
            )
        else:
            services.daily_run(as_of=today)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(OPERATIONS):
                if time.monotonic() > deadline:
                    break
                try:
                    operation(rng)
                    outcome = "ok"
                except DomainError:
                    outcome = "refused"  # the domain's own answer (too many points, nothing left to refund…)
                with lock:
                    counts[outcome] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIME_LIMIT + 60)

    assert errors == []
    assert counts["ok"] > THREADS * 10  # the run did real work
    services.daily_run(as_of=today)
    assert ledger_problems(as_of=today) == []
    for customer_id in customers:
        balance = PointsAccount.objects.get(pk=customer_id).balance
        entries = LedgerEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("points"))["s"]
        lots = PointsLot.objects.filter(customer_id=customer_id).aggregate(s=Sum("remaining"))["s"]
        assert balance == entries == lots >= 0
    assert not PointsLot.objects.filter(remaining__gt=0, expires_at__lte=timezone.now()).exists()
