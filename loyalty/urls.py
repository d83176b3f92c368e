from django.urls import path

from .views import api_clients, audit, cashier, console, customers, imports, settings

app_name = "loyalty"

urlpatterns = [
    path("tiers/", console.tier_edit, name="tiers"),
    path("settings/", settings.settings_edit, name="settings"),
    path("audit/", audit.audit_log, name="audit"),
    path("settings/preview/", settings.settings_preview, name="settings_preview"),
    path("api-clients/", api_clients.client_list, name="api_clients"),
    path("api-clients/<int:client_id>/revoke/", api_clients.client_revoke, name="api_client_revoke"),
    path("api-clients/<int:client_id>/rotate/", api_clients.client_rotate, name="api_client_rotate"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer"),
    path("customers/<int:customer_id>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:customer_id>/adjust/", customers.customer_adjust, name="customer_adjust"),
    path("customers/import/", imports.import_upload, name="customer_import"),
    path("customers/import/sample.csv", imports.import_sample, name="customer_import_sample"),
    path("customers/import/<int:job_id>/", imports.import_job, name="customer_import_job"),
    path("customers/import/<int:job_id>/run/", imports.import_run, name="customer_import_run"),
    path("cashier/", cashier.search, name="cashier"),
    path("cashier/receipt/", cashier.receipt, name="cashier_receipt"),
    path("cashier/enrol/", cashier.enrol, name="cashier_enrol"),
    path("cashier/customer/<int:customer_id>/", cashier.customer_card, name="cashier_customer"),
    path("cashier/customer/<int:customer_id>/quote/", cashier.quote, name="cashier_quote"),
    path("cashier/customer/<int:customer_id>/purchase/", cashier.purchase_create, name="cashier_purchase_create"),
    path("cashier/purchase/<int:purchase_id>/", cashier.purchase_detail, name="cashier_purchase"),
    path("cashier/purchase/<int:purchase_id>/refund/", cashier.refund_create, name="cashier_refund"),
]
