"""Analytics' own tables: derived data only (snapshots computed from the other apps' rows)."""

from django.db import models
from django.db.models import Q
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
    snapshot = models.ForeignKey(
        RfmSnapshot, verbose_name=_("snapshot"), on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    # Indexed (the foreign key's own index): a customer's rows across snapshots, and deleting a customer.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="rfm_scores"
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
