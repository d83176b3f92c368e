"""Register the daily jobs with django-q2 (idempotent: one schedule, found by name)."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

NAME = "loyalty.run_daily"


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    first_run = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(0, 15)))
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "loyalty.tasks.run_daily_task",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": first_run,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0003_roles"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
