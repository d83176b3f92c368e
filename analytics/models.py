"""Analytics' own tables: derived data (snapshots computed from the other apps' rows) and the saved
segments Marketing names."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from loyalty.models import MONEY

from .rfm_rules import Segment


class RfmSnapshot(models.Model):
    """The RFM scores of every customer who bought in the window, as of a date (analytics.services.rfm_snapshot).

    One per date: computing a date again replaces its rows. Old snapshots are kept, so that the movement
    between segments can be shown against any earlier date."""

    as_of = models.DateField(_("as of"), unique=True)
    window_days = models.PositiveIntegerField(_("window, days"))
    computed_at = models.DateTimeField(_("computed at"))
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    # Each score's tile edges (the best value of each NTILE tile, worst tile first): {"recency_days": [int],
    # "frequency": [int], "monetary": ["123.45"]}. They explain a score ("F 5: more than 3 purchases").
    edges = models.JSONField(_("quintile edges"), default=dict, blank=True)
    # Stored with the snapshot, in its transaction (analytics.services.rfm_snapshot), so that the segments
    # page does not aggregate a row per customer on every view (docs/analytics-rfm.md). None: written
    # before they were stored (analytics 0005); the page then computes them live.
    # The grid's non-empty cells: [[r, f, customers, "revenue", purchases], …].
    grid = models.JSONField(_("grid"), null=True, blank=True, default=None)
    # The movement from the snapshot dated just before: {"previous": "YYYY-MM-DD" or None (the first
    # snapshot), "moves": [[from segment or None, to segment or None, customers], …]}.
    movement = models.JSONField(_("movement"), null=True, blank=True, default=None)

    class Meta:
        verbose_name = _("RFM snapshot")
        verbose_name_plural = _("RFM snapshots")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"RFM {self.as_of.isoformat()} ({self.customers})"


class RfmScore(models.Model):
    """One customer's scores in a snapshot, with the raw figures they came from."""

    # No index of its own: the unique (snapshot, customer) below starts with it. Every row written costs
    # each index, and a snapshot writes a row per customer who bought in the year.
    # Neither foreign key has a database constraint: a snapshot writes a row per customer who bought in the
    # window (a million), and each constraint checked every row at commit, about as long again as writing
    # them (docs/analytics-rfm.md, "How long it takes"). Only analytics.services.rfm_snapshot writes rows,
    # all in the transaction that writes their snapshot, for the customers of the purchases it read
    # (customers are never deleted); deleting a snapshot deletes its rows (the ORM's cascade, and
    # rfm_snapshots_prune before it).
    snapshot = models.ForeignKey(
        RfmSnapshot,
        verbose_name=_("snapshot"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
        db_constraint=False,
    )
    # Indexed (the foreign key's own index): a customer's rows across snapshots, and deleting a customer.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="rfm_scores", db_constraint=False
    )
    recency_days = models.PositiveIntegerField(_("days since last purchase"))
    frequency = models.PositiveIntegerField(_("purchases in window"))
    monetary = models.DecimalField(_("money in window"), **MONEY)
    recency_score = models.PositiveSmallIntegerField(_("recency score"))
    frequency_score = models.PositiveSmallIntegerField(_("frequency score"))
    monetary_score = models.PositiveSmallIntegerField(_("monetary score"))
    segment = models.CharField(_("segment"), max_length=32, choices=Segment.choices)

    class Meta:
        verbose_name = _("RFM score")
        verbose_name_plural = _("RFM scores")
        constraints = [
            # Also the index of the customer page (a customer's row in the latest snapshot) and of "this
            # snapshot's rows" (the grid, the movement, a re-run's delete).
            models.UniqueConstraint(fields=["snapshot", "customer"], name="analytics_rfmscore_once_per_snapshot"),
            models.CheckConstraint(
                condition=Q(recency_score__gte=1, recency_score__lte=5)
                & Q(frequency_score__gte=1, frequency_score__lte=5)
                & Q(monetary_score__gte=1, monetary_score__lte=5),
                name="analytics_rfmscore_scores_1_to_5",
            ),
            models.CheckConstraint(condition=Q(frequency__gte=1), name="analytics_rfmscore_bought"),
        ]
        indexes = [
            # The customer list's filter and the export: the latest snapshot's customers in a segment.
            models.Index(fields=["snapshot", "segment"], name="analytics_rfmscore_segment"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.customer_id}: R{self.recency_score} F{self.frequency_score} M{self.monetary_score} {self.segment}"
        )


# The figures a key metric may be (analytics.figures keys). Churn is the count of customers asleep 90 days:
# the one of the four where lower is better (analytics.rules.KEY_METRIC_LOWER_IS_BETTER).
class KeyMetric(models.TextChoices):
    REPEAT_RATE = "repeat_rate", _("Repeat rate")
    AVG_CHECK = "avg_check", _("Average check")
    PURCHASE_FREQUENCY = "purchase_frequency", _("Purchase frequency")
    ASLEEP_90D = "asleep_90d", _("Churn: customers asleep 90 days")


RFM_WINDOW_MIN, RFM_WINDOW_MAX = 30, 1095  # days: a month to three years
KEY_METRIC_DAYS_MIN, KEY_METRIC_DAYS_MAX = 7, 365  # the key metric's measuring window, days
TARGET_PERCENT_MAX = 1000  # a raise of at most 1 000 %; a cut of at most 100 % (analytics.services)


class AnalyticsSettings(models.Model):
    """The analytics section's settings: one row (pk=1), read through analytics.selectors.analytics_settings_get
    and changed only by analytics.services.analytics_settings_update (audited).

    The key metric: the one figure the program is for, a target as a relative change from its baseline
    ("raise the average check by 15 %", "cut churn by 10 %") and the date to reach it by. The baseline is the
    figure over `key_metric_days` days ending the day before the target was set, stored with its window, so
    that later changes to history (a late refund) never move the start line."""

    key_metric = models.CharField(_("key metric"), max_length=32, choices=KeyMetric.choices, blank=True)
    target_percent = models.DecimalField(_("target change, %"), max_digits=6, decimal_places=2, null=True, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    key_metric_days = models.PositiveIntegerField(_("measured over, days"), default=90)
    # The figure when the target was set (a rate as a fraction, money in the program's currency, a count…)
    # and the inclusive local dates it was measured over.
    baseline_value = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_start = models.DateField(_("baseline from"), null=True, blank=True)
    baseline_end = models.DateField(_("baseline to"), null=True, blank=True)
    rfm_window_days = models.PositiveIntegerField(_("RFM analysis window, days"), default=365)

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="analytics_analyticssettings_one_row"),
            models.CheckConstraint(
                condition=Q(rfm_window_days__gte=RFM_WINDOW_MIN, rfm_window_days__lte=RFM_WINDOW_MAX),
                name="analytics_analyticssettings_rfm_window",
            ),
            models.CheckConstraint(
                condition=Q(key_metric_days__gte=KEY_METRIC_DAYS_MIN, key_metric_days__lte=KEY_METRIC_DAYS_MAX),
                name="analytics_analyticssettings_key_metric_days",
            ),
            models.CheckConstraint(
                condition=Q(key_metric="")
                | Q(
                    target_percent__gt=0,
                    target_percent__lte=TARGET_PERCENT_MAX,
                    target_date__isnull=False,
                    baseline_value__isnull=False,
                    baseline_start__isnull=False,
                    baseline_end__isnull=False,
                ),
                name="analytics_analyticssettings_target_complete",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Analytics settings"))


class SavedSegment(models.Model):
    """A customer-list filter kept under a name, for the customer list, its export and campaigns (issue #13).

    `filters` holds the customer list's filter as canonical query parameters ({"tier": "3", "balance_min":
    "500", "segment": "at_risk"}: only the filter form's fields, never the sort or the page; numbers
    without grouping, dates in ISO), so that it reads the same in every language. The segment is dynamic:
    `analytics.segments.segment_customers` applies the filter when it is used, to the data of that moment."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    filters = models.JSONField(_("filter"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="saved_segments",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("saved segment")
        verbose_name_plural = _("saved segments")
        constraints = [
            # "Lapsed Gold" and "lapsed gold" are one name (the service says so before the database does).
            models.UniqueConstraint(Lower("name"), name="analytics_savedsegment_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class DashboardSnapshot(models.Model):
    """Figures of the analytics pages computed by the nightly job for a date, so that the pages need not
    compute them live over every purchase (analytics.services.dashboard_snapshot; docs/analytics.md).

    The snapshot of `as_of` is written after the daily run of that date and holds figures up to the end of
    the day before it (the last whole day). One row per (date, kind, period): `period` rows hold
    analytics.selectors.period_kpis for a period `start`..`end`; the `economics` row holds
    analytics.economics.monthly_economics and the `cohorts` row analytics.cohorts.cohort_retention, both
    ending with `end`. `data` is their result encoded by analytics.snapshots (Decimals kept exact)."""

    class Kind(models.TextChoices):
        PERIOD = "period", _("Period figures")
        ECONOMICS = "economics", _("Program economics")
        COHORTS = "cohorts", _("Cohorts")

    as_of = models.DateField(_("as of"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    computed_at = models.DateTimeField(_("computed at"))
    data = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        ordering = ["-as_of", "kind", "start", "end"]
        constraints = [
            # Also the index of the pages' look-up (kind, start, end; latest as_of) — see analytics.snapshots.
            models.UniqueConstraint(
                fields=["kind", "start", "end", "as_of"], name="analytics_dashboardsnapshot_once_per_date"
            ),
        ]
        indexes = [models.Index(fields=["as_of"], name="analytics_dashboardsnap_as_of")]

    def __str__(self) -> str:
        return f"{self.kind} {self.start.isoformat()}..{self.end.isoformat()} as of {self.as_of.isoformat()}"


# Sums of up to millions of checks: room beyond a single check's 12 digits.
TOTAL = {"max_digits": 18, "decimal_places": 2}


class CustomerSummary(models.Model):
    """One customer's purchases summed up as of the start of a day E (the nightly job's date; the date and
    the windows are on CustomerSummaryState), so that the nightly snapshots and the simulator read one row
    per customer instead of every purchase (analytics.summary; docs/analytics.md, "The customer summary").

    Counted purchases are those of docs/analytics.md as of E: recorded before E, net of the refunds recorded
    before E, net above zero. Only customers with a purchase before E have a row. Maintained by
    analytics.summary.customer_summary_refresh: rebuilt for the customers whose purchases or refunds were
    recorded since the last refresh, or crossed one of the windows' edges since it."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.DO_NOTHING,  # customers are never deleted (PROTECT elsewhere); erased ones keep rows
        db_constraint=False,  # a derived table rewritten in bulk: no per-row constraint check
        related_name="+",
    )
    # The first (by time, then id), second and latest counted purchase.
    first_at = models.DateTimeField(_("first purchase"), null=True)
    first_id = models.BigIntegerField(_("first purchase id"), null=True)
    second_at = models.DateTimeField(_("second purchase"), null=True)
    last_at = models.DateTimeField(_("latest purchase"), null=True)
    # The RFM window [E − rfm_window_days, E): counted purchases and Σ their net money.
    rfm_purchases = models.PositiveIntegerField(_("purchases in the RFM window"), default=0)
    rfm_money = models.DecimalField(_("net money in the RFM window"), default=0, **TOTAL)
    # The simulator's qualifying spend (every purchase's qualifying amount, refunds as they stand) and the
    # purchases with some: over the tier window ending at the replay's start (E − 90 days) and ending at E.
    spend_before = models.DecimalField(_("qualifying spend before the replay"), default=0, **TOTAL)
    purchases_before = models.PositiveIntegerField(_("qualifying purchases before the replay"), default=0)
    spend_at_end = models.DecimalField(_("qualifying spend at the replay's end"), default=0, **TOTAL)
    purchases_at_end = models.PositiveIntegerField(_("qualifying purchases at the replay's end"), default=0)

    class Meta:
        verbose_name = _("customer summary")
        verbose_name_plural = _("customer summaries")

    def __str__(self) -> str:
        return f"summary of customer {self.customer_id}"


class CustomerMonth(models.Model):
    """A customer's counted purchases in one calendar month (local, `month` its first day) as of the start of
    the customer summary's day E: Σ their net money (Decimal 0.01; above zero, as every counted purchase's
    net is). Only months with a counted purchase have a row. What the cohorts read instead of the year's
    purchases (analytics.cohorts: buyers of a cell = its rows, revenue = Σ net; docs/analytics.md, "The
    customer summary"). Kept by analytics.summary with CustomerSummary: a row depends only on the customer's
    own purchases and refunds before E, never on a window's edge, so only rebuilt customers' rows change."""

    pk = models.CompositePrimaryKey("customer_id", "month")  # no id column: the key is the rebuild's index
    customer_id = models.BigIntegerField(_("customer id"))
    month = models.DateField(_("month"))
    net = models.DecimalField(_("net money"), **TOTAL)

    class Meta:
        verbose_name = _("customer month")
        verbose_name_plural = _("customer months")

    def __str__(self) -> str:
        return f"customer {self.customer_id}, {self.month.isoformat()}"


class CustomerSummaryState(models.Model):
    """The one row saying what CustomerSummary holds: as of the start of which day, over which windows, and
    up to which purchase and refund ids it has read (the next refresh reads the rows recorded after them)."""

    as_of = models.DateField(_("as of"))
    rfm_window_days = models.PositiveIntegerField(_("RFM window, days"))
    tier_window_days = models.PositiveIntegerField(_("tier window, days"), null=True)
    replay_days = models.PositiveIntegerField(_("replay window, days"))
    purchase_id_max = models.BigIntegerField(_("last purchase id read"), default=0)
    refund_id_max = models.BigIntegerField(_("last refund id read"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    customers_refreshed = models.PositiveIntegerField(_("customers refreshed"), default=0)
    full = models.BooleanField(_("rebuilt in full"), default=False)

    class Meta:
        verbose_name = _("customer summary state")
        verbose_name_plural = _("customer summary states")

    def __str__(self) -> str:
        return f"customer summary as of {self.as_of.isoformat()}"


# PointsDayTotal's stand-in for "no such day" (a lot that never expires, a column a part does not use), so
# that the unique key has no NULL and new rows are added to their group with INSERT … ON CONFLICT.
NO_DAY = "0001-01-01"


class PointsDayTotal(models.Model):
    """The ledger, the lots and the lot debits summed by local day (analytics.points_days), kept up to date
    by adding the rows recorded since the last refresh: each group's sum only ever grows by new rows,
    because ledger entries, lots' dates and points, and lot debits are never changed once written.

    `part` "ledger": `day` = the entries' day, a/b/c = points issued / redeemed / expired (as signed in
    the ledger). "first_redeem": `day` = the day of customers' first redemption, a = customers. "lot":
    `day` = the credit day, `last_day` = the last day starting before its expiry (NO_DAY: never),
    `available_last` = the last day starting before it becomes spendable, a = points. "debit": `day` = the
    debit entry's day, `lot_day`, `last_day`, `available_last` = its lot's, a = points taken."""

    part = models.CharField(_("part"), max_length=12)
    day = models.DateField(_("day"))
    lot_day = models.DateField(_("lot's credit day"), default=NO_DAY)
    last_day = models.DateField(_("last day before expiry"), default=NO_DAY)
    available_last = models.DateField(_("last day before spendable"), default=NO_DAY)
    a = models.BigIntegerField(db_default=0)
    b = models.BigIntegerField(db_default=0)
    c = models.BigIntegerField(db_default=0)

    class Meta:
        verbose_name = _("points day total")
        verbose_name_plural = _("points day totals")
        constraints = [
            models.UniqueConstraint(
                fields=["part", "day", "lot_day", "last_day", "available_last"], name="analytics_pointsday_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.part} {self.day.isoformat()}"


class PointsDayState(models.Model):
    """The one row saying up to which ids PointsDayTotal has read the ledger, the lots and the debits."""

    entry_id_max = models.BigIntegerField(_("last ledger entry id read"), default=0)
    lot_id_max = models.BigIntegerField(_("last lot id read"), default=0)
    debit_id_max = models.BigIntegerField(_("last lot debit id read"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("points day state")
        verbose_name_plural = _("points day states")

    def __str__(self) -> str:
        return f"points days up to entry {self.entry_id_max}"


class ReplayPurchase(models.Model):
    """A purchase of the what-if simulator's replay window [E − 90 days, E), with what the replay needs of it
    that no scenario changes (analytics.simulator; kept by analytics.summary with the customer summary of
    day E): money in cents, points as integers, and the customer's qualifying spend (cents) and purchases
    before it — over the tier window ending at the replay's start plus the window's purchases before it."""

    purchase_id = models.BigIntegerField(_("purchase id"), primary_key=True)
    customer_id = models.BigIntegerField(_("customer id"))
    amount_c = models.BigIntegerField(_("amount, cents"))
    refunded_c = models.BigIntegerField(_("refunded in the window, cents"))
    redeemed = models.IntegerField(_("points redeemed"))
    earned = models.IntegerField(_("points earned"))
    held = models.BigIntegerField(_("points held before it"))
    spend = models.BigIntegerField(_("qualifying spend before it, cents"))
    purchases = models.IntegerField(_("qualifying purchases before it"))

    class Meta:
        verbose_name = _("replayed purchase")
        verbose_name_plural = _("replayed purchases")
        indexes = [models.Index(fields=["customer_id"], name="analytics_replay_customer")]

    def __str__(self) -> str:
        return f"replayed purchase {self.purchase_id}"
