"""Ledger exactness, step 3 of 3: the constraints that rely on the data fixes of 0011 (bounded settings,
points owed ≥ 0, a receipt once per API client or origin)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0011_ledger_data")]

    operations = [
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
    ]
