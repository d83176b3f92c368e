"""Domain errors of analytics (core.exceptions.DomainError: a message for people, a code, the field)."""

from core.exceptions import DomainError


class SavedSegmentError(DomainError):
    """A saved segment cannot be created, changed or deleted as asked; `field` says which input
    ("name", "description", "filters", or None)."""

    code = "invalid_saved_segment"


class SavedSegmentNotFound(SavedSegmentError):
    """No saved segment has the id asked for."""

    code = "saved_segment_not_found"
    http_status = 404
