"""What the management commands share: one reader of the dates they take."""

import calendar
import datetime as dt
import re

from django.core.management.base import CommandError
from django.utils import timezone

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def date_text_parse(value: str, option: str = "--date") -> dt.date:
    """A date written YYYY-MM-DD exactly (ASCII digits; not "20261101", not "2026-2-3").

    Raises CommandError naming `option` and saying why: the shape ("--date must be YYYY-MM-DD, got
    '1.2.2026'") or the calendar ("2026-02-30 is not a date: February 2026 has 28 days"; "2026-13-01 is not
    a date: a year has 12 months")."""
    text = str(value).strip()
    found = _ISO_DATE.fullmatch(text)
    if not found:
        raise CommandError(f"{option} must be YYYY-MM-DD, got {value!r}")
    year, month, day = (int(part) for part in found.groups())
    if year < 1:
        raise CommandError(f"{option}: {text} is not a date: years start at 0001")
    if not 1 <= month <= 12:
        raise CommandError(f"{option}: {text} is not a date: a year has 12 months")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        month_name = dt.date(year, month, 1).strftime("%B")  # the C locale's English name: commands speak English
        raise CommandError(f"{option}: {text} is not a date: {month_name} {year} has {days} days")
    return dt.date(year, month, day)


def command_date(value: str | None, option: str = "--date") -> dt.date:
    """The date of a command's `option` (YYYY-MM-DD, read by `date_text_parse`), or today in the shop's
    time zone when it is not given. Raises CommandError naming the option and why for anything else."""
    if not value:
        return timezone.localdate()
    return date_text_parse(value, option)
