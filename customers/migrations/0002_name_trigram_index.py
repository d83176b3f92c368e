"""A trigram index for "part of the name" search on PostgreSQL (SQLite keeps the plain index)."""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

INDEX = "customers_customer_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer USING gin (UPPER(name) gin_trgm_ops)"
            )
    except Exception as exc:  # noqa: BLE001 - a database user without CREATE EXTENSION still migrates
        logger.warning("pg_trgm unavailable (%s): name search will scan instead of using an index", exc)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
