"""The base of every domain error: an error that knows how it is shown.

A service raises a DomainError subclass with a sentence for a person; the API handler turns it into
`{"detail": <message>, "code": <code>, <field>: [<message>], <extra>…}` with its `http_status`, and a
form helper puts the message on its `field`. Adding an error touches only its class.
"""

from typing import Any

from django.utils.translation import gettext as _


class DomainError(Exception):
    """An operation that cannot be done; `message` is shown to the user as is.

    Class attributes: `code` (machine-readable, stable), `http_status` (the API's answer), `field` (the
    input it is about, or None), `extra` (names of attributes added to the API body as they are).
    """

    code: str = "invalid"
    http_status: int = 400
    field: str | None = None
    extra: tuple[str, ...] = ()

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def as_api_body(self) -> dict[str, Any]:
        """The JSON body of the API's error answer."""
        body: dict[str, Any] = {"detail": self.message, "code": self.code}
        if self.field and self.http_status != 404:
            body[self.field] = [self.message]
        for name in self.extra:
            body[name] = getattr(self, name)
        return body


class IdempotencyConflict(DomainError):
    """An idempotency key seen before, with a different request (another customer, amount, points…)."""

    code = "idempotency_conflict"
    http_status = 409

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "This key was already used for a request with different details. Nothing was recorded; "
                "start a new operation."
            )
        )


class InvalidIdempotencyKey(DomainError):
    """An idempotency key that breaks a bound: longer than the 100 characters a key column holds (the
    default message), or, with `message`, a caller's own rule (the API's header: 1–64 visible ASCII)."""

    code = "idempotency_key_invalid"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("The idempotency key is too long (at most 100 characters)."))
