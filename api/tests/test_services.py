"""Writes for API clients (api.services): keys stored as a digest only; a rotated key keeps the client's
purchases and idempotency keys."""

import hashlib

import pytest

from api.models import ApiClient
from api.services import api_client_create, api_client_rotate
from api.tests.helpers import token_client
from core.models import AuditEntry
from loyalty.models import PointsAccount

pytestmark = pytest.mark.django_db


def test_only_a_digest_of_the_key_is_stored(program):
    created = api_client_create(name="web-shop")
    stored = ApiClient.objects.values().get()
    assert created.key not in [str(value) for value in stored.values()]
    assert stored["key_hash"] == hashlib.sha256(created.key.encode()).hexdigest()
    assert stored["key_prefix"] == created.key[:8] and len(created.key) >= 43
    assert created.key not in str(list(AuditEntry.objects.values()))


class TestKeyRotation:
    """A new key for the same client: its purchases, receipts and idempotency keys stay its own."""

    def test_a_retry_after_rotation_is_a_replay_and_old_purchases_stay_refundable(self, customer):
        created = api_client_create(name="web-shop")
        old = token_client(created.key)
        body = {"customer": customer.pk, "amount": "1000.00", "external_id": "R-1"}
        first = old.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 201
        rotated = api_client_rotate(client_id=created.client.pk)
        assert rotated.client.pk == created.client.pk and rotated.key != created.key
        assert (
            old.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "k-1"}).status_code == 401
        )
        new = token_client(rotated.key)
        retry = new.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "k-1"})
        assert (retry.status_code, retry.json(), retry.headers["Idempotent-Replayed"]) == (201, first.json(), "true")
        assert PointsAccount.objects.get(pk=customer.pk).balance == 50
        refund = new.post(
            f"/api/v1/purchases/{first.json()['id']}/refund/", {}, format="json", headers={"Idempotency-Key": "r-1"}
        )
        assert refund.status_code == 201
