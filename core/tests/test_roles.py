"""Staff roles (core.roles): the auth groups the migrations create, with their permissions."""

from django.contrib.auth.models import Group
from django_q.models import Schedule


def test_migrations_create_roles_and_the_daily_schedule(db):
    cashiers = set(Group.objects.get(name="Cashiers").permissions.values_list("codename", flat=True))
    marketing = set(Group.objects.get(name="Marketing").permissions.values_list("codename", flat=True))
    assert cashiers == {"use_cashier"}
    assert {"change_programsettings", "adjust_points", "view_customer", "view_dashboard"} <= marketing
    assert "use_cashier" not in marketing
    schedule = Schedule.objects.get(name="loyalty.run_daily")
    assert (schedule.func, schedule.schedule_type) == ("loyalty.tasks.run_daily_task", "D")


def test_marketing_may_manage_api_clients(marketing_user, cashier_user):
    assert marketing_user.has_perm("api.change_apiclient")
    assert not cashier_user.has_perm("api.change_apiclient")
    assert Group.objects.get(name="Marketing").permissions.filter(codename="change_apiclient").exists()
