"""Filters kept in the session under a short token (`?f=…`), so that what staff type into a filter (a phone,
an email) never travels in a URL: access logs, browser history, pagination links (issue #11). Used by the
customer list and the outbox."""

import uuid

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

SAVED_FILTERS = 20  # the newest filter sets kept per session and list


def filters_remember(request: HttpRequest, key: str, params: dict[str, str]) -> str:
    """Keep `params` ({field: value}) in the session under `key` and a new 12-hex-digit token; the
    SAVED_FILTERS newest per key are kept. Returns the token."""
    token = uuid.uuid4().hex[:12]
    saved = request.session.get(key, {})
    request.session[key] = dict(list(saved.items())[-(SAVED_FILTERS - 1) :]) | {token: params}
    return token


def filters_recall(request: HttpRequest, key: str, token: str) -> dict[str, str] | None:
    """The params kept under `token` (filters_remember), or None for no token or one not (any longer) kept.
    A token that is not kept (a link from another person's or an ended session, or pushed out by newer
    filters) adds a warning for the page: the list it shows is not filtered, and the reader must know."""
    if not token:
        return None
    params = request.session.get(key, {}).get(token)
    if params is None:
        messages.warning(
            request,
            _(
                "This link's filter is no longer kept (filters are kept only for the session that set them): "
                "the list is shown unfiltered. Set the filter again."
            ),
        )
    return params
