"""Messaging (issue #14): the one way Boomerang speaks to customers: the outbox, channels, consent."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from . import subscribers

        subscribers.subscribe()
