"""API clients: the create_api_client command, the console page (list, create, revoke), keys stored hashed."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiClient
from api.services import api_client_create
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def can_call_the_api(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/customers/lookup/", {"q": "+79123456789"}).status_code != 401


class TestCommand:
    def test_prints_a_working_key_as_the_last_line(self, program):
        out = StringIO()
        call_command("create_api_client", "web-shop", stdout=out)
        key = out.getvalue().strip().splitlines()[-1]
        client = ApiClient.objects.get()
        assert client.name == "web-shop" and client.created_by is None and client.revoked_at is None
        assert can_call_the_api(key)
        audit = AuditEntry.objects.get(action="api_client.create")
        assert audit.origin == "command:create_api_client" and audit.object_id == str(client.pk)

    def test_an_active_name_cannot_be_taken_twice(self, program):
        call_command("create_api_client", "web-shop", stdout=StringIO())
        with pytest.raises(CommandError, match="An active API client named “web-shop” already exists."):
            call_command("create_api_client", "web-shop", stdout=StringIO())


def test_only_a_digest_of_the_key_is_stored(program):
    created = api_client_create(name="web-shop")
    stored = ApiClient.objects.values().get()
    assert created.key not in [str(value) for value in stored.values()]
    assert stored["key_hash"] == hashlib.sha256(created.key.encode()).hexdigest()
    assert stored["key_prefix"] == created.key[:8] and len(created.key) >= 43
    assert created.key not in str(list(AuditEntry.objects.values()))


def test_marketing_may_manage_api_clients(marketing_user, cashier_user):
    assert marketing_user.has_perm("api.change_apiclient")
    assert not cashier_user.has_perm("api.change_apiclient")
    assert Group.objects.get(name="Marketing").permissions.filter(codename="change_apiclient").exists()


class TestConsole:
    @pytest.fixture
    def console(self, client, marketing_user):
        client.force_login(marketing_user)
        return client

    def test_list(self, console, program):
        api_client_create(name="web-shop")
        revoked = api_client_create(name="old-till").client
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

    def test_create_errors_are_shown_on_the_form(self, console, program):
        api_client_create(name="web-shop")
        page = console.post("/api-clients/", {"name": "web-shop"}).content.decode()
        assert "An active API client named “web-shop” already exists." in page
        assert console.post("/api-clients/", {"name": "   "}).status_code == 200
        assert ApiClient.objects.count() == 1

    def test_revoke_stops_the_key_and_audits(self, console, marketing_user):
        created = api_client_create(name="web-shop")
        response = console.post(f"/api-clients/{created.client.pk}/revoke/", follow=True)
        assert "API client “web-shop” is revoked: its key no longer works." in response.content.decode()
        assert not can_call_the_api(created.key)
        audit = AuditEntry.objects.get(action="api_client.revoke")
        assert audit.actor == marketing_user and audit.object_id == str(created.client.pk)
        console.post(f"/api-clients/{created.client.pk}/revoke/")  # twice: nothing more happens
        assert AuditEntry.objects.filter(action="api_client.revoke").count() == 1

    def test_a_revoked_name_can_be_reused(self, console, program):
        old = api_client_create(name="web-shop")
        console.post(f"/api-clients/{old.client.pk}/revoke/")
        console.post("/api-clients/", {"name": "web-shop"})
        assert ApiClient.objects.filter(name="web-shop").count() == 2

    def test_revoke_needs_post(self, console, program):
        created = api_client_create(name="web-shop")
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

    def test_cashier_is_forbidden_and_anonymous_goes_to_login(self, client, cashier_user, program):
        created = api_client_create(name="web-shop")
        assert client.get("/api-clients/").url.startswith("/accounts/login/")
        client.force_login(cashier_user)
        assert client.get("/api-clients/").status_code == 403
        assert client.post("/api-clients/", {"name": "x"}).status_code == 403
        assert client.post(f"/api-clients/{created.client.pk}/revoke/").status_code == 403
        assert ApiClient.objects.filter(revoked_at__isnull=True).count() == 1


class TestKeyRotation:
    """A new key for the same client: its purchases, receipts and idempotency keys stay its own."""

    def test_a_retry_after_rotation_is_a_replay_and_old_purchases_stay_refundable(self, customer):
        from rest_framework.test import APIClient

        from api.services import api_client_create, api_client_rotate
        from loyalty.models import PointsAccount

        created = api_client_create(name="web-shop")
        old = APIClient()
        old.credentials(HTTP_AUTHORIZATION=f"Token {created.key}")
        body = {"customer": customer.pk, "amount": "1000.00", "external_id": "R-1"}
        first = old.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 201
        rotated = api_client_rotate(client_id=created.client.pk)
        assert rotated.client.pk == created.client.pk and rotated.key != created.key
        assert (
            old.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "k-1"}).status_code == 401
        )
        new = APIClient()
        new.credentials(HTTP_AUTHORIZATION=f"Token {rotated.key}")
        retry = new.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "k-1"})
        assert (retry.status_code, retry.json(), retry.headers["Idempotent-Replayed"]) == (201, first.json(), "true")
        assert PointsAccount.objects.get(pk=customer.pk).balance == 50
        refund = new.post(
            f"/api/v1/purchases/{first.json()['id']}/refund/", {}, format="json", headers={"Idempotency-Key": "r-1"}
        )
        assert refund.status_code == 201

    def test_the_console_shows_the_new_key_once_and_audits_it(self, client, marketing_user):
        from api.services import api_client_create
        from core.models import AuditEntry

        created = api_client_create(name="web-shop")
        client.force_login(marketing_user)
        response = client.post(f"/api-clients/{created.client.pk}/rotate/")
        page = response.content.decode()
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        assert "has a new key; the old one no longer works" in page
        assert AuditEntry.objects.filter(action="api_client.rotate", actor=marketing_user).exists()

    def test_the_command_rotates_by_name(self, program):
        import io

        from django.core.management import call_command

        from api.keys import key_digest
        from api.models import ApiClient

        call_command("create_api_client", "web-shop", stdout=io.StringIO())
        out = io.StringIO()
        call_command("create_api_client", "web-shop", "--rotate", stdout=out)
        key = out.getvalue().strip().splitlines()[-1]
        assert ApiClient.objects.get(name="web-shop").key_hash == key_digest(key)
        assert ApiClient.objects.count() == 1

    def test_only_marketing_may_rotate(self, client, cashier_user):
        from api.services import api_client_create

        created = api_client_create(name="web-shop")
        url = f"/api-clients/{created.client.pk}/rotate/"
        assert client.post(url).status_code == 302  # anonymous: to the login page
        client.force_login(cashier_user)
        assert client.post(url).status_code == 403
        assert ApiClient.objects.get().key_hash == created.client.key_hash
