"""The dispatcher marks the messages it hands to send tasks (issue #14)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_message_template"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="dispatched_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="dispatched at"),
        ),
    ]
