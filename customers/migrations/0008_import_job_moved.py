"""Import jobs move here from `loyalty` with the import (issue #10): state only, the table
`loyalty_importjob` and every row stay; the content type is relabelled."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.model_moves import audit_object_type_move, content_type_move


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_delete_auditentry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        # The table (loyalty 0009, 0013).
        ("loyalty", "0015_role_permissions_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("dry_run", models.BooleanField(default=True, verbose_name="dry run")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Waiting for the background worker"),
                                    ("validating", "Checking rows"),
                                    ("writing", "Writing"),
                                    ("done", "Finished"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        ("file_name", models.CharField(max_length=255, verbose_name="file name")),
                        ("content", models.BinaryField()),
                        ("total_rows", models.PositiveIntegerField(default=0, verbose_name="rows in the file")),
                        ("processed_rows", models.PositiveIntegerField(default=0, verbose_name="rows checked")),
                        ("valid_rows", models.PositiveIntegerField(default=0, verbose_name="valid rows")),
                        ("invalid_rows", models.PositiveIntegerField(default=0, verbose_name="rows with problems")),
                        ("imported_rows", models.PositiveIntegerField(default=0, verbose_name="customers imported")),
                        (
                            "imported_points",
                            models.PositiveBigIntegerField(default=0, verbose_name="opening points imported"),
                        ),
                        ("errors", models.JSONField(blank=True, default=list, verbose_name="problems")),
                        ("warnings", models.JSONField(blank=True, default=list, verbose_name="notes")),
                        ("message", models.CharField(blank=True, max_length=500, verbose_name="message")),
                        ("language", models.CharField(blank=True, editable=False, max_length=10)),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="uploaded")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="uploaded by",
                            ),
                        ),
                        (
                            "dry_run_job",
                            models.OneToOneField(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="real_run",
                                to="customers.importjob",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "customer import",
                        "verbose_name_plural": "customer imports",
                        "db_table": "loyalty_importjob",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
            ]
        ),
        content_type_move("importjob", old_app="loyalty", new_app="customers"),
        audit_object_type_move("importjob", old_app="loyalty", new_app="customers"),
    ]
