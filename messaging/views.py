"""Public endpoints of messaging (no login): the providers' webhooks and the unsubscribe link.

Each is reached by people or systems outside the back-office, so each proves itself differently: a webhook
by the HMAC-SHA256 signature of its body (a bad one is 403 and changes nothing), an unsubscribe link, the
open pixel and a tracked link by their django.core.signing signatures. Neither has a CSRF token to send (an RFC 8058 one-click unsubscribe
is a POST from the mail client), so both are CSRF-exempt; the signatures stand in for it.
"""

import base64
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import pgettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .channels import provider_get
from .exceptions import InvalidUnsubscribeLink
from .models import Channel
from .rules import address_mask
from .selectors import consent_granted
from .services import inbound_reply, message_status_report, unsubscribe_by_link, unsubscribe_token_read
from .services.tracking import link_target, message_click_record, message_open_record

# A channel inside a sentence for customers ("Stop marketing messages by email to …"): lower case where the
# language writes it so, with the preposition each channel takes in Russian ("по SMS", "в мессенджере").
BY_CHANNEL = {
    Channel.EMAIL: pgettext_lazy("unsubscribe page", "by email"),
    Channel.SMS: pgettext_lazy("unsubscribe page", "by SMS"),
    Channel.MESSENGER: pgettext_lazy("unsubscribe page", "by messenger"),
}


def _verified_json(request: HttpRequest, provider: str):
    """(provider object, parsed body) of a webhook, or the error response: 404 for an unknown provider,
    403 for a missing or wrong signature, 400 for a body that is not JSON."""
    try:
        backend = provider_get(provider)
    except KeyError:
        return None, JsonResponse({"detail": "unknown provider", "code": "not_found"}, status=404)
    if not backend.webhook_verify(request.body, request.headers):
        return None, JsonResponse({"detail": "bad signature", "code": "bad_signature"}, status=403)
    try:
        return backend, json.loads(request.body)
    except ValueError:
        return None, JsonResponse({"detail": "the body is not JSON", "code": "parse_error"}, status=400)


@csrf_exempt
@require_POST
def webhook_status(request: HttpRequest, provider: str) -> HttpResponse:
    """POST /messaging/webhooks/<provider>/status/: delivery reports (delivered / failed). 200 with the
    counts of messages updated and not found; 400 for reports that cannot be read (nothing changes)."""
    backend, data = _verified_json(request, provider)
    if backend is None:
        return data
    try:
        reports = backend.status_reports(data)
    except ValueError as error:
        return JsonResponse({"detail": str(error), "code": "invalid"}, status=400)
    found = [message_status_report(provider=provider, report=report) for report in reports]
    return JsonResponse({"updated": sum(m is not None for m in found), "unknown": sum(m is None for m in found)})


@csrf_exempt
@require_POST
def webhook_inbound(request: HttpRequest, provider: str) -> HttpResponse:
    """POST /messaging/webhooks/<provider>/inbound/: replies from customers; a STOP withdraws the sender's
    consent for the channel the reply came on (the reply's "channel", else every channel this provider
    sends). 200 with the number of consents withdrawn."""
    backend, data = _verified_json(request, provider)
    if backend is None:
        return data
    try:
        replies = backend.inbound_replies(data)
    except ValueError as error:
        return JsonResponse({"detail": str(error), "code": "invalid"}, status=400)
    served = [channel for channel, name in settings.MESSAGING_CHANNEL_PROVIDERS.items() if name == provider]
    withdrawn = 0
    for channel, sender, text in replies:
        channels = [channel] if channel in served else served
        withdrawn += inbound_reply(channels=channels, sender=sender, text=text, provider=provider)
    return JsonResponse({"unsubscribed": withdrawn})


def _masked(address: str) -> str:
    """The address as the customer sees it on the unsubscribe page: an email as the console shows it
    (messaging.rules.address_mask, "a***@example.com"); a phone keeps its last 4 digits ("***6789"), enough for
    its owner to recognise it."""
    if "@" in address:
        return address_mask(address)
    return f"***{address[-4:]}" if address else ""


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """/messaging/unsubscribe/<token>/, no login: GET asks to confirm (a link scanner that follows links
    unsubscribes nobody), POST unsubscribes (the confirm button, or the mail client's RFC 8058 one-click
    POST "List-Unsubscribe=One-Click"). A customer already without the channel's consent (unsubscribed
    before, or never subscribed) is told so, with no button, and a POST then writes nothing. A bad or altered
    token: 400 with a page saying so. The page is the customer's, so it shows the shop's name
    (MESSAGING_SHOP_NAME) and nothing of the staff site."""
    shop = settings.MESSAGING_SHOP_NAME
    try:
        customer, channel = unsubscribe_token_read(token)
    except InvalidUnsubscribeLink as error:
        return render(request, "messaging/unsubscribe.html", {"error": error.message, "shop": shop}, status=400)
    address = customer.email if channel == Channel.EMAIL else customer.phone
    context = {
        "by_channel": BY_CHANNEL[channel],
        "address": _masked(address or ""),
        "already": not consent_granted(customer=customer, channel=channel),
        "done": False,
        "shop": shop,
    }
    if request.method == "POST" and not context["already"]:
        unsubscribe_by_link(token=token)
        context["done"] = True
    return render(request, "messaging/unsubscribe.html", context)


# A transparent 1×1 GIF (42 bytes): the open pixel of every email.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@require_safe
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """/m/o/<token>/, no login: the open pixel (image/gif, never cached, so every open reaches us). A GET
    with a valid token counts an open (messaging.services.tracking.message_open_record); a bad or forged
    token gets the same image and records nothing (the answer tells nothing about tokens). HEAD records
    nothing."""
    if request.method == "GET":
        message_open_record(token=token)
    response = HttpResponse(PIXEL_GIF, content_type="image/gif")
    add_never_cache_headers(response)
    response["Pragma"] = "no-cache"
    return response


@require_safe
def link_click(request: HttpRequest, token: str) -> HttpResponse:
    """/m/c/<token>/, no login: a tracked link. A valid token redirects (302, never cached) to the link
    stored for that message and position, after counting the click (message_click_record; a HEAD, as link
    checkers send, redirects without counting). Anything else is 404 with a short page: the address is
    never taken from the request, so this is no open redirect."""
    if request.method == "GET":
        link = message_click_record(token=token)
    else:
        link = link_target(token)
    if link is None:
        response = render(request, "messaging/link_invalid.html", {"shop": settings.MESSAGING_SHOP_NAME}, status=404)
    else:
        response = HttpResponseRedirect(link)
    add_never_cache_headers(response)
    return response
