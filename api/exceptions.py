"""Domain errors of API client management (core.exceptions.DomainError: code, status, field)."""

from core.exceptions import DomainError


class ApiClientError(DomainError):
    """An API client cannot be created, renamed or given a key as asked; `field` says which input."""

    code = "invalid"
