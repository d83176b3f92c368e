"""`Authorization: Token <key>` per API client (api.authentication): no key, an unknown, malformed or
revoked key, or a staff session: 401 JSON."""

import pytest
from rest_framework.test import APIClient

from api.services import api_client_revoke
from api.tests.helpers import post
from loyalty.models import Purchase

pytestmark = pytest.mark.django_db


class TestAuthentication:
    def test_no_key_is_401_json(self, program):
        response = APIClient().get("/api/v1/customers/lookup/", {"q": "+79123456789"})
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }
        assert response["WWW-Authenticate"] == "Token"

    def test_unknown_key_is_401(self, program):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-key")
        response = client.get("/api/v1/customers/lookup/", {"q": "+79123456789"})
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid API key.", "code": "authentication_failed"}

    def test_revoked_key_is_401(self, api, client_key, customer):
        assert api.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200
        api_client_revoke(client_id=client_key[0].pk)
        response = api.get("/api/v1/customers/lookup/", {"q": customer.phone})
        assert response.status_code == 401
        assert response.json() == {"detail": "This API key has been revoked.", "code": "authentication_failed"}

    def test_a_revoked_key_cannot_write(self, api, client_key, customer):
        api_client_revoke(client_id=client_key[0].pk)
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "100.00"})
        assert response.status_code == 401
        assert Purchase.objects.count() == 0

    @pytest.mark.parametrize("header", ["Token", "Token a b", "Bearer x"])
    def test_malformed_header_is_401(self, program, header):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/v1/customers/lookup/", {"q": "1"})
        assert response.status_code == 401
        assert "detail" in response.json()

    def test_a_staff_session_is_not_an_api_key(self, client, marketing_user, customer):
        client.force_login(marketing_user)
        response = client.get("/api/v1/customers/lookup/", {"q": customer.phone})
        assert response.status_code == 401
