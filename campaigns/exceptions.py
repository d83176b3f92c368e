"""Domain errors of campaigns: a human-readable message each; views and the API turn them into form
errors or 400 responses."""

from core.exceptions import DomainError


class CampaignError(DomainError):
    """A campaign cannot be saved, launched or used as asked (the message says why). `variant`: for a
    refused A/B variant, its position in the variants given (else None)."""

    variant: int | None = None
