"""Import jobs moved to `customers` (customers 0008): forget the model here, keep its table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0015_role_permissions_moved"),
        ("customers", "0008_import_job_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ImportJob")]),
    ]
