"""Django admin for superusers: the outbox and the consent history, read-only (messages change only
through the outbox services, consents through consent_set)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import ConsentChange, Message, MessageStatusChange, MessageTemplate


class StatusChangeInline(admin.TabularInline):
    model = MessageStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("status", "reason", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "channel", "kind", "purpose", "status", "skip_reason", "attempts", "created_at")
    list_filter = ("status", "channel", "purpose", "skip_reason")
    search_fields = ("kind", "provider_message_id", "customer__name")
    # The address is personal data: the admin shows the customer, not where the message went.
    exclude = ("address",)
    inlines = [StatusChangeInline]


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdmin):
    list_display = ("customer", "channel", "granted", "source", "at", "actor", "origin")
    list_filter = ("channel", "granted", "source")
    search_fields = ("customer__name",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdmin):
    list_display = ("kind", "channel", "language", "updated_at", "updated_by")
    list_filter = ("channel", "language")
