"""API clients moved to `api` (api 0001): purchases point at the same table under its new model; state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("loyalty", "0013_import_real_run_once"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="purchase",
                    name="api_client",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="purchases",
                        to="api.apiclient",
                        verbose_name="API client",
                    ),
                ),
                migrations.DeleteModel(
                    name="ApiClient",
                ),
            ]
        ),
    ]
