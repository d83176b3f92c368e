"""One error shape for the whole API: {"detail": "<a sentence for a person>", "code": "…", "<field>": ["…"], …}.

Domain errors from the services (core.exceptions.DomainError and its subclasses) say themselves how they
are shown (status, code, field, extra values), so views only call a service and let its error propagate.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError


class MissingIdempotencyKey(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy(
        "The Idempotency-Key header is required (1–64 visible ASCII characters, unique per request)."
    )
    default_code = "idempotency_key_missing"


class NotFoundError(exceptions.NotFound):
    """404 with a message that says what was not found."""


def _first_message(detail: Any, path: str = "") -> str | None:
    """The first message in a DRF error structure, prefixed with where it is: "lines[0].amount: …"."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                inner = path
            elif isinstance(key, int):  # a list item's errors, keyed by its position
                inner = f"{path}[{key}]"
            else:
                inner = f"{path}.{key}" if path else str(key)
            if (found := _first_message(value, inner)) is not None:
                return found
        return None
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            inner = f"{path}[{index}]" if isinstance(value, dict) else path
            if (found := _first_message(value, inner)) is not None:
                return found
        return None
    return f"{path}: {detail}" if path else str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_api_body(), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and answers 500
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return response  # DRF's own {"detail": "..."} (401, 403, 404, 405, 415, 429, parse errors)
    if isinstance(data, dict):
        response.data = {"detail": _first_message(data) or _("Invalid input."), **data}
    else:
        response.data = {"detail": _first_message(data) or _("Invalid input.")}
    return response
