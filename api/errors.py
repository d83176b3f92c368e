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


def _code(exc: exceptions.APIException) -> str:
    """The machine-readable code of a DRF error: its own for a single-message error ("not_authenticated",
    "authentication_failed", "permission_denied", "not_found", "method_not_allowed", "throttled",
    "parse_error", "unsupported_media_type", "idempotency_key_missing"); "invalid" for field errors."""
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else "invalid"


def validation_error_body(errors: Any) -> dict[str, Any]:
    """The body a serializer's errors get from exception_handler (400): detail, code "invalid", the fields'
    lists. For the items of a batch, which are answered one by one."""
    if isinstance(errors, dict):
        return {"detail": _first_message(errors) or _("Invalid input."), "code": "invalid", **errors}
    return {"detail": _first_message(errors) or _("Invalid input."), "code": "invalid"}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler for the whole API (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]).

    Every error body is a JSON object with "detail" (a sentence for a person) and "code" (stable, for
    programs); field errors also keep DRF's {"<field>": ["…"]} lists, domain errors their extra values.
    Returns None for anything that is not an API error (a bug: Django logs it and answers 500)."""
    if isinstance(exc, DomainError):
        return Response(exc.as_api_body(), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and answers 500
    data, code = response.data, _code(exc)
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        # DRF's own {"detail": "..."} (401, 403, 404, 405, 415, 429, parse errors)
        response.data = {"detail": data["detail"], "code": code}
    elif isinstance(data, dict):
        response.data = {"detail": _first_message(data) or _("Invalid input."), "code": code, **data}
    else:
        response.data = {"detail": _first_message(data) or _("Invalid input."), "code": code}
    return response
