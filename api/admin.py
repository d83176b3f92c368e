from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnlyAdmin):
    """Created and revoked on the API clients page (the key is shown once there); listed here."""

    list_display = ("name", "key_prefix", "created_at", "created_by", "revoked_at")
    search_fields = ("name", "key_prefix")
