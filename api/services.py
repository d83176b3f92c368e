"""Writes for API clients: create (the key is returned once and never stored) and revoke, each audited."""

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.versions import versions_forget

from .exceptions import ApiClientError
from .keys import PREFIX_LENGTH, key_digest, key_generate
from .models import ApiClient

NAME_MAX = ApiClient._meta.get_field("name").max_length


@dataclass(frozen=True)
class CreatedApiClient:
    client: ApiClient
    key: str  # the only time the key exists outside the caller's hands


def api_client_create(*, name: str, actor: Any = None, origin: str = "") -> CreatedApiClient:
    """Create an API client with a new random key. Two active clients cannot share a name."""
    name = (name or "").strip()
    if not name:
        raise ApiClientError(_("Enter the client's name."), field="name")
    if len(name) > NAME_MAX:
        raise ApiClientError(_("The name can have at most %(n)s characters.") % {"n": NAME_MAX}, field="name")
    duplicate = ApiClientError(
        _("An active API client named “%(name)s” already exists.") % {"name": name}, field="name"
    )
    if ApiClient.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise duplicate
    key = key_generate()
    try:
        with transaction.atomic():
            client = ApiClient.objects.create(
                name=name,
                key_prefix=key[:PREFIX_LENGTH],
                key_hash=key_digest(key),
                created_at=timezone.now(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                action=AuditAction.API_CLIENT_CREATE,
                obj=client,
                summary=_("Created API client %(name)s (key %(prefix)s…)")
                % {"name": name, "prefix": client.key_prefix},
                actor=actor,
                origin=origin,
                changes={"name": name, "key_prefix": client.key_prefix},
            )
    except IntegrityError:
        raise duplicate from None  # created concurrently under the same name
    return CreatedApiClient(client=client, key=key)


def api_client_revoke(*, client_id: Any, actor: Any = None, origin: str = "") -> ApiClient:
    """Revoke a client: its key stops working at once. Revoking a revoked client changes nothing."""
    with transaction.atomic():
        versions_forget()  # the rest of this request (and every process) sees the change: core.versions
        client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise ApiClientError(_("API client %(id)s does not exist.") % {"id": client_id})
        if client.revoked_at is not None:
            return client
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.API_CLIENT_REVOKE,
            obj=client,
            summary=_("Revoked API client %(name)s (key %(prefix)s…)")
            % {"name": client.name, "prefix": client.key_prefix},
            actor=actor,
            origin=origin,
            changes={"name": client.name, "key_prefix": client.key_prefix},
        )
    return client


def api_client_rotate(*, client_id: Any, actor: Any = None, origin: str = "") -> CreatedApiClient:
    """Give an active client a new key; the old key stops working at once.

    The client stays the same row, so its purchases (which it alone may refund), its receipt numbers and
    its idempotency keys stay its own: a retry sent with the new key after a rotation is still recognised.
    Raises ApiClientError for an unknown or revoked client.
    """
    key = key_generate()
    with transaction.atomic():
        versions_forget()  # the rest of this request (and every process) sees the change: core.versions
        client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise ApiClientError(_("API client %(id)s does not exist.") % {"id": client_id})
        if client.revoked_at is not None:
            raise ApiClientError(_("API client “%(name)s” is revoked; create a new one.") % {"name": client.name})
        old_prefix = client.key_prefix
        client.key_prefix, client.key_hash = key[:PREFIX_LENGTH], key_digest(key)
        client.save(update_fields=["key_prefix", "key_hash"])
        audit_record(
            action=AuditAction.API_CLIENT_ROTATE,
            obj=client,
            summary=_("New key for API client %(name)s (%(old)s… → %(new)s…)")
            % {"name": client.name, "old": old_prefix, "new": client.key_prefix},
            actor=actor,
            origin=origin,
            changes={"name": client.name, "key_prefix": [old_prefix, client.key_prefix]},
        )
    return CreatedApiClient(client=client, key=key)
