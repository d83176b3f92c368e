import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loyalty.services import daily_run


class Command(BaseCommand):
    help = "Run the daily jobs (points expiry, ledger check) as of a date. Safe to run twice for one date."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the shop's time zone")

    def handle(self, *args, **options):
        if options["date"]:
            try:
                as_of = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, got {options['date']!r}") from None
        else:
            as_of = timezone.localdate()
        result = daily_run(as_of=as_of)
        if "skipped" in result:
            self.stdout.write(self.style.WARNING(f"{as_of}: skipped, {result['skipped']}"))
            return
        self.stdout.write(
            f"{as_of}: expired {result['expired_points']} points of {result['expired_customers']} customers; "
            f"balance mismatches: {result['balance_mismatches']}"
        )
        if result["balance_mismatches"]:
            raise CommandError("cached balances differ from the ledger; see the log")
