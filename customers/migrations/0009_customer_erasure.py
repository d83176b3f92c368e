"""Customers can be erased on request (erased_at) and the permission to do it (issue #11)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_import_job_moved"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("adjust_points", "Can make manual points adjustments"),
                    ("erase_customer", "Can export and erase a customer's personal data"),
                ],
                "verbose_name": "customer",
                "verbose_name_plural": "customers",
            },
        ),
        migrations.AddField(
            model_name="customer",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="personal data erased"),
        ),
    ]
