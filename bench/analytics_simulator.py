"""Benchmark: the what-if simulator (analytics.simulator) on 1 000 000 customers / 10 000 000 purchases.

    .venv/bin/python bench/analytics_simulator.py [--customers 1000000] [--purchases 10000000] [--reload] [--runs 3]

Loads the data straight into PostgreSQL with set-based INSERT … SELECT (bench/_database.py's loader: 400
days of purchases, 5 % cashback, 1 point = 1.00) into its own database `boomerang_bench_sim` (override with
BENCH_DATABASE_URL), and adds what the replay reads besides the purchases:
- every 8th purchase paid 30 % of its check in points (the whole cap), the customer holding 200 points
  more than that (`balance_after`); its cashback is on the rest;
- half of every 50th purchase refunded 3 days later (the `loyalty_refund` row, `refunded_amount` and the
  qualifying spend as the services leave them);
- the ledger: an `earn` entry per purchase (12.5 million entries in all; the figures in the README were
  measured without these 10 million, whose load was cancelled for time), and for each redemption the lot
  it was paid from (credited 20–319 days earlier, living 365 days), its `redeem` entry and the
  `loyalty_lotdebit` row;
- the program's default settings and tiers (Bronze 0 / Silver 15 000 / Gold 50 000, from the migrations).
The data stays for the next run unless --reload. Then it times `simulate` (both columns, one statement)
for today's rules and for a scenario changing everything: Bronze 5 → 7 %, its cap 30 → 50 %, Gold from
50 000 → 30 000, points living 180 days instead of 365. Goal: under 5 s.
"""

import argparse
import os
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import customers_and_purchases_insert, ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_sim"
)

LEDGER_SQL = (
    (
        "every 8th purchase paid 30 % in points",
        """
        UPDATE loyalty_purchase
        SET redeemed_points = floor(amount * 0.30), paid_amount = amount - floor(amount * 0.30),
            earned_points = floor((amount - floor(amount * 0.30)) * 0.05),
            qualifying_amount = amount - floor(amount * 0.30),
            balance_after = floor((amount - floor(amount * 0.30)) * 0.05) + 200
        WHERE id % 8 = 0
        """,
    ),
    (
        "half of every 50th purchase refunded",
        """
        WITH r AS (
            INSERT INTO loyalty_refund (purchase_id, amount, points_reversed, points_returned, points_shortfall,
                points_expired, request_fingerprint, origin, created_at)
            SELECT id, round(amount / 2, 2), floor(earned_points / 2), floor(redeemed_points / 2), 0, 0, '',
                   'bench', created_at + interval '3 days'
            FROM loyalty_purchase WHERE id % 50 = 0
            RETURNING purchase_id, amount, points_reversed, points_returned
        )
        UPDATE loyalty_purchase p
        SET refunded_amount = r.amount, qualifying_amount = round(p.paid_amount * (p.amount - r.amount) / p.amount, 2),
            points_reversed = r.points_reversed, points_returned = r.points_returned
        FROM r WHERE r.purchase_id = p.id
        """,
    ),
    (
        "an earn entry per purchase",
        """
        INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, source,
            request_fingerprint, created_at, expires_at)
        SELECT customer_id, 'earn', earned_points, 'Purchase', id, '', '', created_at,
               created_at + interval '365 days'
        FROM loyalty_purchase WHERE earned_points > 0
        """,
    ),
    (
        "the lots the redemptions were paid from",
        """
        INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
            created_at, expires_at)
        SELECT customer_id, 'earn', redeemed_points, 'Purchase', 'bench:' || id, '',
               created_at - (20 + id % 300) * interval '1 day',
               created_at - (20 + id % 300) * interval '1 day' + interval '365 days'
        FROM loyalty_purchase WHERE redeemed_points > 0
        """,
    ),
    (
        "",
        """
        INSERT INTO loyalty_pointslot (customer_id, entry_id, points, remaining, created_at, available_at, expires_at)
        SELECT customer_id, id, points, 0, created_at, created_at, expires_at
        FROM loyalty_ledgerentry WHERE source LIKE 'bench:%%'
        """,
    ),
    (
        "the redeem entries and what they took from the lots",
        """
        INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, purchase_id, source,
            request_fingerprint, created_at)
        SELECT customer_id, 'redeem', -redeemed_points, 'Redeemed', id, '', '', created_at
        FROM loyalty_purchase WHERE redeemed_points > 0
        """,
    ),
    (
        "",
        """
        INSERT INTO loyalty_lotdebit (entry_id, lot_id, points)
        SELECT e.id, l.id, -e.points
        FROM loyalty_ledgerentry e
        JOIN loyalty_ledgerentry le ON le.source = 'bench:' || e.purchase_id
        JOIN loyalty_pointslot l ON l.entry_id = le.id
        WHERE e.kind = 'redeem'
        """,
    ),
)


def load(customers: int, purchases: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, "
            "loyalty_lotdebit RESTART IDENTITY CASCADE"
        )
        customers_and_purchases_insert(cur, customers, purchases)
        # The ledger refuses UPDATE and DELETE, not INSERT; a temporary index finds the lots' entries.
        for label, sql in LEDGER_SQL:
            t = time.perf_counter()
            if "lotdebit" in sql:
                cur.execute("CREATE INDEX bench_entry_source ON loyalty_ledgerentry (source) WHERE source <> ''")
            cur.execute(sql)
            if "lotdebit" in sql:
                cur.execute("DROP INDEX bench_entry_source")
            print(f"{label or '…'} in {time.perf_counter() - t:.1f} s", flush=True)
        cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from analytics.simulator import rules_check, rules_current, simulate
    from customers.models import Customer
    from loyalty.selectors import program_settings_get, tiers_list

    call_command("migrate", verbosity=0)
    if args.reload or Customer.objects.count() != args.customers:
        load(args.customers, args.purchases)
    program = program_settings_get()
    today = rules_current(program, tiers_list())
    print("tiers: " + ", ".join(f"{t.name} from {t.threshold} at {t.cashback_percent} %" for t in today.tiers))
    changed = {"bronze": {"cashback_percent": Decimal("7"), "redeem_cap_percent": Decimal("50")},
               "gold": {"threshold": Decimal("30000.00")}}  # fmt: skip
    scenario = replace(
        today,
        points_lifetime_days=180,
        tiers=tuple(replace(t, **changed.get(t.code, {})) for t in today.tiers),
    )
    assert rules_check(scenario, activation_delay_days=program.activation_delay_days) == {}
    from analytics.models import CustomerSummaryState
    from analytics.summary import customer_summary_refresh

    CustomerSummaryState.objects.all().delete()  # the live replay first: no summary of today
    live_results, times = {}, {}
    for source in ("live", "summary"):
        if source == "summary":
            t = time.perf_counter()
            state = customer_summary_refresh(timezone.localdate())
            print(
                f"customer summary of today, rebuilt in full (the nightly job's, once a day): "
                f"{time.perf_counter() - t:.2f} s, {state.customers_refreshed:,} customers",
                flush=True,
            )
        for label, rules in (("today's rules", today), ("scenario", scenario)):
            for run in range(1, args.runs + 1):
                t = time.perf_counter()
                result = simulate(scenario=rules, program=program)
                elapsed = time.perf_counter() - t
                times.setdefault((source, label), []).append(elapsed)
                print(f"simulate ({source}, {label}, run {run}): {elapsed:.2f} s", flush=True)
            if source == "live":
                live_results[label] = result
            else:
                assert result == live_results[label], "the summary's replay differs from the live one"
    for label in ("today's rules", "scenario"):
        live, fast = min(times[("live", label)]), min(times[("summary", label)])
        print(f"{label}: live {live:.2f} s, from the summary {fast:.2f} s: {live / fast:.1f}× faster (best of runs)")
    for label, result in live_results.items():
        print(f"{label}:")
        print(
            f"  {result.first_day} .. {result.last_day}: {result.purchases:,} purchases, revenue {result.revenue:,}; "
            f"recorded issued {result.recorded_issued:,} redeemed {result.recorded_redeemed:,}"
        )
        for name, column in (("today", result.today), ("scenario", result.scenario)):
            tiers = ", ".join(f"{code or 'none'} {n:,}" for code, n in column.customers_by_tier.items())
            print(
                f"  {name}: issued {column.points_issued:,}, redeemed {column.points_redeemed:,}, burnt "
                f"{column.points_burnt:,}, cost {column.redeemed_value:,}, liability added "
                f"{column.liability_added:,}; {tiers}"
            )
        print(f"  moved up {result.moved_up:,}, down {result.moved_down:,}", flush=True)


if __name__ == "__main__":
    main()
