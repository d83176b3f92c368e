"""`Authorization: Token <key>` per API client. No key, an unknown key or a revoked one: 401 JSON."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core.versions import VersionedCache

from .keys import key_digest
from .models import ApiClient

KEYWORD = "Token"


class ApiClientUser:
    """`request.user` during an API call: the calling system, never a staff member.

    Services get `actor=None` and `origin="api:<name>"` from the views, so nothing stores this object.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def __str__(self) -> str:
        return f"api:{self.client.name}"

    def has_perm(self, perm: str, obj=None) -> bool:
        return False


# Clients found by their key's digest, per process: {digest: ApiClient}. Emptied whenever any client
# changes (a trigger gives "api.clients" a fresh token: core.versions), so that a revoked or rotated key
# stops working from the next request in every process. Only keys that exist are kept (an unknown key
# asks the database each time), so the dict holds at most one entry per client.
_clients = VersionedCache("api.clients", dict)


def api_client_for_key(key: str) -> ApiClient | None:
    """The client whose key this is (revoked ones too), or None; no query when the process has seen the
    key since the last change of any client."""
    digest = key_digest(key)
    known = _clients.get()
    client = known.get(digest)
    if client is None:
        client = ApiClient.objects.filter(key_hash=digest).first()
        if client is not None:
            known[digest] = client  # read after the token: never older than the copy's token says
    return client


class ApiClientAuthentication(authentication.BaseAuthentication):
    """Looks the key up by its SHA-256 digest (an index hit, or the process's cache of clients: see
    api_client_for_key), so no key is ever compared in Python."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # no credentials: IsApiClient answers 401
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use “Token <key>”."))
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        client = api_client_for_key(key)
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if client.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        return ApiClientUser(client), client

    def authenticate_header(self, request) -> str:
        return KEYWORD  # makes DRF answer 401 (with WWW-Authenticate) rather than 403


class IsApiClient(permissions.BasePermission):
    message = _("Authentication credentials were not provided: send “Authorization: Token <key>”.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


class ApiClientScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiClientAuthentication"
    name = "apiClientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(_("An API client key, sent as “Token <key>”.")),
        }
