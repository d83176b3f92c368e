"""The audit log: who changed what, and when (settings, tiers, adjustments, customers, imports, purchases
and refunds at the till), in words and in the reader's language."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.audit import audit_customer_id, audit_entry_describe
from core.permissions import permission_required
from core.selectors import audit_list
from customers.selectors import customer_names
from loyalty.selectors import program_settings_get

from ..filters import AuditFilter


@permission_required("core.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    """/audit/: the entries the filter selects, newest first, 50 a page. An invalid filter (a reversed or
    out-of-range date) lists nothing, only its errors: the whole log under it would read as its answer.
    `filtered`: some filter is set (the empty list then says that nothing matches, not "nothing yet")."""
    filterset = AuditFilter(request.GET or None, queryset=audit_list())
    invalid = filterset.is_bound and not filterset.is_valid()
    filtered = invalid or (filterset.is_bound and any(filterset.form.cleaned_data.values()))
    if invalid:
        queryset = filterset.queryset.none()
    else:
        queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    names = customer_names(audit_customer_id(entry) for entry in page)
    currency = program_settings_get().currency
    lines = [audit_entry_describe(entry, currency=currency, customer_names=names) for entry in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/audit_list.html",
        {
            "filter": filterset,
            "page": page,
            "lines": lines,
            "query": query.urlencode(),
            "invalid": invalid,
            "filtered": filtered,
        },
    )
