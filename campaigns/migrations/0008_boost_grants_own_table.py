"""Boosts' grant rows get a table of their own (campaigns.models.BoostGrant, issue #15): the rows a boosted
purchase writes, one per boost, cost three index entries each instead of six and no foreign-key checks at
commit. The existing ones ("purchase:<id>" rows of boost campaigns) move there, in one statement each way."""

import django.db.models.deletion
from django.db import migrations, models

BOOST_ROWS = """
    FROM campaigns_campaigngrant g JOIN campaigns_campaign c ON c.id = g.campaign_id
    WHERE c.kind = 'boost' AND g.occasion LIKE 'purchase:%'
"""
MOVE = [
    "INSERT INTO campaigns_boostgrant (campaign_id, customer_id, purchase_id, variant_id, holdout, points, at) "
    "SELECT g.campaign_id, g.customer_id, CAST(SUBSTR(g.occasion, 10) AS bigint), g.variant_id, g.holdout, g.points, "
    "g.at" + BOOST_ROWS + "ORDER BY g.id",
    "DELETE FROM campaigns_campaigngrant WHERE id IN (SELECT g.id" + BOOST_ROWS + ")",  # noqa: S608 - fixed text
]
MOVE_BACK = [
    "INSERT INTO campaigns_campaigngrant (campaign_id, customer_id, occasion, variant_id, holdout, points, at) "
    "SELECT campaign_id, customer_id, 'purchase:' || purchase_id, variant_id, holdout, points, at "
    "FROM campaigns_boostgrant "
    "ORDER BY id",
    "DELETE FROM campaigns_boostgrant",
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_boosts_target_tiers_version"),
        ("customers", "0012_customer_language"),
        ("loyalty", "0025_purchase_open_dead_lots_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="BoostGrant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("holdout", models.BooleanField(default=False, verbose_name="holdout")),
                ("points", models.PositiveBigIntegerField(default=0, verbose_name="points")),
                ("at", models.DateTimeField(verbose_name="date")),
                (
                    "campaign",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="boost_grants",
                        to="campaigns.campaign",
                        verbose_name="campaign",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "variant",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="campaigns.campaignvariant",
                        verbose_name="variant",
                    ),
                ),
                (
                    "purchase",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="loyalty.purchase",
                        verbose_name="purchase",
                    ),
                ),
            ],
            options={
                "verbose_name": "boost grant",
                "verbose_name_plural": "boost grants",
                "indexes": [models.Index(fields=["campaign", "customer"], name="campaigns_boost_campaign_cust")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("purchase", "campaign"), name="campaigns_boostgrant_once_per_purchase"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("holdout", False), ("points", 0), _connector="OR"),
                        name="campaigns_boostgrant_holdout_gets_nothing",
                    ),
                ],
            },
        ),
        migrations.RunSQL(MOVE, MOVE_BACK),
    ]
