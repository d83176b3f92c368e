"""The SQL twin of campaigns.rules.bucket on PostgreSQL: campaign_bucket(campaign, customer, salt).

On SQLite the same function is registered on each connection (campaigns.apps)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION campaign_bucket(campaign bigint, customer bigint, salt text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (('x' || substr(md5(campaign::text || ':' || customer::text || salt), 1, 8))::bit(32)::bigint % 10000)::integer $$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS campaign_bucket(bigint, bigint, text)")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
