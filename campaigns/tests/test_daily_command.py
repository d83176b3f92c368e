"""`manage.py campaigns_daily`: what it prints is words for a person (status labels, skip reasons, a
skipped run), not the run's internal codes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from campaigns.management.commands.campaigns_daily import skip_reason_label
from campaigns.models import Campaign
from loyalty.rules import local_midnight

from .helpers import shop_clock

pytestmark = pytest.mark.django_db


def _campaign(**fields) -> Campaign:
    start = local_midnight(dt.date(2026, 1, 1))
    values = {
        "name": "Test", "kind": Campaign.Kind.BIRTHDAY, "status": Campaign.Status.ACTIVE, "starts_at": start,
        "points": 100, "holdout_percent": Decimal("0"), "created_at": start, "updated_at": start, **fields,
    }  # fmt: skip
    return Campaign.objects.create(**values)


def test_status_changes_are_printed_with_their_labels(program, capsys, monkeypatch):
    shop_clock(monkeypatch, dt.date(2026, 6, 10))
    ended = _campaign(ends_at=local_midnight(dt.date(2026, 6, 10)))
    starting = _campaign(status=Campaign.Status.SCHEDULED)
    call_command("campaigns_daily", "--date", "2026-06-10")
    out = capsys.readouterr().out.splitlines()
    assert f"Campaign {ended.pk}: Active → Finished" in out
    assert f"Campaign {starting.pk}: Scheduled → Active" in out
    assert not any("finished" in line or "scheduled" in line for line in out)


def test_a_run_skipped_for_another_one_in_progress_says_so_in_words(program, capsys, monkeypatch):
    shop_clock(monkeypatch, dt.date(2026, 6, 10))
    monkeypatch.setattr(
        "campaigns.management.commands.campaigns_daily.campaigns_daily_run",
        lambda as_of: {"date": as_of.isoformat(), "skipped": "another campaign run is in progress"},
    )
    call_command("campaigns_daily", "--date", "2026-06-10")
    assert capsys.readouterr().out == (
        "2026-06-10: not run, another campaign run is in progress; run it again later.\n"
    )


def test_nothing_running_is_said_in_words(program, capsys, monkeypatch):
    shop_clock(monkeypatch, dt.date(2026, 6, 10))
    call_command("campaigns_daily", "--date", "2026-06-10")
    assert capsys.readouterr().out == "2026-06-10: no date-driven campaign is running\n"


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("no_consent", "No marketing consent"),
        ("no_address", "No address for the channel"),
        ("unsubscribed", "Unsubscribed"),
        ("frequency_cap", "Frequency cap reached"),
        ("no_template:sms", "no template for SMS"),
        ("no_template:email", "no template for Email"),
        ("no_template:fax", "no template for fax"),
        ("something_new", "something_new"),
    ],
)
def test_skip_reasons_read_as_words(reason, words):
    assert skip_reason_label(reason) == words


@pytest.mark.parametrize(
    ("command", "value", "message"),
    [
        ("campaigns_daily", "2026-02-30", "--date: 2026-02-30 is not a date: February 2026 has 28 days"),
        ("campaigns_daily", "2028-02-30", "--date: 2028-02-30 is not a date: February 2028 has 29 days"),
        ("run_daily", "2026-04-31", "--date: 2026-04-31 is not a date: April 2026 has 30 days"),
        ("run_daily", "2026-13-01", "--date: 2026-13-01 is not a date: a year has 12 months"),
        ("campaigns_daily", "2026-²2-01", "--date must be YYYY-MM-DD, got '2026-²2-01'"),
        ("campaigns_daily", "1.2.2026", "--date must be YYYY-MM-DD, got '1.2.2026'"),
    ],
)
def test_an_impossible_date_is_a_clear_command_error(program, command, value, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as error:
        call_command(command, "--date", value)
    assert str(error.value) == message


def test_a_date_more_than_six_days_ago_or_ahead_is_refused(program, monkeypatch, capsys):
    """Today 2026-06-10: the earliest date is 2026-06-04 (today − 6); 2026-06-03 and 2026-06-11 refused."""
    from django.core.management.base import CommandError

    shop_clock(monkeypatch, dt.date(2026, 6, 10))
    with pytest.raises(CommandError) as error:
        call_command("campaigns_daily", "--date", "2026-06-03")
    assert "the earliest date now is 2026-06-04" in str(error.value)
    with pytest.raises(CommandError, match="is in the future"):
        call_command("campaigns_daily", "--date", "2026-06-11")
    call_command("campaigns_daily", "--date", "2026-06-04")
    call_command("campaigns_daily")  # today
    assert capsys.readouterr().out.count("no date-driven campaign is running") == 2


def test_the_counts_read_as_words_with_their_plural_forms(program, capsys, monkeypatch, settings):
    """At 22:00 with quiet hours 21:00–09:00: three birthdays, two with SMS consent (their SMS is queued
    and held until 09:00), one without any consent (not sent); a second campaign's budget of 1 point grants
    the first customer (SMS consent) 1 point and leaves the two others out."""
    from customers.services import customer_enrol
    from messaging.models import MessageTemplate

    settings.MESSAGING_QUIET_HOURS_START, settings.MESSAGING_QUIET_HOURS_END = 21, 9
    shop_clock(monkeypatch, dt.date(2026, 6, 10), hour=22)
    many = _campaign(channels=["sms"])
    one = _campaign(channels=["sms"], points=1, budget_points=1)  # the first customer only
    for c in (many, one):
        MessageTemplate.objects.create(
            kind=c.message_kind, channel="sms", language="en", body="{points} for you", updated_at=c.created_at
        )
    enrolled = local_midnight(dt.date(2025, 6, 10))
    for i, sms in enumerate((True, True, False)):
        customer_enrol(
            name="Test", phone=f"+7 901 000000{i}", birthday=dt.date(1990, 6, 10), consent_sms=sms, now=enrolled
        )
    call_command("campaigns_daily", "--date", "2026-06-10")
    out = capsys.readouterr().out.splitlines()
    assert (
        f"Campaign {many.pk}: 3 customers granted 300 points, 0 in the holdout, 0 left out for the budget, "
        "0 at the per-customer limit; 2 messages queued (2 held for quiet hours until 09:00), 1 not sent "
        "(No marketing consent: 1)"
    ) in out
    assert (
        f"Campaign {one.pk}: 1 customer granted 1 point, 0 in the holdout, 2 left out for the budget, "
        "0 at the per-customer limit; 1 message queued (1 held for quiet hours until 09:00), 0 not sent"
    ) in out
