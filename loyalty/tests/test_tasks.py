"""The django-q2 tasks (loyalty.tasks)."""

import pytest

pytestmark = pytest.mark.django_db


def test_daily_task_runs_the_daily_jobs(customer):
    from loyalty.tasks import run_daily_task

    assert run_daily_task()["balance_mismatches"] == 0
