from django.core.management.base import BaseCommand, CommandError

from campaigns.exceptions import CampaignError
from campaigns.services.daily import campaigns_daily_run
from core.commands import command_date


class Command(BaseCommand):
    help = (
        "Run the date-driven campaigns (birthday, anniversary, win-back, broadcast) for a date: today or "
        "earlier in the shop's time zone (a missed or past day). Safe to run twice for one date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default: today in the shop's time zone")

    def handle(self, *args, **options):
        as_of = command_date(options["date"])
        try:
            result = campaigns_daily_run(as_of=as_of)
        except CampaignError as exc:
            raise CommandError(exc.message) from None
        if "skipped" in result:
            self.stdout.write(self.style.WARNING(f"{as_of}: skipped, {result['skipped']}"))
            return
        for change in result["statuses"]:
            self.stdout.write(f"campaign {change['campaign']}: {change['from']} → {change['to']}")
        for campaign_id, counts in result["campaigns"].items():
            messages = counts["messages"]
            why = ", ".join(f"{reason} {n}" for reason, n in counts.get("skip_reasons", {}).items())
            self.stdout.write(
                f"campaign {campaign_id}: granted {counts['granted']} ({counts['points']} points), "
                f"holdout {counts['holdout']}, left out for the budget {counts['left_out_budget']}, "
                f"at the per-customer limit {counts['left_out_limit']}; messages to the granted customers: "
                f"{messages['queued']} queued to send now, {messages['held']} held for quiet hours (sent in the "
                f"morning), {messages['skipped']} not sent" + (f" ({why})" if why else "")
            )
            if counts["channels_without_template"]:
                self.stdout.write(
                    self.style.WARNING(
                        f"campaign {campaign_id}: no template for {', '.join(counts['channels_without_template'])}"
                    )
                )
        if not result["campaigns"]:
            self.stdout.write(f"{as_of}: no date-driven campaign is running")
