from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Customer, ImportJob


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """Listed and shown here, changed only on the console's customer page: enrolment and profile changes
    go through customers.services (phones normalised, duplicates refused, every change audited)."""

    list_display = ("name", "phone", "card_number", "email", "created_at", "last_purchase_at")
    list_filter = ("consent_email", "consent_sms", "created_at")
    search_fields = ("name", "phone", "card_number", "email", "referral_code")
    exclude = ("enrol_key", "enrol_fingerprint")
    date_hierarchy = "created_at"


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "file_name", "status", "created_by")
    list_filter = ("status",)
    exclude = ("content",)
