"""What every provider offers the outbox: send one message, and read its webhooks."""

from dataclasses import dataclass, field
from typing import Any


class ProviderError(Exception):
    """A send that may succeed if tried again (a timeout, a refused connection, a 5xx, a 429). The message
    is a short English sentence for the outbox; it never contains the recipient's address."""


class ProviderRejected(ProviderError):
    """A send the provider refused for good (a 4xx: a bad number, a bad request): not retried."""


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sends it. `key` is the message's own key (a UUID string): the provider
    gets it with every attempt, so that a repeated send of the same message is recognised. `html` (email
    only) is the HTML alternative of `text`, with the open pixel."""

    key: str
    channel: str
    address: str
    text: str
    subject: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    html: str = ""


@dataclass(frozen=True)
class StatusReport:
    """A delivery report from a provider's webhook: the message (by our `key` or the provider's
    `provider_message_id`), its new status ("delivered" or "failed") and the provider's error text."""

    status: str
    key: str = ""
    provider_message_id: str = ""
    error: str = ""


class Provider:
    """The base of a provider. Subclasses set `name` (from the settings' key) and implement `send`; those
    that receive webhooks implement `webhook_verify`, `status_reports` and `inbound_replies`."""

    name: str = ""

    def __init__(self, *, name: str = "", options: dict[str, Any] | None = None) -> None:
        self.name = name or self.name
        self.options = options or {}

    def send(self, outgoing: Outgoing) -> str:
        """Send `outgoing`; return the provider's id of the message. Raises ProviderError (try again
        later) or ProviderRejected (never)."""
        raise NotImplementedError

    def webhook_verify(self, body: bytes, headers: Any) -> bool:
        """True when a webhook's raw `body` and `headers` (request.headers) come from this provider.
        The base accepts nothing."""
        return False

    def status_reports(self, data: Any) -> list[StatusReport]:
        """The delivery reports in a verified webhook's parsed JSON. ValueError when it holds none."""
        raise ValueError("this provider sends no status reports")

    def inbound_replies(self, data: Any) -> list[tuple[str, str, str]]:
        """(channel or "", sender's address, text) for each reply in a verified inbound webhook's JSON.
        ValueError when it holds none."""
        raise ValueError("this provider forwards no replies")
