from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Customer, ImportJob


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "card_number", "email", "created_at", "last_purchase_at")
    list_filter = ("consent_email", "consent_sms", "created_at")
    search_fields = ("name", "phone", "card_number", "email", "referral_code")
    readonly_fields = ("card_number", "referral_code", "created_at", "first_purchase_at", "last_purchase_at")
    raw_id_fields = ("referred_by",)
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        # A customer with ledger history cannot be deleted (the ledger is append-only).
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "file_name", "status", "created_by")
    list_filter = ("status",)
    exclude = ("content",)
