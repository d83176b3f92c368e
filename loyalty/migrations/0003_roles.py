"""The two staff roles and what they may do. Superusers have every permission anyway."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_name_trigram_index"),
        ("loyalty", "0002_ledger_append_only"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
