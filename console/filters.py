"""The console's list filters (django-filter) and the customer list's sortable columns."""

from dataclasses import dataclass
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics import customer_filters as analytics_customer_filters
from analytics.customer_filters import SEARCH_MAX
from core.audit import AuditAction
from core.forms import BoundedDateFromToRangeFilter
from core.models import AuditEntry
from core.selectors import audit_about_customers
from customers.selectors import customer_search
from messaging.models import Channel, Message


def _styled(form):
    for field in form.fields.values():
        widget = field.widget
        css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
        for sub in getattr(widget, "widgets", [widget]):
            sub.attrs.setdefault("class", css)
    return form


class CustomerFilter(analytics_customer_filters.CustomerFilter):
    """The customer list's filter (analytics.customer_filters, where saved segments and campaigns apply it
    too), with the console's styling of its form."""

    @property
    def form(self):
        return _styled(super().form)


@dataclass(frozen=True)
class SortHeader:
    """One column header of the customer list: its label and, for a sortable column, the link that sorts
    by it (`url`), the arrow of the current sort (`arrow`, "" elsewhere), `aria_sort` for screen readers and
    the link's `title` ("Sort by “Balance”, descending")."""

    label: str
    url: str = ""
    arrow: str = ""
    aria_sort: str = ""
    title: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class CustomerSort:
    """The customer list's order, as the `sort` URL parameter says it: a column key ("balance"), with a
    leading "-" for descending ("-balance"). Not personal data, so it travels in the URL (the filters stay
    in the session). Ties are broken by the customer's id, so that pages never repeat or skip a row; rows
    without a value (no tier, never bought) come last in either direction."""

    column: str = "joined"
    descending: bool = True

    # column key -> (header label, queryset field or None when the column does not sort, numeric)
    COLUMNS: ClassVar[dict[str, tuple[Any, str | None, bool]]] = {
        "name": (_("Name"), "name", False),
        "phone": (_("Phone"), None, False),
        "card": (_("Card"), None, False),
        "tier": (_("Tier"), "tier_order", False),
        "balance": (_("Balance"), "balance", True),
        "joined": (_("Joined"), "created_at", False),
        "last_purchase": (_("Last purchase"), "last_purchase_at", False),
    }

    @classmethod
    def parse(cls, value: str | None) -> "CustomerSort":
        """The order a `sort` value asks for; the default (newest first) for an empty or unknown value."""
        value = (value or "").strip()
        descending = value.startswith("-")
        column = value[1:] if descending else value
        if cls.COLUMNS.get(column, (None, None))[1] is None:
            return cls()
        return cls(column=column, descending=descending)

    @property
    def param(self) -> str:
        """The `sort` URL value: "balance" or "-balance"."""
        return f"-{self.column}" if self.descending else self.column

    @property
    def is_default(self) -> bool:
        return self == CustomerSort()

    def apply(self, queryset: QuerySet) -> QuerySet:
        field = F(self.COLUMNS[self.column][1])
        if self.descending:
            return queryset.order_by(field.desc(nulls_last=True), "-id")
        return queryset.order_by(field.asc(nulls_last=True), "id")

    def headers(self, query: str) -> list[SortHeader]:
        """The table's headers. A click on a column sorts by it, ascending; on the current column, the other
        way round. `query` is the rest of the list's URL (the filter token), kept by every link."""
        prefix = f"?{query}&sort=" if query else "?sort="
        headers = []
        for column, (label, field, numeric) in self.COLUMNS.items():
            if field is None:
                headers.append(SortHeader(label=str(label), numeric=numeric))
                continue
            current = column == self.column
            descending = current and not self.descending
            if descending:
                title = gettext("Sort by “%(column)s”, descending") % {"column": label}
            else:
                title = gettext("Sort by “%(column)s”, ascending") % {"column": label}
            headers.append(
                SortHeader(
                    label=str(label),
                    url=prefix + (f"-{column}" if descending else column),
                    arrow=("↓" if self.descending else "↑") if current else "",
                    aria_sort=("descending" if self.descending else "ascending") if current else "",
                    title=title,
                    numeric=numeric,
                )
            )
        return headers


# A customer filter naming more people than this (part of a common name) looks at the first ones only.
AUDIT_CUSTOMERS_MAX = 500


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=[], empty_label=_("All actions"))
    customer = django_filters.CharFilter(label=_("Customer"), method="filter_customer", max_length=SEARCH_MAX)
    actor = django_filters.CharFilter(
        label=_("Who"), field_name="actor__username", lookup_expr="iexact", max_length=SEARCH_MAX
    )
    when = BoundedDateFromToRangeFilter(
        label=_("When"),
        field_name="created_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )
    text = django_filters.CharFilter(
        label=_("Text"), field_name="summary", lookup_expr="icontains", max_length=SEARCH_MAX
    )

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


BIGINT_MAX = 2**63 - 1  # the largest id a database key holds: larger is a form error, not an overflow (500)


class MessageFilter(django_filters.FilterSet):
    """The outbox's filters (issue #14): status, channel, kind, the customer (found as the customer list
    finds them, or by id from a customer's page — an id, never a phone, goes in the URL) and the day the
    message was queued (shop's time zone, both days included)."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=Message.Status.choices, empty_label=_("Any"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("Any"))
    kind = django_filters.CharFilter(label=_("Kind"), field_name="kind", lookup_expr="exact", max_length=60)
    customer = django_filters.CharFilter(label=_("Customer"), method="filter_customer", max_length=SEARCH_MAX)
    customer_id = django_filters.NumberFilter(
        field_name="customer_id", widget=forms.HiddenInput, min_value=1, max_value=BIGINT_MAX
    )
    when = BoundedDateFromToRangeFilter(
        label=_("Queued"),
        field_name="created_at",
        lookup_expr="date__range",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Message
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["customer"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Phone, card, email or name")}
        )

    def filter_customer(self, queryset, name, value):
        """Messages to the customers a phone (any format), card number, email or part of the name finds."""
        if not value.strip():
            return queryset
        return queryset.filter(customer__in=customer_search(value).values("pk"))

    @property
    def form(self):
        return _styled(super().form)
