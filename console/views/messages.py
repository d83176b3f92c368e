"""The outbox (issue #14): every message Boomerang wrote to a customer, sent or not, with filters, and a
message's own page with its text and status history. Read-only; the rows come from messaging.selectors.
Addresses are personal data: shown masked (messaging.rules.address_mask), never put in a URL."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.permissions import permission_required
from customers.selectors import customer_get
from messaging.models import Message
from messaging.rules import address_mask
from messaging.selectors import message_for_console, outbox_list

from ..filters import MessageFilter

PAGE_SIZE = 50


@permission_required("messaging.view_message")
@require_safe
def message_list(request: HttpRequest) -> HttpResponse:
    """/messages/: the outbox, newest first, 50 a page, narrowed by MessageFilter. Bad filter values
    (an unknown status, a date like 0001-01-01, a customer id that is not a number) are form errors shown
    above an unfiltered list, with status 400."""
    filterset = MessageFilter(request.GET or None, queryset=outbox_list())
    valid = not filterset.is_bound or filterset.is_valid()
    queryset = filterset.qs if filterset.is_bound and valid else filterset.queryset
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page:
        message.address_masked = address_mask(message.address)
    customer = None
    if valid and filterset.is_bound and (customer_id := filterset.form.cleaned_data.get("customer_id")):
        customer = customer_get(int(customer_id))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/message_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "filtered_customer": customer},
        status=200 if valid else 400,
    )


@permission_required("messaging.view_message")
@require_safe
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    """/messages/<id>/: a message's subject, rendered text, masked address and status history; 404 if none."""
    message = message_for_console(message_id)
    if message is None:
        raise Http404(_("No such message."))
    return render(
        request,
        "console/message_detail.html",
        {"message": message, "address_masked": address_mask(message.address), "history": _history(message)},
    )


def _history(message) -> list[tuple]:
    """(change, why) for each status change, oldest first: a skip reason's code in the reader's language,
    the plain "queued" of a new message left out, other reasons (a provider's error, "held until…") as
    recorded."""
    labels = dict(Message.SkipReason.choices)
    rows = []
    for change in message.status_changes.all():
        reason = change.reason
        why = labels.get(reason) or ("" if reason == change.status else reason)
        rows.append((change, why))
    return rows
