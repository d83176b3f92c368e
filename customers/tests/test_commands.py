"""create_demo_users: known logins for a demo, never by accident on a production database (issue #11)."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_with_debug_off_it_refuses_and_creates_nobody():
    with pytest.raises(CommandError, match="DEBUG is off: this looks like a production database"):
        call_command("create_demo_users")
    assert not User.objects.exists()


@override_settings(DEBUG=False)
def test_forced_it_creates_the_three_roles(capsys):
    call_command("create_demo_users", "--force", "--password", "a-long-demo-pass")
    assert sorted(User.objects.values_list("username", flat=True)) == ["admin", "cashier", "marketing"]
    assert User.objects.get(username="cashier").groups.get().name == "Cashiers"
    assert "created admin, marketing, cashier" in capsys.readouterr().out


@override_settings(DEBUG=True)
def test_in_development_it_runs_without_force():
    call_command("create_demo_users")
    assert User.objects.get(username="marketing").check_password("demo-pass-2026")
