"""Ledger exactness, step 3 of 3: the constraints (bounded settings, points owed ≥ 0, a receipt once per
API client or origin, the new entry kind's sign)."""

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
    dependencies = [("loyalty", "0011_ledger_data")]

    operations = [
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
        migrations.AddConstraint(
            model_name="pointsaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("points_owed__gte", 0)), name="loyalty_pointsaccount_owed_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="programsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("activation_delay_days__lte", 36500),
                    ("tier_grace_days__lte", 36500),
                    models.Q(
                        ("points_lifetime_days__isnull", True), ("points_lifetime_days__lte", 36500), _connector="OR"
                    ),
                    models.Q(("tier_window_days__isnull", True), ("tier_window_days__lte", 36500), _connector="OR"),
                ),
                name="loyalty_programsettings_days_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="programsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("points_lifetime_days__isnull", True),
                    ("points_lifetime_days__gt", models.F("activation_delay_days")),
                    _connector="OR",
                ),
                name="loyalty_programsettings_lifetime_after_activation",
            ),
        ),
        migrations.AddConstraint(
            model_name="programsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_purchase_amount__gt", 0)), name="loyalty_programsettings_max_purchase_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="purchase",
            constraint=models.UniqueConstraint(
                condition=models.Q(("api_client__isnull", False), models.Q(("external_id", ""), _negated=True)),
                fields=("api_client", "external_id"),
                name="loyalty_purchase_receipt_once_per_client",
            ),
        ),
        migrations.AddConstraint(
            model_name="purchase",
            constraint=models.UniqueConstraint(
                condition=models.Q(("api_client__isnull", True), models.Q(("external_id", ""), _negated=True)),
                fields=("origin", "external_id"),
                name="loyalty_purchase_receipt_once_per_origin",
            ),
        ),
        migrations.RunPython(reinstall_append_only_triggers, migrations.RunPython.noop),
    ]
