"""One error shape for the whole API: {"detail": "<a sentence for a person>", "<field>": ["…"], …}.

Domain errors from the services (loyalty.exceptions, customers.exceptions) are mapped here by class,
so views only call a service and let its error propagate.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from customers.exceptions import CustomerError
from loyalty.exceptions import IdempotencyConflict, LoyaltyError, RedeemTooMuch, RefundTooMuch, UnknownPurchase


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


def _domain_error(exc: LoyaltyError | CustomerError) -> Response:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body[exc.field] = [exc.message]
    code = status.HTTP_400_BAD_REQUEST
    if isinstance(exc, IdempotencyConflict):
        code = status.HTTP_409_CONFLICT
    elif isinstance(exc, UnknownPurchase):
        code = status.HTTP_404_NOT_FOUND
        body.pop(exc.field, None)  # the purchase is in the path, not the body
    elif isinstance(exc, RedeemTooMuch):
        body["max_redeem_points"] = exc.max_redeem_points
    elif isinstance(exc, RefundTooMuch):
        body["refundable_amount"] = str(exc.refundable)
    return Response(body, status=code)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, LoyaltyError | CustomerError):
        return _domain_error(exc)
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
