"""The back-office page of API clients, mounted at the site root by config/urls.py (paths unchanged)."""

from django.urls import path

from . import console_views

app_name = "api_clients"

urlpatterns = [
    path("api-clients/", console_views.client_list, name="list"),
    path("api-clients/<int:client_id>/revoke/", console_views.client_revoke, name="revoke"),
    path("api-clients/<int:client_id>/rotate/", console_views.client_rotate, name="rotate"),
]
