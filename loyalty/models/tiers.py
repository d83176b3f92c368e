"""Tiers (statuses), each customer's current tier and the history of tier changes."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .program import MONEY, PERCENT

# Day counts a purchase can compute with (datetime + timedelta stays far inside year 9999): 100 years.
# The largest check a program accepts by default; the setting can raise it up to what MONEY holds.


class Tier(models.Model):
    """A status customers climb by spending: its own cashback, redemption cap and perks."""

    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d", help_text=_("e.g. #cd7f32"))
    threshold = models.DecimalField(
        _("qualifying spend"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Money spent (not points, net of refunds) over the qualification window."),
        **MONEY,
    )
    min_purchases = models.PositiveIntegerField(
        _("minimum purchases"),
        null=True,
        blank=True,
        help_text=_("Optional: purchases needed over the window as well."),
    )
    cashback_percent = models.DecimalField(
        _("cashback, %"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        **PERCENT,
    )
    redeem_cap_percent = models.DecimalField(
        # xgettext:no-python-format
        _("redemption cap, % of the check"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        **PERCENT,
    )
    perks = models.JSONField(_("perks"), default=list, blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="loyalty_tier_threshold_not_negative"),
            models.CheckConstraint(
                condition=Q(cashback_percent__gte=0, cashback_percent__lte=100), name="loyalty_tier_cashback_range"
            ),
            models.CheckConstraint(
                condition=Q(redeem_cap_percent__gt=0, redeem_cap_percent__lte=100), name="loyalty_tier_cap_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TierStatus(models.Model):
    """A customer's current tier. `below_since` is the first review date that found them under it."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), primary_key=True, on_delete=models.PROTECT, related_name="tier_status"
    )
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, on_delete=models.PROTECT, related_name="statuses")
    below_since = models.DateField(_("below the threshold since"), null=True, blank=True)
    changed_at = models.DateTimeField(_("tier since"))

    class Meta:
        verbose_name = _("tier status")
        verbose_name_plural = _("tier statuses")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier_id}"


class TierChange(models.Model):
    """History: every move between tiers, with its reason."""

    class Reason(models.TextChoices):
        JOINED = "joined", _("Joined the program")
        UPGRADE_PURCHASE = "upgrade_purchase", _("Upgraded by a purchase")
        UPGRADE_REVIEW = "upgrade_review", _("Upgraded at the daily review")
        DOWNGRADE_REVIEW = "downgrade_review", _("Downgraded after the grace period")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(
        Tier, verbose_name=_("from tier"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to tier"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    spend = models.DecimalField(_("qualifying spend"), null=True, blank=True, **MONEY)
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_date = models.DateField(_("review date"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), db_index=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="loyalty_tierchange_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier_id} → {self.to_tier_id}"
