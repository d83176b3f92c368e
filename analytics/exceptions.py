"""Errors of the analytics app's services, each with a sentence for a person (core.exceptions.DomainError)."""

from core.exceptions import DomainError


class InvalidAnalyticsSetting(DomainError):
    """A value the analytics settings refuse; `field` names the setting (a form shows it there)."""

    code = "invalid_analytics_setting"
