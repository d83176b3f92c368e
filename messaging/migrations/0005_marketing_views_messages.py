"""The console's outbox (issue #14): Marketing may read the messages and the consent history."""

from django.db import migrations

from core.roles import grant_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_message_dispatched_at"),
        ("loyalty", "0003_roles"),  # the Marketing group
    ]

    operations = [
        grant_permissions({"Marketing": ["messaging.view_message", "messaging.view_consentchange"]}),
    ]
