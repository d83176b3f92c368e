from django.core.management.base import BaseCommand, CommandError

from loyalty.selectors import daily_run_latest, ledger_problems, spend_day_problems


class Command(BaseCommand):
    help = (
        "Check every customer's points: cached balance = Σ entries = Σ lot remainders, points owed = the "
        "refunds' unsettled shortfalls, no points left in lots that expired by the last daily run, and the running totals of the qualifying "
        "spend (per customer and day) equal their purchases. "
        "Lists every customer that fails and exits non-zero when there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="list at most this many customers (default 1000)")

    def handle(self, *args, **options):
        last_run = daily_run_latest()
        problems = ledger_problems(as_of=last_run, limit=max(1, options["limit"]))
        spend_problems = spend_day_problems(limit=max(1, options["limit"]))
        for p in spend_problems:
            self.stdout.write(
                f"customer {p.customer_id}, {p.day}: spend total {p.spend} ({p.purchases} purchases), "
                f"purchases say {p.spend_expected} ({p.purchases_expected})"
            )
        if spend_problems and not problems:
            raise CommandError(f"{len(spend_problems)} day(s) whose spend totals do not match their purchases")
        if not problems:
            checked = f"; no dead lots after the daily run of {last_run}" if last_run else ""
            self.stdout.write(
                self.style.SUCCESS(f"ledger OK: balances, entries, lots, points owed and spend totals agree{checked}")
            )
            return
        for p in problems:
            what = []
            if not p.balance == p.entries == p.lots:
                what.append(f"balance {p.balance}, entries {p.entries}, lots {p.lots}")
            if p.owed != p.owed_expected:
                what.append(f"points owed {p.owed}, refunds say {p.owed_expected}")
            if p.dead_points:
                what.append(f"{p.dead_points} points in lots that expired by {last_run}")
            self.stdout.write(f"customer {p.customer_id}: {'; '.join(what)}")
        spend = f"; {len(spend_problems)} day(s) whose spend totals do not match" if spend_problems else ""
        raise CommandError(f"{len(problems)} customer(s) whose points do not add up{spend}")
