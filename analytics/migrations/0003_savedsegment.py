"""Saved segments (issue #13): named customer-list filters; Marketing may view, save, rename and delete them."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from core.roles import grant_permissions

PERMS = ["view_savedsegment", "add_savedsegment", "change_savedsegment", "delete_savedsegment"]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_analyticssettings"),
        ("loyalty", "0003_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedSegment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("description", models.CharField(blank=True, max_length=500, verbose_name="description")),
                ("filters", models.JSONField(default=dict, verbose_name="filter")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                ("updated_at", models.DateTimeField(verbose_name="updated at")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="saved_segments",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
            ],
            options={
                "verbose_name": "saved segment",
                "verbose_name_plural": "saved segments",
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"), name="analytics_savedsegment_name_unique_ci"
                    )
                ],
            },
        ),
        grant_permissions({"Marketing": [f"analytics.{codename}" for codename in PERMS]}),
    ]
