"""The console's customer list filters (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audit import AuditAction
from core.models import AuditEntry
from core.selectors import audit_about_customers
from customers.models import Customer
from customers.rules import phone_try_normalize
from customers.selectors import customer_search
from loyalty.models import Tier


def _styled(form):
    for field in form.fields.values():
        widget = field.widget
        css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
        for sub in getattr(widget, "widgets", [widget]):
            sub.attrs.setdefault("class", css)
    return form


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    tier = django_filters.ModelChoiceFilter(
        label=_("Tier"), queryset=Tier.objects.order_by("order"), field_name="tier_status__tier"
    )
    last_purchase = django_filters.DateFromToRangeFilter(
        label=_("Last purchase"),
        field_name="last_purchase_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )
    never_bought = django_filters.BooleanFilter(
        label=_("Never bought"), field_name="last_purchase_at", lookup_expr="isnull"
    )
    balance = django_filters.RangeFilter(label=_("Balance, points"), field_name="balance")
    consent_email = django_filters.BooleanFilter(label=_("Email consent"))
    consent_sms = django_filters.BooleanFilter(label=_("SMS consent"))
    joined = django_filters.DateFromToRangeFilter(
        label=_("Joined"),
        field_name="created_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("created_at", "joined"),
            ("name", "name"),
            ("last_purchase_at", "last_purchase"),
            ("balance", "balance"),
        ),
        field_labels={
            "joined": _("Joined"),
            "name": _("Name"),
            "last_purchase": _("Last purchase"),
            "balance": _("Balance"),
        },
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        condition = Q(name__icontains=text) | Q(email__iexact=text) | Q(card_number=text)
        phone = phone_try_normalize(text)
        if phone:
            condition |= Q(phone=phone)
        return queryset.filter(condition)

    @property
    def form(self):
        return _styled(super().form)


# A customer filter naming more people than this (part of a common name) looks at the first ones only.
AUDIT_CUSTOMERS_MAX = 500


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=[], empty_label=_("All actions"))
    customer = django_filters.CharFilter(label=_("Customer"), method="filter_customer")
    actor = django_filters.CharFilter(label=_("Who"), field_name="actor__username", lookup_expr="iexact")
    when = django_filters.DateFromToRangeFilter(
        label=_("When"),
        field_name="created_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )
    text = django_filters.CharFilter(label=_("Text"), field_name="summary", lookup_expr="icontains")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["action"].extra["choices"] = AuditAction.choices
        self.filters["customer"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Phone, card, email or name")}
        )

    def filter_customer(self, queryset, name, value):
        """Entries about the customers a phone (any format), card number, email or part of the name finds."""
        if not value.strip():
            return queryset
        ids = customer_search(value).order_by("pk").values_list("pk", flat=True)[:AUDIT_CUSTOMERS_MAX]
        return queryset.filter(audit_about_customers(ids))

    @property
    def form(self):
        return _styled(super().form)
