from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.exceptions import CampaignError
from campaigns.models import Campaign
from campaigns.selectors import campaigns_out_of_bounds
from campaigns.services.daily import campaigns_daily_run
from core.commands import command_date
from messaging.models import Channel, Message

# The daily run's reasons for a message not sent: messaging's skip reasons, and "no_template:<channel>".
NO_TEMPLATE = "no_template:"


def skip_reason_label(reason: str) -> str:
    """The words for one of the daily run's skip reasons (campaigns.services.daily `_skip_reasons`):
    messaging's label for its own reasons, "no template for <channel>" for "no_template:<channel>"; an
    unknown code as it is."""
    if reason.startswith(NO_TEMPLATE):
        return _("no template for %(channel)s") % {"channel": _channel_label(reason.removeprefix(NO_TEMPLATE))}
    if reason in Message.SkipReason.values:
        return str(Message.SkipReason(reason).label)
    return reason


def _channel_label(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else code


def _status_label(status: str) -> str:
    return str(Campaign.Status(status).label) if status in Campaign.Status.values else status


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
            # The run's only reason to skip: another run held the lock for longer than it waited.
            self.stdout.write(
                self.style.WARNING(
                    _("%(date)s: not run, another campaign run is in progress; run it again later.")
                    % {"date": as_of.isoformat()}
                )
            )
            return
        for change in result["statuses"]:
            self.stdout.write(
                _("Campaign %(id)s: %(old)s → %(new)s")
                % {"id": change["campaign"], "old": _status_label(change["from"]), "new": _status_label(change["to"])}
            )
        for campaign_id, counts in result["campaigns"].items():
            self.stdout.write(self._counts_line(campaign_id, counts))
            if counts["channels_without_template"]:
                self.stdout.write(
                    self.style.WARNING(
                        _("Campaign %(id)s: no message template for %(channels)s")
                        % {
                            "id": campaign_id,
                            "channels": ", ".join(_channel_label(c) for c in counts["channels_without_template"]),
                        }
                    )
                )
        for campaign, problems in campaigns_out_of_bounds():
            self.stdout.write(
                self.style.WARNING(
                    _("Campaign %(id)s not run, a value is outside its bounds: %(problems)s")
                    % {"id": campaign.pk, "problems": " ".join(p.message for p in problems)}
                )
            )
        if not result["campaigns"]:
            self.stdout.write(_("%(date)s: no date-driven campaign is running") % {"date": as_of.isoformat()})

    @staticmethod
    def _counts_line(campaign_id: str, counts: dict) -> str:
        """One campaign's run in words with their plural forms, e.g. "Campaign 7: 3 customers granted 300
        points, 0 in the holdout, 0 left out for the budget, 0 at the per-customer limit; 5 messages queued
        (2 held for quiet hours until 09:00), 1 not sent (No marketing consent: 1)". `queued` counts the held
        messages too (they are queued, due when the quiet hours end)."""
        messages = counts["messages"]
        granted, points = counts["granted"], counts["points"]
        people = ngettext("%(n)s customer granted %(points)s", "%(n)s customers granted %(points)s", granted) % {
            "n": granted,
            "points": ngettext("%(n)s point", "%(n)s points", points) % {"n": points},
        }
        holdout, budget, limit = counts["holdout"], counts["left_out_budget"], counts["left_out_limit"]
        parts = [
            people,
            ngettext("%(n)s in the holdout", "%(n)s in the holdout", holdout) % {"n": holdout},
            ngettext("%(n)s left out for the budget", "%(n)s left out for the budget", budget) % {"n": budget},
            ngettext("%(n)s at the per-customer limit", "%(n)s at the per-customer limit", limit) % {"n": limit},
        ]
        queued, held, skipped = messages["queued"], messages["held"], messages["skipped"]
        sent = ngettext("%(n)s message queued", "%(n)s messages queued", queued) % {"n": queued}
        if held:
            sent += " " + ngettext(
                "(%(n)s held for quiet hours until %(time)s)", "(%(n)s held for quiet hours until %(time)s)", held
            ) % {"n": held, "time": f"{settings.MESSAGING_QUIET_HOURS_END:02d}:00"}
        line = _("Campaign %(id)s: %(counts)s; %(messages)s, %(not_sent)s") % {
            "id": campaign_id,
            "counts": ", ".join(parts),
            "messages": sent,
            "not_sent": ngettext("%(n)s not sent", "%(n)s not sent", skipped) % {"n": skipped},
        }
        reasons = counts.get("skip_reasons", {})
        if reasons:
            why = ", ".join(
                _("%(reason)s: %(n)s") % {"reason": skip_reason_label(reason), "n": n} for reason, n in reasons.items()
            )
            line += f" ({why})"
        return line
