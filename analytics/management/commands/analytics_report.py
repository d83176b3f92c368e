import datetime as dt
import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import rules
from analytics.key_metric import key_metric_status
from analytics.selectors import period_kpis
from core.commands import date_text_parse
from core.forms import DATE_MAX, DATE_MIN


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def _date(value: str, option: str) -> dt.date:
    """YYYY-MM-DD exactly (date.fromisoformat would also take "20261101"), within DATE_MIN..DATE_MAX."""
    day = date_text_parse(value, option)
    if not DATE_MIN <= day <= DATE_MAX:
        raise CommandError(f"{option} must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}, got {value!r}")
    return day


class Command(BaseCommand):
    help = (
        "Print the program's figures (docs/analytics.md) for a period of the shop's calendar days and for the "
        "period of equal length before it, and the key metric's progress as of today, as JSON (money and rates "
        "as strings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day (included), YYYY-MM-DD")

    def handle(self, *args, **options):
        start, end = _date(options["start"], "--from"), _date(options["end"], "--to")
        try:
            rules.period_check(start=start, end=end, today=timezone.localdate())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = period_kpis(start, end)
        # The key metric as of today, whatever the period (docs/analytics.md, "The key metric"); null if none.
        status = key_metric_status()
        report["key_metric"] = None if status is None else status.as_json()
        self.stdout.write(json.dumps(report, default=_json_default, ensure_ascii=False, indent=2))
