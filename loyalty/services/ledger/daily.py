"""The daily jobs: expiry, the tier review and the ledger check, once per date, never ahead of time."""

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import job_lock
from customers.imports import import_files_purge

from ...events import DailyRunFinished, daily_run_finished_publish
from ...exceptions import InvalidInput
from ...models import DailyRun
from ...selectors import daily_run_latest, ledger_problems
from ..tiers import tier_recalculate_all
from .expiry import points_expire_due

logger = logging.getLogger(__name__)


EARLIEST_DATE = dt.date(1900, 1, 1)  # day counts of up to 100 years are computed back from a date
LOCK_WAIT_SECONDS = 1800  # a run for another date (a replay) may be in progress: today's waits for it


def daily_run(
    *, as_of: dt.date, now: dt.datetime | None = None, wait_seconds: float = LOCK_WAIT_SECONDS
) -> dict[str, Any]:
    """The daily jobs as of a date (the shop's calendar day): expire due points, review tiers, then
    check that every cached balance equals its entries and its lots.

    Another run in progress (a replay of an older date) is waited for, up to `wait_seconds`; then this
    one is skipped ({"skipped": …}). Refuses (InvalidInput) a date after today in the shop's time zone: expiring as of a future date
    would burn points that still have time to live. A date before the latest date already reviewed
    expires what is due but skips the tier review, so that a replay never overwrites newer tier
    decisions. Idempotent per date: a second run for the same date changes nothing. Returns a summary
    dict (dates as ISO strings, counts as integers). When done (not skipped) it publishes
    `loyalty.events.DailyRunFinished` for the apps above (analytics computes its RFM snapshot).
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if as_of > today:
        raise InvalidInput(
            _("%(date)s is in the future (today is %(today)s): the daily jobs run only for today or earlier.")
            % {"date": as_of.isoformat(), "today": today.isoformat()},
            field="date",
        )
    if as_of < EARLIEST_DATE:
        raise InvalidInput(
            _("%(date)s is too far in the past: the daily jobs run for %(earliest)s or later.")
            % {"date": as_of.isoformat(), "earliest": EARLIEST_DATE.isoformat()},
            field="date",
        )
    with job_lock("loyalty.daily_run", wait_seconds=wait_seconds) as got_lock:
        if not got_lock:
            return {"date": as_of.isoformat(), "skipped": "another daily run is in progress"}
        latest = daily_run_latest()
        expired = points_expire_due(as_of=as_of, now=now)
        if latest is not None and as_of < latest:
            tiers = {"upgraded": 0, "downgraded": 0, "joined": 0}
            tier_note = _("tier review skipped: %(latest)s was reviewed already") % {"latest": latest.isoformat()}
        else:
            tiers = tier_recalculate_all(as_of=as_of, now=now)
            tier_note = ""
        problems = ledger_problems(as_of=as_of)
        files_removed = import_files_purge(now=now)  # uploaded customer files nobody needs any more
        result = {
            "date": as_of.isoformat(),
            "expired_customers": expired["customers"],
            "expired_points": expired["points"],
            "tiers_upgraded": tiers["upgraded"],
            "tiers_downgraded": tiers["downgraded"],
            "tiers_joined": tiers["joined"],
            "balance_mismatches": len(problems),
            "import_files_removed": files_removed,
        }
        if tier_note:
            result["tiers_skipped"] = tier_note
        DailyRun.objects.update_or_create(
            as_of=as_of, defaults={"started_at": now, "finished_at": timezone.now(), "result": result}
        )
    daily_run_finished_publish(DailyRunFinished(as_of=as_of))  # analytics' RFM snapshot, after commit
    if problems:
        logger.error("ledger check: %s customers disagree, e.g. %s", len(problems), problems[:10])
    return result
