from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    """Program settings, tiers, the points ledger, purchases and refunds, the daily jobs."""

    name = "loyalty"
    verbose_name = _("Loyalty program")

    def ready(self) -> None:
        from . import subscribers

        subscribers.subscribe()
