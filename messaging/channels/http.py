"""The generic HTTPS provider: one JSON POST per message to a gateway, signed with HMAC-SHA256.

Request (to options["URL"], timeout options["TIMEOUT"] seconds):
    POST {"key": "<message key>", "channel": "sms", "to": "+79123456789", "text": "…"}
    headers: Content-Type: application/json, Idempotency-Key: <message key>,
             X-Boomerang-Signature: sha256=<hex HMAC-SHA256 of the body with options["SECRET"]>
Answer: 2xx with {"id": "<provider's message id>"} (or "message_id"). A 4xx other than 408/429 is a
refusal for good; a 5xx, 408, 429, a timeout or a network error is tried again later. The gateway must
treat a second request with the same key as the same message (answer the first id, send nothing).

Webhooks from the gateway carry the same signature header over their raw body:
    status:  {"key": "…"} or {"id": "…"}, with "status": "delivered" | "failed" and optional "error";
             or {"reports": [ … ]} for several
    inbound: {"from": "+79123456789", "text": "STOP", "channel"?: "sms"} or {"replies": [ … ]}
"""

import json
from typing import Any

import requests

from .. import rules
from .base import Outgoing, Provider, ProviderError, ProviderRejected, StatusReport

STATUSES = ("delivered", "failed")


class HttpProvider(Provider):
    name = "http"

    def _secret(self) -> str:
        return self.options.get("SECRET") or ""

    def send(self, outgoing: Outgoing) -> str:
        """POST the message; return the gateway's id for it. ProviderError / ProviderRejected as above."""
        url = self.options.get("URL") or ""
        if not url or not self._secret():
            raise ProviderRejected(f"provider {self.name} has no URL or SECRET configured")
        body = json.dumps(
            {"key": outgoing.key, "channel": outgoing.channel, "to": outgoing.address, "text": outgoing.text},
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": outgoing.key,
            rules.SIGNATURE_HEADER: rules.signature(self._secret(), body),
        }
        timeout = float(self.options.get("TIMEOUT") or 10)
        try:
            response = requests.post(url, data=body, headers=headers, timeout=(min(timeout, 5.0), timeout))
        except requests.Timeout as error:
            raise ProviderError(f"provider {self.name} did not answer within {timeout:g} s") from error
        except requests.RequestException as error:
            raise ProviderError(f"provider {self.name} unreachable: {type(error).__name__}") from error
        status = response.status_code
        if status in (408, 429) or status >= 500:
            raise ProviderError(f"provider {self.name} answered HTTP {status}")
        if status >= 400:
            raise ProviderRejected(f"provider {self.name} refused the message: HTTP {status} {response.text[:200]}")
        try:
            data = response.json()
            provider_id = str(data.get("id") or data.get("message_id") or "")
        except (ValueError, AttributeError):
            provider_id = ""
        if not provider_id:
            raise ProviderError(f"provider {self.name} answered HTTP {status} without a message id")
        return provider_id[:200]

    def webhook_verify(self, body: bytes, headers: Any) -> bool:
        """True when the signature header is the HMAC-SHA256 of the raw body with this provider's secret."""
        return rules.signature_valid(self._secret(), body, headers.get(rules.SIGNATURE_HEADER))

    def status_reports(self, data: Any) -> list[StatusReport]:
        """Reports in {"key"|"id", "status", "error"?} or {"reports": [...]}; ValueError for anything else."""
        items = data.get("reports") if isinstance(data, dict) and "reports" in data else [data]
        if not isinstance(items, list) or not items:
            raise ValueError("no reports")
        reports = []
        for item in items:
            if not isinstance(item, dict) or item.get("status") not in STATUSES:
                raise ValueError("a report needs a status: delivered or failed")
            key, provider_id = str(item.get("key") or ""), str(item.get("id") or item.get("message_id") or "")
            if not key and not provider_id:
                raise ValueError("a report needs the message's key or id")
            reports.append(StatusReport(item["status"], key, provider_id, str(item.get("error") or "")[:500]))
        return reports

    def inbound_replies(self, data: Any) -> list[tuple[str, str, str]]:
        """Replies in {"from", "text", "channel"?} or {"replies": [...]}; ValueError for anything else."""
        items = data.get("replies") if isinstance(data, dict) and "replies" in data else [data]
        if not isinstance(items, list) or not items:
            raise ValueError("no replies")
        replies = []
        for item in items:
            if not isinstance(item, dict) or not item.get("from") or not isinstance(item.get("text"), str):
                raise ValueError("a reply needs from and text")
            replies.append((str(item.get("channel") or ""), str(item["from"]), item["text"]))
        return replies
