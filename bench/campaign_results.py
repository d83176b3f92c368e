"""Benchmark: a campaign's results (/campaigns/<id>/results/, campaigns.results.campaign_results) and the
list's uplift at a glance (campaigns_at_a_glance) on a big campaign.

    .venv/bin/python bench/campaign_results.py [--customers 100000] [--purchases 500000] [--runs 3] [--reload]

Bulk-loads (set-based SQL) into its own database `boomerang_bench_campaign_results` (override with
BENCH_DATABASE_URL; kept for the next run unless --reload): `--customers` customers and `--purchases`
purchases over 400 days (bench/_database.py), then one broadcast campaign 30 days ago that reached every
customer: 10 % holdout rows, the rest split between variants A (300 points) and B (500 points), each
treated grant with its ledger entry and lot, and a redemption taking 100 points from one grant lot in
four (an entry and a lot debit). Times campaign_results and campaigns_at_a_glance `--runs` times each and
prints the treated group's figures.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import customers_and_purchases_insert, ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_campaign_results"
)


def load(customers: int, purchases: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Campaign, CampaignVariant
    from campaigns.rules import holdout_buckets

    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
        customers_and_purchases_insert(cur, customers, purchases)
    started = time.perf_counter()
    now = timezone.now()
    campaign = Campaign.objects.create(
        name="Bench", kind="broadcast", status="finished", points=300, channels=["sms"], created_at=now, updated_at=now
    )
    a = CampaignVariant.objects.create(campaign=campaign, code="A", points=300)
    b = CampaignVariant.objects.create(campaign=campaign, code="B", points=500)
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE TEMPORARY TABLE split AS
            SELECT c.id AS customer_id, campaign_bucket(%s, c.id, '') < %s AS holdout,
                   CASE WHEN campaign_bucket(%s, c.id, 'v') %% 2 = 0 THEN %s ELSE %s END AS variant_id,
                   now() - interval '30 days' AS at
            FROM customers_customer c
            """,
            [campaign.pk, holdout_buckets(campaign.holdout_percent), campaign.pk, a.pk, b.pk],
        )
        cur.execute(
            """
            INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
                created_at, expires_at)
            SELECT s.customer_id, 'bonus', CASE WHEN s.variant_id = %s THEN 300 ELSE 500 END, 'Bench', %s, '',
                   s.at, s.at + interval '60 days'
            FROM split s WHERE NOT s.holdout
            """,
            [a.pk, campaign.ledger_source],
        )
        cur.execute(
            """
            INSERT INTO loyalty_pointslot (customer_id, entry_id, points, remaining, created_at, available_at, expires_at)
            SELECT e.customer_id, e.id, e.points, e.points, e.created_at, e.created_at, e.expires_at
            FROM loyalty_ledgerentry e WHERE e.source = %s
            """,
            [campaign.ledger_source],
        )
        cur.execute(
            """
            INSERT INTO campaigns_campaigngrant (campaign_id, customer_id, occasion, variant_id, holdout, points,
                entry_id, at)
            SELECT %s, s.customer_id, 'broadcast', CASE WHEN s.holdout THEN NULL ELSE s.variant_id END, s.holdout,
                   COALESCE(e.points, 0), e.id, s.at
            FROM split s LEFT JOIN loyalty_ledgerentry e ON e.customer_id = s.customer_id AND e.source = %s
            """,
            [campaign.pk, campaign.ledger_source],
        )
        cur.execute(
            """
            WITH spent AS (
                INSERT INTO loyalty_ledgerentry (customer_id, kind, points, reason, source, request_fingerprint,
                    created_at)
                SELECT l.customer_id, 'redeem', -100, 'Bench redemption', 'bench', '', l.created_at + interval '3 days'
                FROM loyalty_pointslot l JOIN loyalty_ledgerentry e ON e.id = l.entry_id
                WHERE e.source = %s AND l.id %% 4 = 0
                RETURNING id, customer_id
            )
            INSERT INTO loyalty_lotdebit (entry_id, lot_id, points)
            SELECT spent.id, l.id, 100 FROM spent
            JOIN loyalty_pointslot l ON l.customer_id = spent.customer_id
            JOIN loyalty_ledgerentry e ON e.id = l.entry_id AND e.source = %s
            """,
            [campaign.ledger_source, campaign.ledger_source],
        )
        cur.execute("ANALYZE")
    print(f"loaded the campaign's grants in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], fresh=args.reload)
    import django

    django.setup()
    from django.core.management import call_command

    from campaigns.models import Campaign, CampaignGrant
    from campaigns.results import campaign_results, campaigns_at_a_glance

    call_command("migrate", verbosity=0)
    if CampaignGrant.objects.count() != args.customers:
        load(args.customers, args.purchases)
    else:
        print("reusing the loaded data (pass --reload to load again)")
    campaign = Campaign.objects.get()
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        results = campaign_results(campaign)
        print(f"results run {run}: {time.perf_counter() - started:.2f} s", flush=True)
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        campaigns_at_a_glance([campaign.pk])
        print(f"at a glance run {run}: {time.perf_counter() - started:.2f} s", flush=True)
    treated, holdout, comparison = results.treated, results.holdout, results.comparisons[0]
    print(
        f"treated {treated.customers:,} (bought {treated.buyers:,}, revenue {treated.revenue}, "
        f"redeemed {treated.points_redeemed:,} points); holdout {holdout.customers:,} (bought {holdout.buyers:,}); "
        f"uplift {comparison.rate_uplift}; revenue uplift {comparison.revenue_uplift}"
    )


if __name__ == "__main__":
    main()
