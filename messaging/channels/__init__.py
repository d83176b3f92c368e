"""Channels: how a message leaves. Email goes through Django's email backend (`email.EmailProvider`); SMS
and messengers through the provider named for the channel in MESSAGING_CHANNEL_PROVIDERS, configured in
MESSAGING_PROVIDERS (`http.HttpProvider`, the generic HTTPS gateway; `console.ConsoleProvider`, which
prints). A provider is a subclass of `base.Provider`; docs/messaging.md shows how to add one."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Outgoing, Provider, ProviderError, ProviderRejected, StatusReport
from .email import EmailProvider

__all__ = [
    "EmailProvider",
    "Outgoing",
    "Provider",
    "ProviderError",
    "ProviderRejected",
    "StatusReport",
    "provider_for_channel",
    "provider_get",
]


def provider_get(name: str) -> Provider:
    """The provider configured as `name` in MESSAGING_PROVIDERS ("email" is Django's email backend).
    Raises KeyError for a name not configured."""
    if name == EmailProvider.name:
        return EmailProvider()
    options = settings.MESSAGING_PROVIDERS[name]
    return import_string(options["BACKEND"])(name=name, options=options)


def provider_for_channel(channel: str) -> Provider:
    """The provider that sends `channel` ("email", "sms", "messenger"). KeyError for an unknown channel."""
    if channel == "email":
        return EmailProvider()
    return provider_get(settings.MESSAGING_CHANNEL_PROVIDERS[channel])
