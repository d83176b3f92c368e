"""Errors of the analytics app's services, each with a sentence for a person (core.exceptions.DomainError)."""

from core.exceptions import DomainError


class InvalidAnalyticsSetting(DomainError):
    """A value the analytics settings refuse; `field` names the setting (a form shows it there)."""

    code = "invalid_analytics_setting"


class SavedSegmentError(DomainError):
    """A saved segment cannot be created, changed or deleted as asked; `field` says which input
    ("name", "description", "filters", or None)."""

    code = "invalid_saved_segment"


class SavedSegmentNotFound(SavedSegmentError):
    """No saved segment has the id asked for."""

    code = "saved_segment_not_found"
    http_status = 404
