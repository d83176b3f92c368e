"""Boosts' per-customer limit read from the customer's last row instead of counted (issue #15): the rows of a
campaign with a per-customer limit are numbered per customer (`nth`: 1, 2, …; holdout rows and campaigns
without a limit: NULL), the existing ones in one statement, and indexed after the campaign and customer."""

from django.db import migrations, models

NUMBER = """
    UPDATE campaigns_boostgrant SET nth = numbered.n
    FROM (
        SELECT b.id, row_number() OVER (PARTITION BY b.campaign_id, b.customer_id ORDER BY b.id) AS n
        FROM campaigns_boostgrant b JOIN campaigns_campaign c ON c.id = b.campaign_id
        WHERE c.per_customer_limit IS NOT NULL AND NOT b.holdout
    ) AS numbered
    WHERE numbered.id = campaigns_boostgrant.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0008_boost_grants_own_table"),
        ("customers", "0012_customer_language"),
        ("loyalty", "0025_purchase_open_dead_lots_only"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="boostgrant",
            name="campaigns_boost_campaign_cust",
        ),
        migrations.AddField(
            model_name="boostgrant",
            name="nth",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Which of the customer's boosted purchases of a campaign with a per-customer limit this is.",
                null=True,
                verbose_name="number",
            ),
        ),
        migrations.RunSQL(NUMBER, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="boostgrant",
            index=models.Index(fields=["campaign", "customer", "nth"], name="campaigns_boost_campaign_cust"),
        ),
    ]
