"""The screens moved from `loyalty` to `console` and `cashier` (issue #10); every path a user, a bookmark or a
till's browser knows still answers with the same screen. Only the URL names changed (loyalty:* → console:*
and cashier:*)."""

import pytest
from django.urls import resolve, reverse

# (path, URL name today, the view's module and function)
SCREENS = [
    ("/", "home", "console.views.overview.home"),
    ("/customers/", "console:customers", "console.views.customers.customer_list"),
    ("/customers/7/", "console:customer", "console.views.customers.customer_detail"),
    ("/customers/7/edit/", "console:customer_edit", "console.views.customers.customer_edit"),
    ("/customers/7/adjust/", "console:customer_adjust", "console.views.customers.customer_adjust"),
    ("/customers/7/export/", "console:customer_export", "console.views.customers.customer_export"),
    ("/customers/7/erase/", "console:customer_erase", "console.views.customers.customer_erase_view"),
    ("/customers/import/", "console:customer_import", "console.views.imports.import_upload"),
    ("/customers/import/sample.csv", "console:customer_import_sample", "console.views.imports.import_sample"),
    ("/customers/import/7/", "console:customer_import_job", "console.views.imports.import_job"),
    ("/customers/import/7/run/", "console:customer_import_run", "console.views.imports.import_run"),
    ("/settings/", "console:settings", "console.views.settings.settings_edit"),
    ("/settings/preview/", "console:settings_preview", "console.views.settings.settings_preview"),
    ("/tiers/", "console:tiers", "console.views.tiers.tier_edit"),
    ("/messages/templates/", "console:message_templates", "console.views.message_templates.message_templates"),
    (
        "/messages/templates/points_earned/sms/en/",
        "console:message_template",
        "console.views.message_templates.message_template",
    ),
    (
        "/messages/templates/points_earned/sms/en/preview/",
        "console:message_template_preview",
        "console.views.message_templates.message_template_preview",
    ),
    ("/messages/channels/", "console:message_channels", "console.views.message_channels.message_channels"),
    ("/audit/", "console:audit", "console.views.audit.audit_log"),
    ("/api-clients/", "api_clients:list", "api.console_views.client_list"),
    ("/api-clients/7/revoke/", "api_clients:revoke", "api.console_views.client_revoke"),
    ("/api-clients/7/rotate/", "api_clients:rotate", "api.console_views.client_rotate"),
    ("/cashier/", "cashier:search", "cashier.views.search"),
    ("/cashier/receipt/", "cashier:receipt", "cashier.views.receipt"),
    ("/cashier/enrol/", "cashier:enrol", "cashier.views.enrol"),
    ("/cashier/customer/7/", "cashier:customer", "cashier.views.customer_card"),
    ("/cashier/customer/7/quote/", "cashier:quote", "cashier.views.quote"),
    ("/cashier/customer/7/purchase/", "cashier:purchase_create", "cashier.views.purchase_create"),
    ("/cashier/purchase/7/", "cashier:purchase", "cashier.views.purchase_detail"),
    ("/cashier/purchase/7/refund/", "cashier:refund", "cashier.views.refund_create"),
]


@pytest.mark.parametrize(("path", "name", "view"), SCREENS)
def test_every_path_of_before_the_move_still_answers_with_its_screen(path, name, view):
    match = resolve(path)
    assert f"{match.func.__module__}.{match.func.__name__}" == view
    assert reverse(name, kwargs=match.kwargs) == path


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name", "view"), [s for s in SCREENS if "7" not in s[0]])
def test_the_screens_still_ask_for_a_login(client, path, name, view):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_screen_names_the_permission_it_needs():
    """No screen is left open by accident: each one is wrapped by core.permissions.permission_required."""
    open_screens = [view for path, name, view in SCREENS if path != "/" and not resolve(path).func.required_permissions]
    assert open_screens == []
    assert resolve("/cashier/").func.required_permissions == ("cashier.use_cashier",)
    assert resolve("/api-clients/").func.required_permissions == ("api.change_apiclient",)
