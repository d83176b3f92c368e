"""The two staff roles and what they may do. Superusers have every permission anyway."""

from django.db import migrations

from core.roles import grant_permissions

ROLES = {
    "Marketing": [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.adjust_points",
        "customers.view_auditentry",
        "loyalty.view_programsettings",
        "loyalty.change_programsettings",
        "loyalty.view_dashboard",
        "loyalty.view_purchase",
        "loyalty.view_refund",
        "loyalty.view_ledgerentry",
        "loyalty.view_pointslot",
        "loyalty.view_pointsaccount",
    ],
    "Cashiers": [
        "loyalty.use_cashier",
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_name_trigram_index"),
        ("loyalty", "0002_ledger_append_only"),
    ]
    operations = [grant_permissions(ROLES, create_groups=True)]
