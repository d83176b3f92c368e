"""The create_api_client command: a new client's key printed once, or a new key with --rotate."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from api.keys import key_digest
from api.models import ApiClient
from api.tests.helpers import can_call_the_api
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


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


class TestKeyRotation:
    """A new key for the same client: its purchases, receipts and idempotency keys stay its own."""

    def test_the_command_rotates_by_name(self, program):
        call_command("create_api_client", "web-shop", stdout=StringIO())
        out = StringIO()
        call_command("create_api_client", "web-shop", "--rotate", stdout=out)
        key = out.getvalue().strip().splitlines()[-1]
        assert ApiClient.objects.get(name="web-shop").key_hash == key_digest(key)
        assert ApiClient.objects.count() == 1
