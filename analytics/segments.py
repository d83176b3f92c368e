"""Segments as sets of customers (issue #13), for the customer list, its export and campaigns: a saved
segment (a named customer-list filter, `SavedSegment`) and an RFM segment (the latest nightly snapshot).

A saved segment is dynamic: its filter is applied when it is used, to the data of that moment, so a
customer enters and leaves it as their tier, balance, purchases or RFM segment change. Its filter is
stored as canonical query parameters (`filter_params_clean`), described in words by `filter_describe`.
A filter that names a tier, an RFM segment or a saved segment that no longer exists has `filter_problems`
and selects nobody (never everyone): a campaign aimed at it reaches no one rather than the whole list.

Reads only; the writes (create, rename, delete, each audited) are in analytics.segment_services.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formatting import points_format
from customers.models import Customer
from loyalty.models import Tier
from loyalty.selectors import customers_with_program_data

from .customer_filters import CustomerFilter
from .exceptions import SavedSegmentError, SavedSegmentNotFound
from .models import SavedSegment
from .rfm import rfm_segment_customer_ids
from .rfm_rules import Segment

FILTER_VALUE_MAX = 1000  # characters kept of one value: enough for the form to say "too long", no more
RANGES = ("last_purchase", "balance", "joined")  # the filters with two halves, `<name>_min` and `<name>_max`
SEPARATOR = " · "  # between the parts of a filter said in words


def filter_params(source: Mapping[str, str]) -> dict[str, str]:
    """The filter values of a GET or POST QueryDict (or any mapping of str): the non-empty values of the
    customer filter's own fields (a range's two halves included), each cut to FILTER_VALUE_MAX characters.
    Everything else (sort, page, export, csrf, a name) is left out."""
    names = set(CustomerFilter.base_filters)
    return {
        key: str(value)[:FILTER_VALUE_MAX]
        for key, value in source.items()
        if value != "" and value is not None and (key in names or key.rsplit("_", 1)[0] in names)
    }


def _bound(params: Mapping[str, str]) -> CustomerFilter:
    return CustomerFilter(dict(params), queryset=customers_with_program_data())


def _errors(filterset: CustomerFilter) -> list[str]:
    """The form's errors as sentences: "Tier no longer exists", "Balance, points: Enter a whole number."."""
    gone = {
        "tier": _("Tier no longer exists"),
        "segment": _("RFM segment no longer exists"),
        "saved": _("Saved segment no longer exists"),
    }
    form = filterset.form
    problems = []
    for name, errors in form.errors.items():
        if name in gone:
            problems.append(gone[name])
            continue
        label = form.fields[name].label if name in form.fields else ""
        problems.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return problems


def filter_params_clean(params: Mapping[str, str]) -> dict[str, str]:
    """The customer filter `params` (query parameters as the list's form sends them, in the active
    language: "1 000" in Russian) as a saved segment stores them: only non-empty filter values, numbers
    without grouping ("1000"), dates in ISO ("2026-03-01"), yes/no as "true"/"false", a tier or saved
    segment by its id. These read the same in every language.

    Raises SavedSegmentError (field "filters") when a value is invalid (the form's error, e.g.
    "Balance, points: Enter a whole number.") or when no filter is set: a segment of everyone is the
    whole list, which needs no name (docs/analytics.md, "Saved segments")."""
    filterset = _bound(filter_params(params))
    form = filterset.form
    if not form.is_valid():
        raise SavedSegmentError(
            _("The filter has invalid values: %(errors)s") % {"errors": "; ".join(_errors(filterset))},
            field="filters",
        )
    clean: dict[str, str] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.MultiValueField):
            for suffix, half_field in zip(("min", "max"), field.fields, strict=True):
                raw = form.data.get(f"{name}_{suffix}")
                if raw in (None, ""):
                    continue
                half = half_field.clean(raw)
                if half is not None:
                    clean[f"{name}_{suffix}"] = half.isoformat() if isinstance(half, dt.date) else str(half)
            continue
        value = form.cleaned_data.get(name)
        if isinstance(value, bool):
            clean[name] = "true" if value else "false"
        elif isinstance(value, models.Model):
            clean[name] = str(value.pk)
        elif value is not None and str(value).strip():
            clean[name] = str(value).strip()
    if not clean:
        raise SavedSegmentError(
            _("Choose at least one filter: a segment of everyone would be the whole customer list."),
            field="filters",
        )
    return clean


def filter_problems(params: Mapping[str, str]) -> list[str]:
    """Why a stored filter selects nobody now, as sentences; [] when it applies. A tier, RFM segment or
    saved segment it names that no longer exists ("Tier no longer exists"), a value that is no longer
    valid (the form's error), or an empty filter (never stored by the service)."""
    if not params:
        return [_("The filter is empty")]
    filterset = _bound(params)
    return [] if filterset.form.is_valid() else _errors(filterset)


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value: str) -> str:
    try:
        return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return str(value)


def _points(value: str) -> tuple[str, int]:
    number = _int(value)
    return (points_format(number), abs(number)) if number is not None else (str(value), 0)


def _range_words(name: str, start: str | None, end: str | None) -> str:
    if name == "balance":
        (low, low_n), (high, high_n) = _points(start or ""), _points(end or "")
        if start and end:
            return ngettext(
                "Balance from %(min)s to %(max)s point", "Balance from %(min)s to %(max)s points", high_n
            ) % {"min": low, "max": high}
        if start:
            return ngettext("Balance from %(min)s point", "Balance from %(min)s points", low_n) % {"min": low}
        return ngettext("Balance up to %(max)s point", "Balance up to %(max)s points", high_n) % {"max": high}
    words = {
        "last_purchase": (
            _("Last purchase from %(start)s to %(end)s"),
            _("Last purchase from %(start)s"),
            _("Last purchase until %(end)s"),
        ),
        "joined": (_("Joined from %(start)s to %(end)s"), _("Joined from %(start)s"), _("Joined until %(end)s")),
    }[name]
    text = words[0] if start and end else words[1] if start else words[2]
    return text % {"start": _date(start or ""), "end": _date(end or "")}


def _yes_no(value: str, yes: str, no: str) -> str:
    return yes if value == "true" else no


def filter_describe(params: Mapping[str, str]) -> list[str]:
    """The filter in words, one part per filter, in the form's order and the active language:
    ["Tier: Gold", "Balance from 500 points", "RFM: At risk"] (join them with SEPARATOR). A tier, RFM
    segment or saved segment that no longer exists says so ("Tier: no longer exists")."""
    parts = []
    for name in CustomerFilter.base_filters:
        if name in RANGES:
            start, end = params.get(f"{name}_min"), params.get(f"{name}_max")
            if start or end:
                parts.append(_range_words(name, start, end))
            continue
        value = params.get(name)
        if not value:
            continue
        if name == "q":
            parts.append(_("Search: “%(text)s”") % {"text": value})
        elif name == "tier":
            tier = Tier.objects.filter(pk=_int(value)).values_list("name", flat=True).first()
            parts.append(_("Tier: %(name)s") % {"name": tier} if tier else _("Tier: no longer exists"))
        elif name == "saved":
            saved = SavedSegment.objects.filter(pk=_int(value)).values_list("name", flat=True).first()
            parts.append(
                _("Saved segment: %(name)s") % {"name": saved} if saved else _("Saved segment: no longer exists")
            )
        elif name == "segment":
            known = value in Segment.values
            parts.append(
                _("RFM: %(segment)s") % {"segment": Segment(value).label} if known else _("RFM: no longer exists")
            )
        elif name == "never_bought":
            parts.append(_yes_no(value, _("Never bought"), _("Has bought")))
        elif name == "consent_email":
            parts.append(_yes_no(value, _("Email consent: yes"), _("Email consent: no")))
        elif name == "consent_sms":
            parts.append(_yes_no(value, _("SMS consent: yes"), _("SMS consent: no")))
    return parts


def segment_customers(segment: SavedSegment) -> QuerySet[Customer]:
    """The customers in the saved segment now: its filter applied to today's data (the segment is dynamic),
    as an unordered `loyalty.selectors.customers_with_program_data()` queryset (`balance`, `tier_order`
    annotated, the tier status joined). Take `.values("pk")` for a subquery.

    Never raises for a stored segment: when its filter has problems (`filter_problems`: a tier, RFM
    segment or saved segment it names was deleted, or an empty filter), the queryset is empty, so that
    a stale segment never widens to everyone. An RFM filter before the first snapshot selects nobody."""
    if not segment.filters:
        return customers_with_program_data().none()
    filterset = _bound(segment.filters)
    if not filterset.form.is_valid():
        return customers_with_program_data().none()
    return filterset.qs


def rfm_segment_customers(segment: Segment | str) -> QuerySet[Customer]:
    """The customers in the RFM segment `segment` (a Segment or its code, "at_risk") in the latest RFM
    snapshot (analytics.rfm), as a `customers_with_program_data()` queryset; empty before the first
    snapshot. Raises ValueError for a code that is no Segment."""
    segment = Segment(segment)
    return customers_with_program_data().filter(pk__in=rfm_segment_customer_ids(segment))


def saved_segment_get(segment_id: int | str) -> SavedSegment:
    """The saved segment with this id; SavedSegmentNotFound (404) when there is none or the id is no
    number."""
    pk = _int(str(segment_id))
    segment = SavedSegment.objects.filter(pk=pk).first() if pk else None
    if segment is None:
        raise SavedSegmentNotFound(_("Saved segment %(id)s does not exist.") % {"id": segment_id})
    return segment


@dataclass(frozen=True)
class SavedSegmentRow:
    """A saved segment for its list: the filter in words, its problems, its current customer count."""

    segment: SavedSegment
    parts: list[str]
    problems: list[str]
    customers: int

    @property
    def words(self) -> str:
        """The filter in words: "Tier: Gold · Balance from 500 points · RFM: At risk"."""
        return SEPARATOR.join(self.parts)


def saved_segments_list() -> list[SavedSegmentRow]:
    """Every saved segment by name, each with its filter in words and its customer count now (one COUNT
    query per segment: the segments are evaluated when asked, none is cached)."""
    rows = []
    for segment in SavedSegment.objects.select_related("created_by").order_by("name", "pk"):
        problems = filter_problems(segment.filters)
        customers = 0 if problems else segment_customers(segment).count()
        rows.append(SavedSegmentRow(segment, filter_describe(segment.filters), problems, customers))
    return rows
