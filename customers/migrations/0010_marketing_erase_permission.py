"""Marketing may export and erase a customer's personal data (issue #11)."""

from django.db import migrations

from core.roles import grant_permissions


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_customer_erasure"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [grant_permissions({"Marketing": ["customers.erase_customer"]})]
