"""The points ledger: accounts (cached balances), append-only entries, lots and what each debit took."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

# Day counts a purchase can compute with (datetime + timedelta stays far inside year 9999): 100 years.
# The largest check a program accepts by default; the setting can raise it up to what MONEY holds.


class PointsAccount(models.Model):
    """The cached balance of one customer. Changed only by ledger services, under a row lock."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), primary_key=True, on_delete=models.PROTECT, related_name="points_account"
    )
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

    # Indexed by loyalty_ledger_customer_date (customer first): no index of its own to write per entry.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    points = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,  # a partial index below: most entries have none
    )
    refund = models.ForeignKey(
        "loyalty.Refund",
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,  # a partial index below: most entries have none
    )
    # A campaign or another source outside this app, e.g. "campaign:12".
    source = models.CharField(_("source"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a partial index below: most entries have none
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
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="loyalty_ledger_customer_date"),
            # Only the entries that have one: a bulk credit of a million entries (a campaign's broadcast)
            # writes none of these three indexes (a lookup `purchase_id = …` implies NOT NULL).
            models.Index(fields=["purchase"], name="loyalty_ledger_purchase", condition=Q(purchase__isnull=False)),
            models.Index(fields=["refund"], name="loyalty_ledger_refund", condition=Q(refund__isnull=False)),
            models.Index(fields=["actor"], name="loyalty_ledger_actor", condition=Q(actor__isnull=False)),
        ]
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

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="points_lots"
    )
    entry = models.OneToOneField(
        LedgerEntry, verbose_name=_("ledger entry"), on_delete=models.PROTECT, related_name="lot"
    )
    # For points a refund returned: the lot they first came from (its root, through any number of
    # redemptions and returns). A refund of the purchase that earned that lot takes these back first.
    origin_lot = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
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
            # The lots that can still be pending: only those credited with an activation delay (a program
            # without a delay writes none of it). customer_figures reads the pending points here, flat in
            # history (issue #16).
            models.Index(
                fields=["customer", "available_at"],
                name="loyalty_lot_pending",
                condition=Q(remaining__gt=0, available_at__gt=F("created_at")),
            ),
            # Only lots that have one (a refund's returned points): a bulk credit writes none of it.
            models.Index(fields=["origin_lot"], name="loyalty_lot_origin", condition=Q(origin_lot__isnull=False)),
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

    entry = models.ForeignKey(
        LedgerEntry, verbose_name=_("ledger entry"), on_delete=models.PROTECT, related_name="debits"
    )
    lot = models.ForeignKey(PointsLot, verbose_name=_("points lot"), on_delete=models.PROTECT, related_name="debits")
    points = models.PositiveBigIntegerField(_("points taken"))

    class Meta:
        verbose_name = _("points taken from a lot")
        verbose_name_plural = _("points taken from lots")
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="loyalty_lotdebit_points_positive")]

    def __str__(self) -> str:
        return f"entry {self.entry_id} took {self.points} from lot {self.lot_id}"
