"""Ledger exactness, step 1 of 3: the new columns and tables, 64-bit points. Data fixes (0011) and the
constraints that rely on them (0012) run in migrations of their own: PostgreSQL refuses to ALTER a table
that a data change of the same transaction has pending trigger events on."""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LEDGER_TABLES = ("loyalty_ledgerentry", "loyalty_lotdebit")


def reinstall_append_only_triggers(apps, schema_editor):
    """SQLite rebuilds a table to change a column's type, and the rebuild drops its triggers: install
    the append-only triggers of 0002 again (PostgreSQL keeps them through ALTER COLUMN)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in LEDGER_TABLES:
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}")
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'loyalty ledger is append-only: {op} on {table} refused'); END"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_ledger_exactness"),
        ("loyalty", "0009_import_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DailyRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("as_of", models.DateField(unique=True, verbose_name="date")),
                ("started_at", models.DateTimeField(verbose_name="started")),
                ("finished_at", models.DateTimeField(verbose_name="finished")),
                ("result", models.JSONField(default=dict, verbose_name="result")),
            ],
            options={
                "verbose_name": "daily run",
                "verbose_name_plural": "daily runs",
                "ordering": ["-as_of"],
            },
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="request_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="pointsaccount",
            name="points_owed",
            field=models.BigIntegerField(default=0, verbose_name="points owed"),
        ),
        migrations.AddField(
            model_name="pointslot",
            name="origin_lot",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.pointslot",
            ),
        ),
        migrations.AddField(
            model_name="programsettings",
            name="max_purchase_amount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("10000000.00"),
                help_text="A check above this amount is refused as a typing or scanning error.",
                max_digits=12,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("1.00")),
                    django.core.validators.MaxValueValidator(Decimal("9999999999.99")),
                ],
                verbose_name="largest purchase accepted",
            ),
        ),
        migrations.AddField(
            model_name="purchase",
            name="api_client",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="purchases",
                to="loyalty.apiclient",
                verbose_name="API client",
            ),
        ),
        migrations.AddField(
            model_name="purchase",
            name="points_swapped_back",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="refund",
            name="points_expired",
            field=models.PositiveBigIntegerField(default=0, verbose_name="earned points that had expired"),
        ),
        migrations.AddField(
            model_name="purchase",
            name="balance_after",
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name="balance after"),
        ),
        migrations.AddField(
            model_name="refund",
            name="balance_after",
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name="balance after"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("earn", "Earned"),
                    ("redeem", "Redeemed"),
                    ("expire", "Expired"),
                    ("refund_reversal", "Refund: earned points reversed"),
                    ("refund_return", "Refund: redeemed points returned"),
                    ("adjustment", "Manual adjustment"),
                    ("bonus", "Bonus"),
                    ("import", "Import"),
                    ("owed_settled", "Points owed settled"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="points",
            field=models.BigIntegerField(verbose_name="points"),
        ),
        migrations.AlterField(
            model_name="lotdebit",
            name="points",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AlterField(
            model_name="pointsaccount",
            name="balance",
            field=models.BigIntegerField(default=0, verbose_name="balance"),
        ),
        migrations.AlterField(
            model_name="pointslot",
            name="points",
            field=models.PositiveBigIntegerField(verbose_name="points credited"),
        ),
        migrations.AlterField(
            model_name="pointslot",
            name="remaining",
            field=models.PositiveBigIntegerField(verbose_name="points remaining"),
        ),
        migrations.AlterField(
            model_name="programsettings",
            name="activation_delay_days",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Earned points become spendable after this many days (e.g. the return window).",
                validators=[django.core.validators.MaxValueValidator(36500)],
                verbose_name="activation delay, days",
            ),
        ),
        migrations.AlterField(
            model_name="programsettings",
            name="manual_adjustment_limit",
            field=models.PositiveIntegerField(
                default=10000,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(1000000000),
                ],
                verbose_name="maximum points per manual adjustment",
            ),
        ),
        migrations.AlterField(
            model_name="programsettings",
            name="points_lifetime_days",
            field=models.PositiveIntegerField(
                blank=True,
                default=365,
                help_text="Empty: points never expire. Longer than the activation delay, at most 36 500 (100 years).",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(36500),
                ],
                verbose_name="point lifetime, days",
            ),
        ),
        migrations.AlterField(
            model_name="programsettings",
            name="tier_grace_days",
            field=models.PositiveIntegerField(
                default=30,
                help_text="A customer below their tier's threshold at a review keeps the tier this long.",
                validators=[django.core.validators.MaxValueValidator(36500)],
                verbose_name="tier downgrade grace period, days",
            ),
        ),
        migrations.AlterField(
            model_name="programsettings",
            name="tier_window_days",
            field=models.PositiveIntegerField(
                blank=True,
                default=365,
                help_text="Spend over this many days qualifies for a tier. Empty: lifetime spend.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(36500),
                ],
                verbose_name="tier qualification window, days",
            ),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="earned_points",
            field=models.PositiveBigIntegerField(default=0, verbose_name="points earned"),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="points_returned",
            field=models.PositiveBigIntegerField(default=0, verbose_name="redeemed points returned"),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="points_reversed",
            field=models.PositiveBigIntegerField(default=0, verbose_name="earned points reversed"),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="redeemed_points",
            field=models.PositiveBigIntegerField(default=0, verbose_name="points redeemed"),
        ),
        migrations.AlterField(
            model_name="refund",
            name="points_returned",
            field=models.PositiveBigIntegerField(default=0, verbose_name="redeemed points returned"),
        ),
        migrations.AlterField(
            model_name="refund",
            name="points_reversed",
            field=models.PositiveBigIntegerField(default=0, verbose_name="earned points reversed"),
        ),
        migrations.AlterField(
            model_name="refund",
            name="points_shortfall",
            field=models.PositiveBigIntegerField(default=0, verbose_name="points owed (shortfall)"),
        ),
        migrations.RemoveConstraint(
            model_name="ledgerentry",
            name="loyalty_ledgerentry_sign_matches_kind",
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind__in", ["earn", "refund_return", "bonus", "import"]), ("points__gt", 0)),
                    models.Q(("kind__in", ["redeem", "expire", "refund_reversal", "owed_settled"]), ("points__lt", 0)),
                    ("kind", "adjustment"),
                    _connector="OR",
                ),
                name="loyalty_ledgerentry_sign_matches_kind",
            ),
        ),
        migrations.RunPython(reinstall_append_only_triggers, migrations.RunPython.noop),
    ]
