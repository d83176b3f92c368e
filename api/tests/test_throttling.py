"""Requests are throttled per API client (api.throttling)."""

import pytest
from django.test import override_settings

from api.tests.helpers import token_client

pytestmark = pytest.mark.django_db


@override_settings(API_THROTTLE_RATE="3/min")
def test_requests_are_throttled_per_client(api, customer, api_client_factory):
    for _ in range(3):
        assert api.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200
    response = api.get("/api/v1/customers/lookup/", {"q": customer.phone})
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0
    other = token_client(api_client_factory(name="till-2").key)
    assert other.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200
