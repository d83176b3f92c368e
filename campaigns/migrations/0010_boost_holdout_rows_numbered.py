"""The holdout's rows of a boost with a per-customer limit are numbered too (issue #15, tester finding): a
holdout customer gets at most as many rows as the limit, as a treated one gets boosted purchases, so that
the two groups have as many occasions each. The rows of every limited campaign are numbered again per
customer, both groups, in one statement (a customer's rows are all in one group)."""

from django.db import migrations

NUMBER = """
    UPDATE campaigns_boostgrant SET nth = numbered.n
    FROM (
        SELECT b.id, row_number() OVER (PARTITION BY b.campaign_id, b.customer_id ORDER BY b.id) AS n
        FROM campaigns_boostgrant b JOIN campaigns_campaign c ON c.id = b.campaign_id
        WHERE c.per_customer_limit IS NOT NULL
    ) AS numbered
    WHERE numbered.id = campaigns_boostgrant.id
"""


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_boost_grants_numbered")]

    operations = [migrations.RunSQL(NUMBER, migrations.RunSQL.noop)]
