from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMS = ["view_apiclient", "add_apiclient", "change_apiclient"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    marketing = Group.objects.get(name="Marketing")
    marketing.permissions.add(*Permission.objects.filter(content_type__app_label="loyalty", codename__in=PERMS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    marketing = Group.objects.filter(name="Marketing").first()
    if marketing:
        marketing.permissions.remove(*Permission.objects.filter(content_type__app_label="loyalty", codename__in=PERMS))


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0007_api_clients")]
    operations = [migrations.RunPython(grant, revoke)]
