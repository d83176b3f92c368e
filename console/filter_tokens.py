"""Filters kept in the session under a short token (`?f=…`), so that what staff type into a filter (a phone,
an email) never travels in a URL: access logs, browser history, pagination links (issue #11). Used by the
customer list and the outbox."""

import uuid

from django.http import HttpRequest

SAVED_FILTERS = 20  # the newest filter sets kept per session and list


def filters_remember(request: HttpRequest, key: str, params: dict[str, str]) -> str:
    """Keep `params` ({field: value}) in the session under `key` and a new 12-hex-digit token; the
    SAVED_FILTERS newest per key are kept. Returns the token."""
    token = uuid.uuid4().hex[:12]
    saved = request.session.get(key, {})
    request.session[key] = dict(list(saved.items())[-(SAVED_FILTERS - 1) :]) | {token: params}
    return token


def filters_recall(request: HttpRequest, key: str, token: str) -> dict[str, str] | None:
    """The params kept under `token` (filters_remember), or None for no token or one not (any longer) kept."""
    return request.session.get(key, {}).get(token) if token else None
