"""Analytics (issue #13): read-only figures over the other apps' data, for the console's Marketing pages."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from . import subscribers

        subscribers.subscribe()
