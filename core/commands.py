"""What the management commands share."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def command_date(value: str | None, option: str = "--date") -> dt.date:
    """The date of a command's `option` ("YYYY-MM-DD"), or today in the shop's time zone when it is not
    given. Raises CommandError naming the option for anything else."""
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be YYYY-MM-DD, got {value!r}") from None
