"""The till and back-office permissions moved to `cashier` and `console` (their 0001): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0014_api_client_moved"),
        ("cashier", "0001_initial"),
        ("console", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="programsettings",
            options={"verbose_name": "program settings", "verbose_name_plural": "program settings"},
        ),
    ]
