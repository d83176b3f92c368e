"""Every change of the program settings or the tiers gives the cached rules (loyalty.selectors,
core.versions) a fresh token in the same transaction, whatever the code path."""

from django.db import migrations

from core.versions import version_trigger_install, version_trigger_uninstall

TABLES = ("loyalty_programsettings", "loyalty_tier")
NAME = "loyalty.rules"


def install(apps, schema_editor):
    for table in TABLES:
        version_trigger_install(schema_editor, table=table, name=NAME)
    schema_editor.execute("INSERT INTO core_cacheversion (name, token) VALUES (%s, %s)", [NAME, "initial"])


def uninstall(apps, schema_editor):
    for table in TABLES:
        version_trigger_uninstall(schema_editor, table=table)
    schema_editor.execute("DELETE FROM core_cacheversion WHERE name = %s", [NAME])


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0019_earning_boosts"), ("core", "0010_cache_versions")]
    operations = [migrations.RunPython(install, uninstall)]
