"""The built-in notices' page (issue #14): Marketing may read and change the notice settings."""

from django.db import migrations

from core.roles import grant_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0009_notices"),
        ("loyalty", "0003_roles"),  # the Marketing group
    ]

    operations = [
        grant_permissions({"Marketing": ["messaging.view_noticesetting", "messaging.change_noticesetting"]}),
    ]
