"""One log line per /api/ request (api.middleware)."""

import logging

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_every_request_is_logged_with_client_path_status_and_time(api, customer, caplog):
    with caplog.at_level(logging.INFO, logger="loyalty.api.requests"):
        api.get("/api/v1/customers/lookup/", {"q": customer.phone})
        APIClient().get("/api/v1/customers/lookup/", {"q": customer.phone})
    ok, denied = [r for r in caplog.records if r.name == "loyalty.api.requests"]
    assert (ok.api_client, ok.method, ok.path, ok.status) == ("web-shop", "GET", "/api/v1/customers/lookup/", 200)
    assert ok.duration_ms >= 0 and ok.getMessage().startswith("api web-shop GET /api/v1/customers/lookup/ 200 ")
    assert (denied.api_client, denied.status) == ("-", 401)
