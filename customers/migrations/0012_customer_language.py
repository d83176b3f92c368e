"""Customer.language (issue #14: messages in the customer's language): existing customers get the shop's
language, settings.LANGUAGE_CODE when the migration runs (the default is a callable: no language is frozen
here). On PostgreSQL 11+ adding a column with a constant default rewrites no rows."""

from django.db import migrations, models

import customers.models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_till_lookup_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("ru", "Russian")],
                default=customers.models.language_default,
                max_length=10,
                verbose_name="language",
            ),
        ),
    ]
