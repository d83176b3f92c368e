from django.db import migrations

from core.roles import grant_permissions

PERMS = ["view_tier", "add_tier", "change_tier", "delete_tier", "view_tierstatus", "view_tierchange"]


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0005_tiers")]
    operations = [grant_permissions({"Marketing": [f"loyalty.{codename}" for codename in PERMS]})]
