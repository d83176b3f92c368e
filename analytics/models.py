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
