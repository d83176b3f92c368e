"""The customer list's filter (django-filter), below the screens: the console's customer list and its CSV
export apply it, and so does a saved segment (analytics.segments), so that campaigns can target the same
customers without importing the console. The console only styles the form (console.filters)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.rfm import rfm_segment_customer_ids
from analytics.rfm_rules import Segment
from core.forms import BoundedDateFromToRangeFilter, LocalIntegerField
from customers.models import Customer
from customers.selectors import customer_search
from loyalty.models import Tier

from .models import SavedSegment

SEARCH_MAX = 100  # characters of a search box: a longer text is refused, not searched for


class PointsRangeField(django_filters.fields.RangeField):
    """From–to whole points, each typed as people type them ("1 000"): core.forms.LocalIntegerField."""

    def __init__(self, fields=None, *args, **kwargs):
        super().__init__(fields or (LocalIntegerField(), LocalIntegerField()), *args, **kwargs)


class PointsRangeFilter(django_filters.RangeFilter):
    field_class = PointsRangeField


class AnyYesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter's select: "Any" (no filtering), "Yes", "No" (Django's own says "Unknown" for the
    first, which reads as a value rather than as "don't filter")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class CustomerFilter(django_filters.FilterSet):
    """The list's filters, short selects first and the ranges last, so that the form lays out in two even
    rows on a wide screen (customer_list.html gives the search and the ranges wider columns).

    Apply it to `loyalty.selectors.customers_with_program_data()` (the tier filter reads its `tier_order`).
    The query parameters are the form's: `q`, `tier` (a Tier's id), `saved` (a SavedSegment's id),
    `segment` (an RFM segment's code), `never_bought`, `consent_email`, `consent_sms` ("true"/"false"),
    `last_purchase_min/_max`, `joined_min/_max` (dates), `balance_min/_max` (whole points)."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=SEARCH_MAX)
    tier = django_filters.ModelChoiceFilter(
        label=_("Tier"),
        queryset=Tier.objects.order_by("order"),
        method="filter_tier",
        empty_label=_("Any"),
    )
    segment = django_filters.ChoiceFilter(
        label=_("RFM segment"), choices=Segment.choices, method="filter_segment", empty_label=_("Any")
    )
    saved = django_filters.ModelChoiceFilter(
        label=_("Saved segment"),
        queryset=SavedSegment.objects.order_by("name", "pk"),
        method="filter_saved",
        empty_label=_("Any"),
        error_messages={"invalid_choice": _("This saved segment no longer exists.")},
    )
    never_bought = django_filters.BooleanFilter(
        label=_("Never bought"), field_name="last_purchase_at", lookup_expr="isnull", widget=AnyYesNoSelect
    )
    consent_email = django_filters.BooleanFilter(label=_("Email consent"), widget=AnyYesNoSelect)
    consent_sms = django_filters.BooleanFilter(label=_("SMS consent"), widget=AnyYesNoSelect)
    last_purchase = BoundedDateFromToRangeFilter(
        label=_("Last purchase"),
        field_name="last_purchase_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )
    balance = PointsRangeFilter(label=_("Balance, points"), field_name="balance")
    joined = BoundedDateFromToRangeFilter(
        label=_("Joined"),
        field_name="created_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_segment(self, queryset, name, segment):
        """Customers in `segment` in the latest RFM snapshot (analytics.rfm); none before the first one."""
        return queryset.filter(pk__in=rfm_segment_customer_ids(segment))

    def filter_saved(self, queryset, name, saved):
        """Customers in the saved segment `saved` now (analytics.segments.segment_customers), within the
        other filters."""
        from .segments import segment_customers  # segments builds on this module

        return queryset.filter(pk__in=segment_customers(saved).values("pk"))

    def filter_tier(self, queryset, name, tier):
        """Customers holding `tier`: with it as their status, or, for the entry tier, with no status yet
        (customers_with_program_data's `tier_order`, the rule of loyalty.selectors.tier_current)."""
        return queryset.filter(tier_order=tier.order)

    def filter_q(self, queryset, name, value):
        """What the till would find (customers.selectors.customer_search), within the other filters."""
        if not value.strip():
            return queryset
        return queryset.filter(pk__in=customer_search(value).values("pk"))
