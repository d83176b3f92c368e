"""The console's customers: a filterable list with CSV export, and the customer page."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analytics.exceptions import SavedSegmentError
from analytics.rfm import customer_segment
from analytics.segments import SEPARATOR, filter_describe, filter_params, filter_params_clean, filter_problems
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.logging import personal_data_mask
from core.permissions import permission_required
from core.spreadsheet import csv_response
from customers.selectors import customer_get
from customers.services import (
    EDITABLE_FIELDS,
    customer_erase,
    customer_export_record,
    customer_personal_data,
    customer_update,
)
from loyalty.selectors import (
    customer_loyalty_data,
    customers_with_program_data,
    entry_tier,
    ledger_for_customer,
    lots_for_customer,
    points_summary,
    program_settings_get,
    purchases_for_customer,
    tier_progress,
    tiers_list,
)
from loyalty.services import points_adjust
from messaging.rules import address_mask
from messaging.selectors import customer_consents, customer_messages_latest, customer_messaging_data, kind_label

from ..filter_tokens import filters_recall, filters_remember
from ..filters import CustomerFilter, CustomerSort
from ..forms import AdjustmentForm, CustomerProfileForm, SavedSegmentForm

PAGE_SIZE = 25


FILTERS_KEY = "console_customer_filters"  # {token: {field: value}} in the session (console.filter_tokens)


@permission_required("customers.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    """The customer list with its filters and sortable columns. The filter form is POSTed and kept in the
    session under a short token (`?f=…`), so that a phone or an email typed into the search never travels
    in a URL (browser history, proxy logs: issue #11); the order is no personal data and stays in the URL
    (`&sort=-balance`, see CustomerSort). Pagination, the column headers and the CSV export carry both.
    Plain GET filters (old bookmarks, `?tier=…&sort=…`) still work."""
    if request.method == "POST":
        token = filters_remember(request, FILTERS_KEY, filter_params(request.POST))
        sort = CustomerSort.parse(request.POST.get("sort"))
        return redirect(f"{request.path}?f={token}" + ("" if sort.is_default else f"&sort={sort.param}"))
    token = request.GET.get("f", "")
    data = filters_recall(request, FILTERS_KEY, token) if token else filter_params(request.GET) or None
    sort = CustomerSort.parse(request.GET.get("sort"))
    filterset = CustomerFilter(data, queryset=customers_with_program_data())
    # A filter with an error (a bad balance, a saved segment deleted since) shows nobody and exports
    # nothing, rather than everyone: the form says what is wrong.
    valid = not filterset.is_bound or filterset.is_valid()
    queryset = sort.apply(filterset.qs if filterset.is_bound and valid else filterset.queryset)
    if not valid:
        queryset = queryset.none()
    export = request.GET.get("export") == "csv"
    if export and valid:
        return _csv_export(queryset)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    if token and data is not None:
        filters_query = f"f={token}"
    else:
        query_dict = QueryDict(mutable=True)
        query_dict.update(data or {})
        filters_query = query_dict.urlencode()
    sort_query = "" if sort.is_default else f"sort={sort.param}"
    context = {
        "filter": filterset,
        "page": page,
        "query": "&".join(part for part in (filters_query, sort_query) if part),
        "sort": sort,
        "headers": sort.headers(filters_query),
        "program": program_settings_get(),
        "entry_tier": entry_tier(tiers_list()),  # the tier of customers with no status yet
        **_segments_context(request, filterset, data if filterset.is_bound and valid else None),
    }
    return render(request, "console/customer_list.html", context, status=400 if export else 200)


def _segments_context(request: HttpRequest, filterset: CustomerFilter, data: dict | None) -> dict:
    """The list's saved-segment parts: the saved segment applied (with its filter in words and why it
    selects nobody, if it does), and the current filter, in words, for "Save as segment" (a valid filter
    that is not empty: a segment of everyone needs no name)."""
    saved = filterset.form.cleaned_data.get("saved") if data else None
    try:
        clean = filter_params_clean(data) if data else None
    except SavedSegmentError:
        clean = None
    return {
        "saved": saved,
        "saved_words": SEPARATOR.join(filter_describe(saved.filters)) if saved else "",
        "saved_problems": filter_problems(saved.filters) if saved else [],
        "save_filter": clean and data,
        "save_filter_words": SEPARATOR.join(filter_describe(clean)) if clean else "",
        "can_save_segment": request.user.has_perm("analytics.add_savedsegment"),
        "segment_form": SavedSegmentForm(),
    }


def _csv_export(queryset) -> StreamingHttpResponse:
    header = [
        _("Name"),
        _("Phone"),
        _("Card"),
        _("Email"),
        _("Tier"),
        _("Balance"),
        _("Joined"),
        _("Last purchase"),
        _("Email consent"),
        _("SMS consent"),
    ]

    entry = entry_tier(tiers_list())  # the tier of customers with no status yet

    def rows():
        yield header
        for c in queryset.iterator(chunk_size=2000):
            tier = getattr(getattr(c, "tier_status", None), "tier", None) or entry
            yield [
                c.name,
                c.phone,
                c.card_number,
                c.email or "",
                tier.name if tier else "",
                c.balance,
                timezone.localtime(c.created_at).date().isoformat(),
                timezone.localtime(c.last_purchase_at).date().isoformat() if c.last_purchase_at else "",
                int(c.consent_email),
                int(c.consent_sms),
            ]

    return csv_response(rows(), filename=f"customers-{timezone.localdate().isoformat()}.csv")


def _customer_or_404(customer_id: int):
    customer = customer_get(customer_id)
    if customer is None:
        raise Http404(_("No such customer."))
    return customer


def _detail_context(request, customer, *, profile_form=None, adjust_form=None) -> dict:
    ledger_page = Paginator(ledger_for_customer(customer.pk), 50).get_page(request.GET.get("ledger_page"))
    return {
        "customer": customer,
        "points": points_summary(customer.pk),
        "progress": tier_progress(customer.pk),
        "segment": customer_segment(customer.pk),  # the latest RFM snapshot's row, or None
        "lots": list(lots_for_customer(customer.pk)[:50]),
        "ledger": ledger_page,
        "purchases": list(purchases_for_customer(customer.pk)[:20]),
        "program": program_settings_get(),
        "profile_form": profile_form
        or CustomerProfileForm(initial={field: getattr(customer, field) for field in EDITABLE_FIELDS}),
        "adjust_form": adjust_form or AdjustmentForm(initial={"idempotency_key": uuid.uuid4().hex}),
        "can_edit": request.user.has_perm("customers.change_customer"),
        "can_adjust": request.user.has_perm("customers.adjust_points"),
        "can_erase": request.user.has_perm("customers.erase_customer"),
        **_messaging_context(request, customer),
    }


def _messaging_context(request, customer) -> dict:
    """The customer's latest messages (addresses masked) and consent per channel with its history, for
    those who may read the outbox (messaging.view_message); nothing for the others."""
    if not request.user.has_perm("messaging.view_message"):
        return {"can_view_messages": False}
    latest = customer_messages_latest(customer.pk)  # not "messages": that is django.contrib.messages' name
    for message in latest:
        message.address_masked = address_mask(message.address)
        message.kind_label = kind_label(message.kind)
    consents = customer_consents(customer)
    for consent in consents:
        for change in consent.history:  # a STOP reply's text is the customer's own: masked like the logs
            change.note_masked = personal_data_mask(change.note)
    return {"can_view_messages": True, "customer_messages": latest, "consents": consents}


@permission_required("customers.view_customer")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    return render(request, "console/customer_detail.html", _detail_context(request, customer))


@permission_required("customers.change_customer")
@require_POST
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    form = CustomerProfileForm(request.POST)
    if form.is_valid():
        try:
            customer_update(customer=customer, actor=request.user, origin="console", **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("console:customer", customer_id=customer.pk)
    customer.refresh_from_db()
    context = _detail_context(request, customer, profile_form=form)
    return render(request, "console/customer_detail.html", context, status=400)


@permission_required("customers.adjust_points")
@require_POST
def customer_adjust(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            entry = points_adjust(
                customer_id=customer.pk,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                idempotency_key=f"console:{form.cleaned_data['idempotency_key']}",
                origin="console",
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("%(points)+d points: %(reason)s") % {"points": entry.points, "reason": entry.reason}
            )
            return redirect("console:customer", customer_id=customer.pk)
    context = _detail_context(request, customer, adjust_form=form)
    return render(request, "console/customer_detail.html", context, status=400)


@permission_required("customers.erase_customer")
def customer_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Everything held about the customer, as a JSON download, or CSV with `?format=csv` (the right of
    access); audited."""
    customer = _customer_or_404(customer_id)
    data = {
        "exported_at": timezone.now().isoformat(),
        "customer": customer_personal_data(customer),
        "loyalty": customer_loyalty_data(customer.pk),
        "messaging": customer_messaging_data(customer.pk),
    }
    customer_export_record(customer=customer, actor=request.user, origin="console")
    if request.GET.get("format") == "csv":
        response = csv_response(_personal_data_rows(data), filename=f"customer-{customer.pk}.csv")
    else:
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


def _personal_data_rows(data: dict):
    """The export as one spreadsheet: the profile as field/value rows, then one table per kind of record
    (ledger, purchases, consents, messages), each headed by its column names."""
    yield ["section", "field", "value"]
    for field, value in data["customer"].items():
        yield ["customer", field, "" if value is None else value]
    yield ["points", "balance / pending / owed", "{balance} / {pending} / {owed}".format(**data["loyalty"]["points"])]
    yield ["tier", "name", data["loyalty"]["tier"] or ""]
    sections = [("ledger", data["loyalty"]), ("purchases", data["loyalty"])]
    sections += [("consents", data["messaging"]), ("messages", data["messaging"])]
    for section, source in sections:
        rows = source[section]
        if rows:
            columns = [c for c in rows[0] if c not in ("lines", "refunds")]
            yield [section, *columns]
            for row in rows:
                yield [section, *("" if row[c] is None else row[c] for c in columns)]


@permission_required("customers.erase_customer")
@require_POST
def customer_erase_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Erase the customer's personal data on request; the ledger stays whole. Audited."""
    customer = _customer_or_404(customer_id)
    customer_erase(customer=customer, actor=request.user, origin="console")
    messages.success(request, _("The customer's personal data is erased; purchases and points are kept."))
    return redirect("console:customer", customer_id=customer.pk)
