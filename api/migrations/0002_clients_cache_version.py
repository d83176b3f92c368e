"""Every change of the API clients (a revocation above all) gives the cached clients
(api.authentication, core.versions) a fresh token in the same transaction, whatever the code path."""

from django.db import migrations

from core.versions import version_trigger_install, version_trigger_uninstall

TABLE = "loyalty_apiclient"
NAME = "api.clients"


def install(apps, schema_editor):
    version_trigger_install(schema_editor, table=TABLE, name=NAME)
    schema_editor.execute("INSERT INTO core_cacheversion (name, token) VALUES (%s, %s)", [NAME, "initial"])


def uninstall(apps, schema_editor):
    version_trigger_uninstall(schema_editor, table=TABLE)
    schema_editor.execute("DELETE FROM core_cacheversion WHERE name = %s", [NAME])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("core", "0010_cache_versions")]
    operations = [migrations.RunPython(install, uninstall)]
