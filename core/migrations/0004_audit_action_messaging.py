"""Audit actions for messaging (issue #14): marketing consent changes, queued messages, saved message
templates. Choices only: no change to the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_action_purchases"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("customer.enrol", "Customer enrolled"),
                    ("customer.update", "Customer profile changed"),
                    ("customer.import", "Customers imported"),
                    ("customer.export", "Customer's personal data exported"),
                    ("customer.erase", "Customer's personal data erased"),
                    ("customer.consent", "Marketing consent changed"),
                    ("points.adjust", "Manual adjustment"),
                    ("purchase.record", "Purchase recorded"),
                    ("purchase.refund", "Purchase refunded"),
                    ("settings.update", "Program settings changed"),
                    ("tiers.update", "Tiers changed"),
                    ("api_client.create", "API client created"),
                    ("api_client.revoke", "API client revoked"),
                    ("api_client.rotate", "API client given a new key"),
                    ("message.queue", "Message queued"),
                    ("message_template.save", "Message template saved"),
                ],
                db_index=True,
                max_length=60,
                verbose_name="action",
            ),
        ),
    ]
