"""Staff roles are auth groups with permissions, granted by migrations. One helper grants them, so every
migration that adds a permission to a role does it the same way."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def _ensure_permissions(apps) -> None:
    """Permissions are normally created after migrations (post_migrate); create them now."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _permissions(apps, codes: list[str]) -> list:
    Permission = apps.get_model("auth", "Permission")
    result = []
    for code in codes:
        app_label, codename = code.split(".")
        result.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return result


def grant_permissions(roles: dict[str, list[str]], *, create_groups: bool = False) -> migrations.RunPython:
    """A migration operation giving each role (group name) its permissions ("app_label.codename").

    With `create_groups`, the groups are created (and deleted again when the migration is reversed);
    otherwise they must exist, and reversing removes just these permissions.
    """

    def grant(apps, schema_editor):
        _ensure_permissions(apps)
        Group = apps.get_model("auth", "Group")
        for name, codes in roles.items():
            group = Group.objects.get_or_create(name=name)[0] if create_groups else Group.objects.get(name=name)
            group.permissions.add(*_permissions(apps, codes))

    def revoke(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        if create_groups:
            Group.objects.filter(name__in=roles).delete()
            return
        for name, codes in roles.items():
            if group := Group.objects.filter(name=name).first():
                group.permissions.remove(*_permissions(apps, codes))

    return migrations.RunPython(grant, revoke)
