"""The console's message templates and "send a test to me" (issue #14): Marketing may edit templates and
send tests."""

from django.db import migrations

from core.roles import grant_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0006_message_staff_test"),
    ]

    operations = [
        grant_permissions(
            {
                "Marketing": [
                    "messaging.view_messagetemplate",
                    "messaging.change_messagetemplate",
                    "messaging.add_messagetemplate",
                    "messaging.add_message",
                ]
            }
        ),
    ]
