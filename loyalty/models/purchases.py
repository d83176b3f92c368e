"""Purchases (with their lines) and refunds, as recorded by the ledger services."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .program import MONEY, PERCENT

# Day counts a purchase can compute with (datetime + timedelta stays far inside year 9999): 100 years.
# The largest check a program accepts by default; the setting can raise it up to what MONEY holds.


class Purchase(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="purchases"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    redeemed_points = models.PositiveBigIntegerField(_("points redeemed"), default=0)
    paid_amount = models.DecimalField(_("paid in money"), **MONEY)
    earned_points = models.PositiveBigIntegerField(_("points earned"), default=0)
    # How `earned_points` splits (issue #15), summing to it exactly: [{"part": "base", "points": n},
    # {"part": "tier", "points": n}, {"part": "boost", "campaign": id, "name": "…", "points": n}, …]
    # (loyalty.rules.earn_breakdown and the boosts). Empty for purchases recorded before it existed.
    earned_breakdown = models.JSONField(
        _("points earned, by part"), default=list, db_default=[], blank=True, editable=False
    )  # db_default: rows written in bulk by SQL (bench, imports) get []
    cashback_percent = models.DecimalField(_("cashback, %"), **PERCENT)
    point_value = models.DecimalField(_("point value"), **MONEY)
    refunded_amount = models.DecimalField(_("refunded"), default=Decimal("0"), **MONEY)
    # Earned points settled by refunds: taken back, or recorded as owed (the shortfall).
    points_reversed = models.PositiveBigIntegerField(_("earned points reversed"), default=0)
    points_returned = models.PositiveBigIntegerField(_("redeemed points returned"), default=0)
    # Of this purchase's earned points that a refund replaced by other points (they had been spent on
    # another purchase), how many came back since through that purchase's refund and were turned back
    # into the points they replaced (loyalty.services.ledger._return_points).
    points_swapped_back = models.PositiveBigIntegerField(default=0, editable=False)
    # Money spent that counts towards tiers: the part paid in money, less its refunded share.
    qualifying_amount = models.DecimalField(_("qualifying spend"), default=Decimal("0"), **MONEY)
    external_id = models.CharField(_("receipt / external number"), max_length=100, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    # Hash of the request that created the purchase: the same key with another body is a conflict.
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The API client that recorded it (None: the till, the console, an import or the demo data). An API
    # client sees and refunds only its own purchases.
    api_client = models.ForeignKey(
        "api.ApiClient",
        verbose_name=_("API client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchases",
    )
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    # The customer's balance when it was recorded: what a replayed request answers again.
    balance_after = models.BigIntegerField(_("balance after"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("date"), db_index=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="loyalty_purchase_customer_date"),
            # The till finds a receipt typed in any case ("chk-2611-003626"): loyalty.selectors.purchase_find.
            models.Index(Upper("external_id"), name="loyalty_purchase_receipt_upper"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loyalty_purchase_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="loyalty_purchase_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="loyalty_purchase_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(points_reversed__lte=models.F("earned_points")),
                name="loyalty_purchase_reversed_within_earned",
            ),
            models.CheckConstraint(
                condition=Q(points_returned__lte=models.F("redeemed_points")),
                name="loyalty_purchase_returned_within_redeemed",
            ),
            # A receipt is recorded once: per API client, and per origin for purchases made outside the API.
            models.UniqueConstraint(
                fields=["api_client", "external_id"],
                condition=Q(api_client__isnull=False) & ~Q(external_id=""),
                name="loyalty_purchase_receipt_once_per_client",
            ),
            models.UniqueConstraint(
                fields=["origin", "external_id"],
                condition=Q(api_client__isnull=True) & ~Q(external_id=""),
                name="loyalty_purchase_receipt_once_per_origin",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} ({self.customer_id})"

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, verbose_name=_("purchase"), on_delete=models.PROTECT, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="loyalty_purchaseline_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku or self.category}: {self.amount}"


class Refund(models.Model):
    purchase = models.ForeignKey(Purchase, verbose_name=_("purchase"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("refunded amount"), **MONEY)
    points_reversed = models.PositiveBigIntegerField(_("earned points reversed"), default=0)
    points_returned = models.PositiveBigIntegerField(_("redeemed points returned"), default=0)
    # Earned points that should have been reversed but had already been spent and could not be taken
    # back: the balance stays ≥ 0 and they become points owed (PointsAccount.points_owed), which later
    # credits pay first.
    points_shortfall = models.PositiveBigIntegerField(_("points owed (shortfall)"), default=0)
    # Earned points not taken back because they had expired unused: the customer lost them already.
    points_expired = models.PositiveBigIntegerField(_("earned points that had expired"), default=0)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    # The customer's balance when it was recorded: what a replayed request answers again.
    balance_after = models.BigIntegerField(_("balance after"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("date"), db_index=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loyalty_refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund #{self.pk} of purchase #{self.purchase_id}: {self.amount}"


class SpendDay(models.Model):
    """A running total (issue #16): one customer's qualifying spend and qualifying purchases per local day
    (the shop's time zone), so that the spend over a tier window is a sum of at most window-days rows plus
    the purchases of the window's two edge days, however long the customer's history.

    Invariant (checked by `verify_ledger`): for every customer and day, `spend` = Σ Purchase.qualifying_amount
    and `purchases` = #{Purchase with qualifying_amount > 0} over the purchases whose `created_at` falls on
    that local day. Kept in the same transaction as the purchase (loyalty.services.ledger.spend_day_add)
    and the refund that changes them; rebuilt from the purchases by `spend_days_rebuild` (migration, bulk
    loads)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    spend = models.DecimalField(default=Decimal("0"), **MONEY)
    purchases = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="loyalty_spendday_once")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}: {self.spend}"
