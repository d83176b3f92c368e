"""The versions of the sets of rows processes cache in memory (core.versions), and on PostgreSQL the
trigger function that gives a set a fresh token (the owning apps' migrations attach it to their tables)."""

from django.db import migrations, models

from core.versions import PG_FUNCTION


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS core_cacheversion_bump()")


class Migration(migrations.Migration):
    dependencies = [("core", "0009_audit_campaign_status")]

    operations = [
        migrations.CreateModel(
            name="CacheVersion",
            fields=[
                ("name", models.CharField(max_length=60, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=64)),
            ],
            options={"verbose_name": "cache version", "verbose_name_plural": "cache versions"},
        ),
        migrations.RunPython(install, uninstall),
    ]
