"""The audit log moved to `core` (core 0001): forget the model here, keep its table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_audit_action_rotate"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="AuditEntry")]),
    ]
