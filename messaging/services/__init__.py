"""Writes for messaging, by concern: `outbox` (queue, send, dispatch, delivery reports) and `consent`
(consent changes, the unsubscribe link, STOP replies), `templates` (saving message templates),
`render` (templates rendered for a customer: reads only)."""

from .consent import (
    consent_set,
    inbound_reply,
    unsubscribe_by_link,
    unsubscribe_token,
    unsubscribe_token_read,
    unsubscribe_url,
)
from .outbox import message_queue, message_send, message_status_report, outbox_dispatch
from .render import RenderedMessage, message_render, placeholder_values
from .templates import template_save

__all__ = [
    "RenderedMessage",
    "consent_set",
    "inbound_reply",
    "message_queue",
    "message_render",
    "message_send",
    "message_status_report",
    "outbox_dispatch",
    "placeholder_values",
    "template_save",
    "unsubscribe_by_link",
    "unsubscribe_token",
    "unsubscribe_token_read",
    "unsubscribe_url",
]
