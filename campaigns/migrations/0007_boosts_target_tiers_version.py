"""A change of a campaign's target tiers gives the cached boost campaigns a fresh token too: the copy holds
each tiers target's tiers, so that a purchase decides such a target without a query (campaigns.boosts,
issue #15). One statement trigger on the many-to-many table, as for the variants (migration 0005)."""

from django.db import migrations

from core.versions import version_trigger_install, version_trigger_uninstall

NAME = "campaigns.boosts"
TABLE = "campaigns_campaign_target_tiers"


def install(apps, schema_editor):
    version_trigger_install(schema_editor, table=TABLE, name=NAME)


def uninstall(apps, schema_editor):
    version_trigger_uninstall(schema_editor, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_fewer_indexes_per_row")]

    operations = [migrations.RunPython(install, uninstall)]
