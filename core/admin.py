from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .audit import audit_origin_label
from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that shows rows and never changes them: the ledger and the audit log are append-only,
    and rows written by services (imports, API clients) are changed only through those services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "origin_shown", "action", "object_shown", "object_id", "summary")
    list_filter = ("action",)
    search_fields = ("summary", "object_id", "actor__username", "origin")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"

    @admin.display(description=_("origin"), ordering="origin")
    def origin_shown(self, entry: AuditEntry) -> str:
        """Where the change came from in words ("Till", "API: Shop"), not its stored code."""
        return audit_origin_label(entry.origin)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_shown(self, entry: AuditEntry) -> str:
        """The object's kind by its model's name in the reader's language ("клиент"), not "customers.customer"."""
        try:
            model = apps.get_model(entry.object_type)
        except (LookupError, ValueError):
            return entry.object_type
        return str(model._meta.verbose_name)
