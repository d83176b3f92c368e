"""A change of a campaign's terms or of its variants gives the cached boost campaigns (campaigns.boosts,
core.versions) a fresh token in the same transaction, whatever the code path. On PostgreSQL the counter
`points_granted` (and `updated_at`) alone does not: a budgeted boost raises it on every purchase, and the
copy holds nothing that depends on it (the budget is checked in the purchase's UPDATE)."""

from django.db import migrations

from core.versions import version_trigger_install, version_trigger_uninstall

NAME = "campaigns.boosts"

PG_CAMPAIGN_TRIGGERS = [
    "CREATE TRIGGER campaigns_campaign_cacheversion AFTER INSERT OR DELETE OR TRUNCATE ON campaigns_campaign "
    f"FOR EACH STATEMENT EXECUTE FUNCTION core_cacheversion_bump('{NAME}')",
    "CREATE TRIGGER campaigns_campaign_cacheversion_terms AFTER UPDATE ON campaigns_campaign FOR EACH ROW "
    "WHEN ((to_jsonb(OLD) - 'points_granted' - 'updated_at') IS DISTINCT FROM "
    "(to_jsonb(NEW) - 'points_granted' - 'updated_at')) "
    f"EXECUTE FUNCTION core_cacheversion_bump('{NAME}')",
]


def install(apps, schema_editor):
    version_trigger_install(schema_editor, table="campaigns_campaignvariant", name=NAME)
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_CAMPAIGN_TRIGGERS:
            schema_editor.execute(sql)
    else:
        version_trigger_install(schema_editor, table="campaigns_campaign", name=NAME)
    schema_editor.execute("INSERT INTO core_cacheversion (name, token) VALUES (%s, %s)", [NAME, "initial"])


def uninstall(apps, schema_editor):
    version_trigger_uninstall(schema_editor, table="campaigns_campaignvariant")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS campaigns_campaign_cacheversion ON campaigns_campaign")
        schema_editor.execute("DROP TRIGGER IF EXISTS campaigns_campaign_cacheversion_terms ON campaigns_campaign")
    else:
        version_trigger_uninstall(schema_editor, table="campaigns_campaign")
    schema_editor.execute("DELETE FROM core_cacheversion WHERE name = %s", [NAME])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_reported_actions"), ("core", "0010_cache_versions")]
    operations = [migrations.RunPython(install, uninstall)]
