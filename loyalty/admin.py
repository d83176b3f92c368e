from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import (
    DailyRun,
    LedgerEntry,
    LotDebit,
    PointsAccount,
    PointsLot,
    ProgramSettings,
    Purchase,
    PurchaseLine,
    Refund,
    Tier,
    TierChange,
    TierStatus,
)
from .reasons import entry_reason
from .services import program_settings_update


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "currency",
        "point_value",
        "base_cashback_percent",
        "redeem_cap_percent",
        "points_lifetime_days",
        "activation_delay_days",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False  # the one row is created on first use

    def save_model(self, request, obj, form, change):
        # Through the service, so that the change is validated the same way and audited old → new.
        program_settings_update(
            actor=request.user, origin="admin", **{field: form.cleaned_data[field] for field in form.changed_data}
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ("customer", "balance", "points_owed", "updated_at")
    search_fields = ("customer__name", "customer__phone", "customer__card_number")
    list_select_related = ("customer",)


class PurchaseLineInline(admin.TabularInline):
    model = PurchaseLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefundInline(PurchaseLineInline):
    model = Refund
    fields = (
        "created_at",
        "amount",
        "points_reversed",
        "points_returned",
        "points_shortfall",
        "points_expired",
        "created_by",
    )
    readonly_fields = fields


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "customer",
        "amount",
        "redeemed_points",
        "paid_amount",
        "earned_points",
        "refunded_amount",
        "external_id",
        "api_client",
        "origin",
    )
    list_filter = ("origin", "api_client", "created_at")
    search_fields = ("external_id", "customer__name", "customer__phone", "customer__card_number")
    list_select_related = ("customer",)
    date_hierarchy = "created_at"
    inlines = [PurchaseLineInline, RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "purchase",
        "amount",
        "points_reversed",
        "points_returned",
        "points_shortfall",
        "points_expired",
    )
    search_fields = ("purchase__external_id", "purchase__customer__phone")
    list_select_related = ("purchase",)
    date_hierarchy = "created_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "kind", "points", "reason_shown", "expires_at", "actor", "source")
    list_filter = ("kind", "created_at")
    search_fields = ("customer__name", "customer__phone", "customer__card_number", "reason", "source")
    list_select_related = ("customer", "actor", "purchase")
    date_hierarchy = "created_at"

    @admin.display(description=_("reason"), ordering="reason")
    def reason_shown(self, entry: LedgerEntry) -> str:
        """The reason in the reader's language for the entries the system writes (loyalty.reasons)."""
        return entry_reason(entry)


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "points", "remaining", "created_at", "available_at", "expires_at")
    list_filter = ("expires_at",)
    search_fields = ("customer__phone", "customer__card_number")
    list_select_related = ("customer",)


@admin.register(LotDebit)
class LotDebitAdmin(ReadOnlyAdmin):
    list_display = ("entry", "lot", "points")
    list_select_related = ("entry", "lot")


@admin.register(Tier)
class TierAdmin(ReadOnlyAdmin):
    """Read-only here: tiers are edited on the Tiers page, where the whole list is validated and audited."""

    list_display = ("order", "name", "code", "threshold", "min_purchases", "cashback_percent", "redeem_cap_percent")
    ordering = ("order",)


@admin.register(TierStatus)
class TierStatusAdmin(ReadOnlyAdmin):
    list_display = ("customer", "tier", "changed_at", "below_since")
    list_filter = ("tier",)
    search_fields = ("customer__name", "customer__phone", "customer__card_number")
    list_select_related = ("customer", "tier")


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "from_tier", "to_tier", "reason", "spend", "review_date")
    list_filter = ("reason", "to_tier")
    search_fields = ("customer__name", "customer__phone", "customer__card_number")
    list_select_related = ("customer", "from_tier", "to_tier")
    date_hierarchy = "created_at"


@admin.register(PurchaseLine)
class PurchaseLineAdmin(ReadOnlyAdmin):
    list_display = ("purchase", "sku", "category", "amount")
    list_filter = ("category",)
    search_fields = ("sku", "category", "purchase__external_id")
    list_select_related = ("purchase",)


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnlyAdmin):
    list_display = ("as_of", "started_at", "finished_at", "result")
    date_hierarchy = "as_of"
