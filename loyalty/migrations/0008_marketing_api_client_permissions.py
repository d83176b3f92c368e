from django.db import migrations

from core.roles import grant_permissions

PERMS = ["view_apiclient", "add_apiclient", "change_apiclient"]


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0007_api_clients")]
    operations = [grant_permissions({"Marketing": [f"loyalty.{codename}" for codename in PERMS]})]
