from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

MONEY = {"max_digits": 12, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}
# Day counts a purchase can compute with (datetime + timedelta stays far inside year 9999): 100 years.
MAX_DAYS = 36500
# The largest check a program accepts by default; the setting can raise it up to what MONEY holds.
DEFAULT_MAX_PURCHASE_AMOUNT = Decimal("10000000.00")
MAX_PURCHASE_AMOUNT = Decimal("9999999999.99")


class ProgramSettings(models.Model):
    """The program's rules: one row (pk=1). Read through loyalty.selectors.program_settings_get."""

    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    point_value = models.DecimalField(
        _("point value"),
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Money value of one point in the program's currency."),
        **MONEY,
    )
    base_cashback_percent = models.DecimalField(
        _("base cashback, %"),
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        **PERCENT,
    )
    redeem_cap_percent = models.DecimalField(
        # xgettext:no-python-format
        _("redemption cap, % of the check"),
        default=Decimal("30.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        **PERCENT,
    )
    points_lifetime_days = models.PositiveIntegerField(
        _("point lifetime, days"),
        null=True,
        blank=True,
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)],
        help_text=_("Empty: points never expire. Longer than the activation delay, at most 36 500 (100 years)."),
    )
    activation_delay_days = models.PositiveIntegerField(
        _("activation delay, days"),
        default=0,
        validators=[MaxValueValidator(MAX_DAYS)],
        help_text=_("Earned points become spendable after this many days (e.g. the return window)."),
    )
    tier_window_days = models.PositiveIntegerField(
        _("tier qualification window, days"),
        null=True,
        blank=True,
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)],
        help_text=_("Spend over this many days qualifies for a tier. Empty: lifetime spend."),
    )
    tier_grace_days = models.PositiveIntegerField(
        _("tier downgrade grace period, days"),
        default=30,
        validators=[MaxValueValidator(MAX_DAYS)],
        help_text=_("A customer below their tier's threshold at a review keeps the tier this long."),
    )
    manual_adjustment_limit = models.PositiveIntegerField(
        _("maximum points per manual adjustment"),
        default=10000,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000_000)],
    )
    max_purchase_amount = models.DecimalField(
        _("largest purchase accepted"),
        default=DEFAULT_MAX_PURCHASE_AMOUNT,
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(MAX_PURCHASE_AMOUNT)],
        help_text=_("A check above this amount is refused as a typing or scanning error."),
        **MONEY,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("program settings")
        verbose_name_plural = _("program settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="loyalty_programsettings_single_row"),
            models.CheckConstraint(condition=Q(point_value__gt=0), name="loyalty_programsettings_point_value_positive"),
            models.CheckConstraint(
                condition=Q(base_cashback_percent__gte=0, base_cashback_percent__lte=100),
                name="loyalty_programsettings_cashback_range",
            ),
            models.CheckConstraint(
                condition=Q(redeem_cap_percent__gt=0, redeem_cap_percent__lte=100),
                name="loyalty_programsettings_cap_range",
            ),
            models.CheckConstraint(
                condition=Q(activation_delay_days__lte=MAX_DAYS, tier_grace_days__lte=MAX_DAYS)
                & (Q(points_lifetime_days__isnull=True) | Q(points_lifetime_days__lte=MAX_DAYS))
                & (Q(tier_window_days__isnull=True) | Q(tier_window_days__lte=MAX_DAYS)),
                name="loyalty_programsettings_days_bounded",
            ),
            models.CheckConstraint(
                condition=Q(points_lifetime_days__isnull=True)
                | Q(points_lifetime_days__gt=models.F("activation_delay_days")),
                name="loyalty_programsettings_lifetime_after_activation",
            ),
            models.CheckConstraint(
                condition=Q(max_purchase_amount__gt=0), name="loyalty_programsettings_max_purchase_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Program settings"))

    def clean(self) -> None:
        """Refuse rules that make points unusable: every point would expire before it became spendable."""
        lifetime, delay = self.points_lifetime_days, self.activation_delay_days
        if isinstance(lifetime, int) and isinstance(delay, int) and lifetime <= delay:  # else clean_fields says
            raise ValidationError(
                {
                    "points_lifetime_days": _(
                        "The point lifetime (%(lifetime)s days) must be longer than the activation delay "
                        "(%(delay)s days): otherwise points expire before they can be spent."
                    )
                    % {"lifetime": lifetime, "delay": delay}
                }
            )


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

    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.PROTECT, related_name="tier_status")
    tier = models.ForeignKey(Tier, null=True, on_delete=models.PROTECT, related_name="statuses")
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

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    spend = models.DecimalField(_("qualifying spend"), null=True, blank=True, **MONEY)
    purchase = models.ForeignKey("Purchase", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    review_date = models.DateField(_("review date"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), db_index=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="loyalty_tierchange_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier_id} → {self.to_tier_id}"


class PointsAccount(models.Model):
    """The cached balance of one customer. Changed only by ledger services, under a row lock."""

    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.PROTECT, related_name="points_account")
    balance = models.BigIntegerField(_("balance"), default=0)
    # Points a refund should have taken back but the customer had already spent (the refund's shortfall):
    # a debt that later credits pay first. Never below zero, never forgotten.
    points_owed = models.BigIntegerField(_("points owed"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_pointsaccount_balance_not_negative"),
            models.CheckConstraint(condition=Q(points_owed__gte=0), name="loyalty_pointsaccount_owed_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"


class Purchase(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="purchases")
    amount = models.DecimalField(_("amount"), **MONEY)
    redeemed_points = models.PositiveBigIntegerField(_("points redeemed"), default=0)
    paid_amount = models.DecimalField(_("paid in money"), **MONEY)
    earned_points = models.PositiveBigIntegerField(_("points earned"), default=0)
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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
        indexes = [models.Index(fields=["customer", "-created_at"], name="loyalty_purchase_customer_date")]
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
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="lines")
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
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="refunds")
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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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


class LedgerEntry(models.Model):
    """One change of a customer's points. Append-only: the database refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        REFUND_REVERSAL = "refund_reversal", _("Refund: earned points reversed")
        REFUND_RETURN = "refund_return", _("Refund: redeemed points returned")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        BONUS = "bonus", _("Bonus")
        IMPORT = "import", _("Import")
        OWED_SETTLED = "owed_settled", _("Points owed settled")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    points = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    # A campaign or another source outside this app, e.g. "campaign:12".
    source = models.CharField(_("source"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    # Hash of the request behind a keyed entry (adjustment, award): the same key with another request is
    # a conflict, not a replay.
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("date"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="loyalty_ledger_customer_date")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="loyalty_ledgerentry_points_not_zero"),
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "refund_return", "bonus", "import"], points__gt=0)
                | Q(kind__in=["redeem", "expire", "refund_reversal", "owed_settled"], points__lt=0)
                | Q(kind="adjustment"),
                name="loyalty_ledgerentry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.kind} {self.points:+d}"


class PointsLot(models.Model):
    """Points credited by one entry, spendable from `available_at` until `expires_at`.

    Debits take points from lots, soonest expiry first; a lot's remainder never goes below zero.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="points_lots")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="lot")
    # For points a refund returned: the lot they first came from (its root, through any number of
    # redemptions and returns). A refund of the purchase that earned that lot takes these back first.
    origin_lot = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    points = models.PositiveBigIntegerField(_("points credited"))
    remaining = models.PositiveBigIntegerField(_("points remaining"))
    created_at = models.DateTimeField(_("credited"))
    available_at = models.DateTimeField(_("spendable from"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        indexes = [
            models.Index(
                fields=["customer", "expires_at"], name="loyalty_lot_open_by_customer", condition=Q(remaining__gt=0)
            ),
            models.Index(fields=["expires_at"], name="loyalty_lot_open_by_expiry", condition=Q(remaining__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0, remaining__lte=models.F("points")),
                name="loyalty_pointslot_remaining_within_points",
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.points}"


class LotDebit(models.Model):
    """How many points a debit entry took from which lot (so a refund can return them faithfully)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="debits")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="debits")
    points = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="loyalty_lotdebit_points_positive")]

    def __str__(self) -> str:
        return f"entry {self.entry_id} took {self.points} from lot {self.lot_id}"


class DailyRun(models.Model):
    """One completed run of the daily jobs for a date (loyalty.services.ledger.daily_run).

    The latest date tells the tier review not to go back in time, and verify_ledger which lots must
    already be expired.
    """

    as_of = models.DateField(_("date"), unique=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    result = models.JSONField(_("result"), default=dict)

    class Meta:
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return self.as_of.isoformat()
