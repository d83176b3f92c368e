"""The API clients page (console.views.api_clients): list, create (the key shown once), revoke, rotate."""

import pytest
from django.test import Client

from api.models import ApiClient
from api.tests.helpers import can_call_the_api
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


class TestConsole:
    def test_list(self, console, program, api_client_factory):
        api_client_factory(name="web-shop")
        revoked = api_client_factory(name="old-till").client
        console.post(f"/api-clients/{revoked.pk}/revoke/")
        page = console.get("/api-clients/").content.decode()
        assert "web-shop" in page and "old-till" in page
        assert "active" in page and "revoked" in page
        assert 'name="csrfmiddlewaretoken"' in page
        assert "<code>Authorization: Token &lt;key&gt;</code>" in page

    def test_create_shows_the_key_once_and_audits(self, console, marketing_user):
        response = console.post("/api-clients/", {"name": " web-shop "})
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        page = response.content.decode()
        client = ApiClient.objects.get()
        assert client.name == "web-shop" and client.created_by == marketing_user
        start = page.index('data-testid="api-key">') + len('data-testid="api-key">')
        key = page[start : page.index("<", start)]
        assert can_call_the_api(key)
        assert "it is shown only this once" in page
        assert key not in console.get("/api-clients/").content.decode()
        audit = AuditEntry.objects.get(action="api_client.create")
        assert audit.actor == marketing_user and audit.origin == "console"

    def test_create_errors_are_shown_on_the_form(self, console, program, api_client_factory):
        api_client_factory(name="web-shop")
        page = console.post("/api-clients/", {"name": "web-shop"}).content.decode()
        assert "An active API client named “web-shop” already exists." in page
        assert console.post("/api-clients/", {"name": "   "}).status_code == 200
        assert ApiClient.objects.count() == 1

    def test_revoke_stops_the_key_and_audits(self, console, marketing_user, api_client_factory):
        created = api_client_factory(name="web-shop")
        response = console.post(f"/api-clients/{created.client.pk}/revoke/", follow=True)
        assert "API client “web-shop” is revoked: its key no longer works." in response.content.decode()
        assert not can_call_the_api(created.key)
        audit = AuditEntry.objects.get(action="api_client.revoke")
        assert audit.actor == marketing_user and audit.object_id == str(created.client.pk)
        console.post(f"/api-clients/{created.client.pk}/revoke/")  # twice: nothing more happens
        assert AuditEntry.objects.filter(action="api_client.revoke").count() == 1

    def test_a_revoked_name_can_be_reused(self, console, program, api_client_factory):
        old = api_client_factory(name="web-shop")
        console.post(f"/api-clients/{old.client.pk}/revoke/")
        console.post("/api-clients/", {"name": "web-shop"})
        assert ApiClient.objects.filter(name="web-shop").count() == 2

    def test_revoke_needs_post(self, console, program, api_client_factory):
        created = api_client_factory(name="web-shop")
        assert console.get(f"/api-clients/{created.client.pk}/revoke/").status_code == 405
        assert can_call_the_api(created.key)

    def test_revoking_an_unknown_client_says_so(self, console, program):
        response = console.post("/api-clients/424242/revoke/", follow=True)
        assert "API client 424242 does not exist." in response.content.decode()

    def test_csrf_is_enforced(self, marketing_user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(marketing_user)
        assert client.post("/api-clients/", {"name": "web-shop"}).status_code == 403
        assert ApiClient.objects.count() == 0

    def test_cashier_is_forbidden_and_anonymous_goes_to_login(self, client, cashier_user, program, api_client_factory):
        created = api_client_factory(name="web-shop")
        assert client.get("/api-clients/").url.startswith("/accounts/login/")
        client.force_login(cashier_user)
        assert client.get("/api-clients/").status_code == 403
        assert client.post("/api-clients/", {"name": "x"}).status_code == 403
        assert client.post(f"/api-clients/{created.client.pk}/revoke/").status_code == 403
        assert ApiClient.objects.filter(revoked_at__isnull=True).count() == 1


class TestKeyRotation:
    """A new key for the same client: its purchases, receipts and idempotency keys stay its own."""

    def test_the_console_shows_the_new_key_once_and_audits_it(self, client, marketing_user, api_client_factory):
        created = api_client_factory(name="web-shop")
        client.force_login(marketing_user)
        response = client.post(f"/api-clients/{created.client.pk}/rotate/")
        page = response.content.decode()
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        assert "has a new key; the old one no longer works" in page
        assert AuditEntry.objects.filter(action="api_client.rotate", actor=marketing_user).exists()

    def test_only_marketing_may_rotate(self, client, cashier_user, api_client_factory):
        created = api_client_factory(name="web-shop")
        url = f"/api-clients/{created.client.pk}/rotate/"
        assert client.post(url).status_code == 302  # anonymous: to the login page
        client.force_login(cashier_user)
        assert client.post(url).status_code == 403
        assert ApiClient.objects.get().key_hash == created.client.key_hash
