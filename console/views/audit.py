"""The audit log: who changed what, and when (settings, tiers, adjustments, customers, imports…)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.permissions import permission_required
from core.selectors import audit_list

from ..filters import AuditFilter


@permission_required("core.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    filterset = AuditFilter(request.GET or None, queryset=audit_list())
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "console/audit_list.html", {"filter": filterset, "page": page, "query": query.urlencode()})
