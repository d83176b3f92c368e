"""`manage.py analytics_report`: the selector's figures as JSON, and clear errors for bad dates."""

import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.selectors import period_kpis
from analytics.tests.conftest import MAR_1, MAR_31


def _report(*args) -> dict:
    out = StringIO()
    call_command("analytics_report", *args, stdout=out)
    return json.loads(out.getvalue())


def _as_json(value):
    return json.loads(json.dumps(value, default=str))


@pytest.mark.django_db
def test_the_command_prints_the_selector_figures(story):
    printed = _report("--from", "2026-03-01", "--to", "2026-03-31")
    assert printed.pop("key_metric") is None  # none set (analytics/tests/test_key_metric.py has one)
    assert printed == _as_json(period_kpis(MAR_1, MAR_31))
    assert printed["period"]["figures"]["liability_expected_cost"] == "41.81"  # Decimals as strings
    assert printed["period"]["figures"]["members"] == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-03-31", "--to", "2026-03-01"), "the period ends (2026-03-01) before it starts (2026-03-31)"),
        (("--from", "2026-13-01", "--to", "2026-03-31"), "--from: 2026-13-01 is not a date: a year has 12 months"),
        (("--from", "2026-03-01", "--to", "31.03.2026"), "--to must be YYYY-MM-DD, got '31.03.2026'"),
        (("--from", "20261101", "--to", "2026-11-29"), "--from must be YYYY-MM-DD, got '20261101'"),
        (
            ("--from", "0001-01-01", "--to", "0001-01-01"),
            "--from must be between 1900-01-01 and 2999-12-31, got '0001-01-01'",
        ),
    ],
)
def test_the_command_refuses_bad_dates(program, args, message):
    with pytest.raises(CommandError) as error:
        _report(*args)
    assert str(error.value) == message


@pytest.mark.django_db
def test_the_command_refuses_a_future_end(program):
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    with pytest.raises(CommandError) as error:
        _report("--from", today.isoformat(), "--to", tomorrow.isoformat())
    assert str(error.value) == f"the period ends in the future ({tomorrow.isoformat()}; today is {today.isoformat()})"


def test_the_documented_keys_are_the_printed_keys(program, db):
    """docs/analytics.md defines every figure `analytics_report` prints, under the same names, and no other."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text(encoding="utf-8")
    documented = set()
    for line in doc.splitlines():
        if line.startswith("| `"):
            documented.update(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
    report = period_kpis(MAR_1, MAR_31)
    assert documented == set(report["period"]["figures"])
    assert set(report["change"]) <= documented
