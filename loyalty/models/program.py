"""The program's settings (one row) and the record of daily job runs."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
    # How several earning boosts (campaigns of kind "boost", issue #15) on one purchase line combine:
    # only the largest, or added up to `boost_cap_percent` % of the line (loyalty.rules.boost_points).
    boost_combine = models.CharField(
        _("several earning boosts on one line"),
        max_length=10,
        choices=[("best", _("Only the largest boost counts")), ("sum", _("Boosts add up, to the cap"))],
        default="best",
    )
    boost_cap_percent = models.DecimalField(
        # xgettext:no-python-format
        _("cap of added-up boosts, % of the line"),
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("When boosts add up: the most cashback they add together, in percent of a line's amount."),
        **PERCENT,
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
            models.CheckConstraint(
                condition=Q(boost_combine__in=["best", "sum"], boost_cap_percent__gte=0, boost_cap_percent__lte=100),
                name="loyalty_programsettings_boost_rule",
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
