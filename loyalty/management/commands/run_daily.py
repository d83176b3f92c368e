from django.core.management.base import BaseCommand, CommandError

from core.commands import command_date
from loyalty.exceptions import InvalidInput
from loyalty.services import daily_run


class Command(BaseCommand):
    help = (
        "Run the daily jobs (points expiry, tier review, ledger check) as of a date: today or earlier in the "
        "shop's time zone. Safe to run twice for one date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the shop's time zone")

    def handle(self, *args, **options):
        as_of = command_date(options["date"])
        try:
            result = daily_run(as_of=as_of)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        if "skipped" in result:
            self.stdout.write(self.style.WARNING(f"{as_of}: skipped, {result['skipped']}"))
            return
        if "tiers_skipped" in result:
            self.stdout.write(self.style.WARNING(f"{as_of}: {result['tiers_skipped']}"))
        self.stdout.write(
            f"{as_of}: expired {result['expired_points']} points of {result['expired_customers']} customers; "
            f"customers whose points do not add up: {result['balance_mismatches']}"
        )
        if result["balance_mismatches"]:
            raise CommandError("the ledger check found customers whose points do not add up: run verify_ledger")
