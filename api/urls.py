"""Mounted at /api/ by config/urls.py: v1 endpoints, the OpenAPI schema and its docs pages (no CDN)."""

from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

app_name = "api"
docs_styles = csp_update({"style-src": ["'unsafe-inline'"]})
redoc_policy = csp_update(
    {
        "style-src": ["'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
        # ReDoc's bundle always shows the Redocly logo from this address (an <img> that hides itself when
        # the address is unreachable, so the page works offline): allowed rather than a CSP error per visit.
        "img-src": ["https://cdn.redoc.ly"],
    }
)

urlpatterns = [
    path("v1/customers/", views.CustomerEnrolView.as_view(), name="customer_enrol"),
    path("v1/customers/lookup/", views.CustomerLookupView.as_view(), name="customer_lookup"),
    path("v1/customers/<int:customer_id>/ledger/", views.CustomerLedgerView.as_view(), name="customer_ledger"),
    path("v1/customers/<int:customer_id>/actions/", views.CustomerActionView.as_view(), name="customer_action"),
    path("v1/purchases/", views.PurchaseRecordView.as_view(), name="purchase_record"),
    path("v1/purchases/batch/", views.PurchaseBatchView.as_view(), name="purchase_record_batch"),
    path("v1/purchases/quote/", views.PurchaseQuoteView.as_view(), name="purchase_quote"),
    path("v1/purchases/<int:purchase_id>/refund/", views.PurchaseRefundView.as_view(), name="purchase_refund"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The two documentation UIs set styles from their scripts (React, styled-components): only they may use
    # inline styles; their scripts are files (Swagger's "split" view, a ReDoc template without inline code).
    path("docs/", docs_styles(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    # ReDoc's search runs in a worker it creates from a blob: allowed on that page only.
    path("redoc/", redoc_policy(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    # Anything else under /api/ (e.g. /api/v1/customers/abc/ledger/): a JSON 404, not the HTML page.
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="not_found"),  # [\s\S]: a line break too
]
