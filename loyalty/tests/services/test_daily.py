"""The daily jobs (loyalty.services.ledger.daily): the date they run for.

The TestCase… classes are issue #9's hand-worked stories (their default settings: loyalty/tests/helpers.py).
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from loyalty import services
from loyalty.exceptions import InvalidInput
from loyalty.models import LedgerEntry, Tier, TierStatus
from loyalty.tests.helpers import T, at, balance, buy, run_daily

Kind = LedgerEntry.Kind


pytestmark = pytest.mark.django_db


class TestCase8TheDailyJobsDate:
    def test_a_future_date_is_refused(self, customer):
        with pytest.raises(InvalidInput, match="is in the future"):
            services.daily_run(as_of=dt.date(2026, 3, 2), now=T)

    def test_the_command_refuses_tomorrow(self, customer):

        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        buy(customer, "1000.00", now=timezone.now() - dt.timedelta(days=1))
        with pytest.raises(CommandError, match="is in the future"):
            call_command("run_daily", "--date", tomorrow.isoformat())
        assert balance(customer) == 50 and not LedgerEntry.objects.filter(kind=Kind.EXPIRE).exists()

    def test_a_replay_for_an_earlier_date_keeps_newer_tier_decisions(self, customer):
        buy(customer, "60000.00", now=at(dt.date(2025, 8, 1)))
        gold, silver = Tier.objects.get(code="gold"), Tier.objects.get(code="silver")
        assert TierStatus.objects.get(pk=customer.pk).tier == gold
        run_daily(dt.date(2026, 8, 2))  # the purchase left the 365-day window: below since
        result = run_daily(dt.date(2026, 9, 2))  # the 30-day grace is over: one tier down
        assert result["tiers_downgraded"] == 1
        assert TierStatus.objects.get(pk=customer.pk).tier == silver
        replay = services.daily_run(as_of=dt.date(2026, 1, 15), now=at(dt.date(2026, 9, 3)))
        assert "tiers_skipped" in replay and replay["tiers_upgraded"] == 0
        assert TierStatus.objects.get(pk=customer.pk).tier == silver
