"""Migration operations for moving a model or a permission from one app to another without touching rows.

A model changes app in two migrations that only change Django's state (`SeparateDatabaseAndState`): the
new app creates the model with `db_table` set to the old table, the old app deletes it. The operations
below move what the database keys by app label, so that groups keep their permissions and the admin
history its links:

- `content_type_move` relabels the model's content type (its permissions hang on it);
- `permissions_move` re-homes model-less permissions (`use_cashier`) onto another model's content type.
"""

from django.db import migrations


def content_type_move(model: str, *, old_app: str, new_app: str) -> migrations.RunPython:
    """Relabel the content type of `model` (lower-case model name) from `old_app` to `new_app`; reversible."""

    def relabel(source: str, target: str):
        def run(apps, schema_editor):
            ContentType = apps.get_model("contenttypes", "ContentType")
            if ContentType.objects.filter(app_label=target, model=model).exists():
                return  # created meanwhile (post_migrate of a fresh database): nothing to carry over
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)

        return run

    return migrations.RunPython(relabel(old_app, new_app), relabel(new_app, old_app))


def permissions_move(codenames: list[str], *, old: tuple[str, str], new: tuple[str, str]) -> migrations.RunPython:
    """Move permissions `codenames` from the content type `old` (app_label, model) to `new`; reversible.

    The permission rows stay (same primary keys), so every group and user holding them keeps them."""

    def move(source: tuple[str, str], target: tuple[str, str]):
        def run(apps, schema_editor):
            ContentType = apps.get_model("contenttypes", "ContentType")
            Permission = apps.get_model("auth", "Permission")
            target_type, _created = ContentType.objects.get_or_create(app_label=target[0], model=target[1])
            for codename in codenames:
                if Permission.objects.filter(content_type=target_type, codename=codename).exists():
                    continue
                Permission.objects.filter(
                    content_type__app_label=source[0], content_type__model=source[1], codename=codename
                ).update(content_type=target_type)

        return run

    return migrations.RunPython(move(old, new), move(new, old))


def audit_object_type_move(model: str, *, old_app: str, new_app: str) -> migrations.RunPython:
    """Rewrite audit entries' `object_type` ("<app>.<model>") for a model that changed app; reversible.
    The migration must depend on ("core", "0001_initial")."""

    def rewrite(source: str, target: str):
        def run(apps, schema_editor):
            AuditEntry = apps.get_model("core", "AuditEntry")
            AuditEntry.objects.filter(object_type=f"{source}.{model}").update(object_type=f"{target}.{model}")

        return run

    return migrations.RunPython(rewrite(old_app, new_app), rewrite(new_app, old_app))
