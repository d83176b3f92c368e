"""The outbox (issue #14): every message Boomerang wrote to a customer, sent or not, with filters, a
message's own page with its text, status history, opens and clicks, and the results per kind. Read-only;
the rows come from messaging.selectors. Addresses are personal data: shown masked
(messaging.rules.address_mask), never put in a URL."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from campaigns.selectors import campaign_kind_labels
from core.formatting import money_format, percent_format
from core.forms import BoundedDateField, EmptyChoiceDashMixin
from core.permissions import permission_required
from core.spreadsheet import csv_response
from customers.selectors import customer_get
from loyalty.rules import local_midnight
from loyalty.selectors import program_settings_get
from messaging.models import Channel, Message, MessageStatusChange
from messaging.rules import address_mask
from messaging.selectors import KindResults, kind_label, message_for_console, message_results, outbox_list

from ..filter_tokens import filters_recall, filters_remember
from ..filters import MessageFilter

PAGE_SIZE = 50
FILTERS_KEY = "console_message_filters"  # {token: {field: value}} in the session (console.filter_tokens)


@permission_required("messaging.view_message")
@require_http_methods(["GET", "HEAD", "POST"])
def message_list(request: HttpRequest) -> HttpResponse:
    """/messages/: the outbox, newest first, 50 a page, narrowed by MessageFilter. The filter form is
    POSTed and kept in the session under a short token (`?f=…`), as the customer list does, so that a
    phone or an email typed into "Customer" never travels in a URL (access logs, browser history,
    pagination links); a customer's id from their page and plain GET filters (bookmarks) still work. Bad
    filter values (an unknown status, a date like 0001-01-01, dates the wrong way round, a customer id that
    is not a number or too big) are form errors shown above an unfiltered list, with status 400."""
    if request.method == "POST":
        params = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
        token = filters_remember(request, FILTERS_KEY, params)
        return redirect(f"{request.path}?f={token}")
    token = request.GET.get("f", "")
    data = filters_recall(request, FILTERS_KEY, token)
    if data is None:
        data = {key: value for key, value in request.GET.items() if key not in ("page", "f")} or None
        token = ""
    filterset = MessageFilter(data, queryset=outbox_list())
    valid = not filterset.is_bound or filterset.is_valid()
    queryset = filterset.qs if filterset.is_bound and valid else filterset.queryset
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    campaigns = campaign_kind_labels({message.kind for message in page})
    for message in page:
        message.address_masked = address_mask(message.address)
        message.kind_label = campaigns.get(message.kind) or kind_label(message.kind)
    customer = None
    if valid and filterset.is_bound and (customer_id := filterset.form.cleaned_data.get("customer_id")):
        customer = customer_get(int(customer_id))
    if token:
        query = f"f={token}"
    else:
        query_dict = QueryDict(mutable=True)
        query_dict.update(data or {})
        query = query_dict.urlencode()
    return render(
        request,
        "console/message_list.html",
        {"filter": filterset, "page": page, "query": query, "filtered_customer": customer},
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
        {
            "message": message,
            "address_masked": address_mask(message.address),
            "kind_label": campaign_kind_labels([message.kind]).get(message.kind) or kind_label(message.kind),
            "history": _history(message),
        },
    )


def _history(message) -> list[tuple]:
    """(change, why) for each status change, oldest first: a skip reason's code in the reader's language,
    the plain "queued" of a new message and "opened" of a pixel left out, an open by a followed link said
    in the reader's language, other reasons (a provider's error, "held until…", "clicked <host>") as
    recorded."""
    labels = dict(Message.SkipReason.choices)
    opens = {"opened": "", "opened (a link was followed)": _("a link was followed")}
    rows = []
    for change in message.status_changes.all():
        reason = change.reason
        why = labels.get(reason) or ("" if reason == change.status else reason)
        if change.status == MessageStatusChange.Event.OPENED:
            why = opens.get(reason, reason)
        rows.append((change, why))
    return rows


RESULTS_DAYS = 30  # the period shown when none is chosen: the last 30 days, today included


class ResultsPeriodForm(EmptyChoiceDashMixin, forms.Form):
    """The period of the results: the messages queued from `start` to `end`, two calendar days in the
    shop's time zone, both included."""

    start = BoundedDateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


def _percent(rate: Decimal | None) -> str:
    """A rate (0.5000) as people read it: "50.0 %" with the language's decimal mark; "" for none."""
    if rate is None:
        return ""
    return percent_format(rate, 1)


RATED = ("delivered", "opened", "clicked", "unsubscribed", "buyers")


@permission_required("messaging.view_message")
@require_safe
def message_stats(request: HttpRequest) -> HttpResponse:
    """/messages/stats/?start=YYYY-MM-DD&end=YYYY-MM-DD: the results of the messages queued in the period
    (default: the last 30 days, today included), a row per kind and channel (messaging.selectors.
    message_results; definitions in docs/messaging.md); `&export=csv` for the same table. Bad dates (not a
    date, before 1900, an end before the start) are form errors, status 400."""
    today = timezone.localdate()
    initial = {"start": today - dt.timedelta(days=RESULTS_DAYS - 1), "end": today}
    form = ResultsPeriodForm(request.GET if "start" in request.GET or "end" in request.GET else initial)
    if not form.is_valid():
        return render(request, "console/message_stats.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    results = message_results(since=local_midnight(start), until=local_midnight(end + dt.timedelta(days=1)))
    if request.GET.get("export") == "csv":
        return csv_response(_csv_rows(results), filename=f"message-results-{start}-{end}.csv")
    currency = program_settings_get().currency
    channels = dict(Channel.choices)
    campaigns = campaign_kind_labels({row.kind for row in results if row.kind})
    rows = [
        {
            "results": row,
            "kind": (campaigns.get(row.kind) or kind_label(row.kind)) if row.kind else _("All messages"),
            "channel": channels.get(row.channel, row.channel) if row.channel else _("All channels"),
            "total": not row.channel,
            "rates": {name: _percent(row.rate(name)) for name in RATED},
            "revenue": money_format(row.revenue, currency),
        }
        for row in results
    ]
    query = request.GET.copy()
    query.pop("export", None)
    context = {"form": form, "rows": rows, "start": start, "end": end, "query": query.urlencode()}
    return render(request, "console/message_stats.html", context)


def _csv_rows(results: list[KindResults]):
    """The table for a spreadsheet: machine values (counts, money as 1234.50, rates as 0.5000; "" where a
    figure does not apply), kind and channel as codes ("" = all)."""
    yield [
        "kind", "channel", "queued", "sent", "delivered", "failed", "skipped", "opened", "clicked",
        "unsubscribed", "buyers_7d", "purchases_7d", "revenue_7d", "delivered_rate", "opened_rate",
        "clicked_rate", "unsubscribed_rate", "buyers_7d_rate",
    ]  # fmt: skip
    for row in results:
        rates = ["" if (rate := row.rate(name)) is None else rate for name in RATED]
        yield [
            row.kind, row.channel, row.queued, row.sent, row.delivered, row.failed, row.skipped,
            "" if row.opened is None else row.opened, row.clicked, row.unsubscribed, row.buyers, row.purchases,
            row.revenue, *rates,
        ]  # fmt: skip
