import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from .provider import SECRET, Gateway

SHOP = ZoneInfo("Europe/Moscow")


def local(text: str) -> dt.datetime:
    """An aware moment on the shop's wall clock: local("2026-03-01 23:30")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHOP)


@pytest.fixture
def gateway(settings):
    """A real HTTP gateway on loopback, configured as the provider "gateway" for SMS and messengers, with a
    0.5 s timeout; default messaging settings (quiet 21–9, 3 marketing messages per 7 days, 3 attempts)."""
    server = Gateway().start()
    settings.TIME_ZONE = "Europe/Moscow"
    settings.MESSAGING_PROVIDERS = {
        **settings.MESSAGING_PROVIDERS,
        "gateway": {
            "BACKEND": "messaging.channels.http.HttpProvider",
            "URL": server.url,
            "SECRET": SECRET,
            "TIMEOUT": 0.5,
        },
    }
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "gateway", "messenger": "gateway"}
    settings.MESSAGING_QUIET_HOURS_START, settings.MESSAGING_QUIET_HOURS_END = 21, 9
    settings.MESSAGING_FREQUENCY_CAP_MESSAGES, settings.MESSAGING_FREQUENCY_CAP_DAYS = 3, 7
    settings.MESSAGING_MAX_ATTEMPTS, settings.MESSAGING_RETRY_SECONDS = 3, 60
    settings.MESSAGING_SERVICE_NEEDS_CONSENT = False
    settings.MESSAGING_SITE_URL = "https://loyalty.example.com"
    yield server
    server.stop()


@pytest.fixture
def member(customer_factory):
    """A customer who gave both consents and has an email: Anna, +7 912 345-67-89."""
    return customer_factory(
        name="Anna Petrova", phone="+7 912 345-67-89", email="anna@example.com", consent_email=True, consent_sms=True
    )
