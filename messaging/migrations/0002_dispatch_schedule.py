"""Register the outbox dispatcher with django-q2: every minute it queues the send task of the messages that
are due (retries, quiet-hours holds, lost tasks). Idempotent: one schedule, found by name."""

from django.db import migrations
from django.utils import timezone

NAME = "messaging.outbox_dispatch"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "messaging.tasks.outbox_dispatch_task",
            "schedule_type": "I",  # MINUTES
            "minutes": 1,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
