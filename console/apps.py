from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The marketing back-office screens: the overview, customers, the import, program settings, tiers and
    the audit log (the API clients page is the api app's own screen). A screen on top: it may import
    every domain app, and nothing imports it."""

    name = "console"
    verbose_name = _("Back office")

    def ready(self) -> None:
        from .audit import register

        register()
