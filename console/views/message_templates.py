"""Message templates in the console (issue #14): every kind × channel × language and whether it is written;
the editor of one, with the placeholders explained and a live preview rendered for a real customer (found
by phone or card number, sent by POST: a phone never goes in a URL), with an SMS's length and segments."""

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.models import Campaign
from campaigns.rules import GRANT_PLACEHOLDERS, campaign_id_of_message_kind, grant_message_values, grants_no_points
from campaigns.selectors import campaign_kind_labels
from campaigns.services.daily import campaign_grant_expiry
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.permissions import permission_required
from customers.selectors import customer_lookup
from messaging import rules
from messaging.models import Channel, NoticeKind
from messaging.rules import address_mask
from messaging.selectors import template_get, template_kinds, templates_overview
from messaging.services import template_save
from messaging.services.render import (
    notice_preview_values,
    placeholder_meanings,
    placeholder_values,
    template_render,
)
from messaging.services.templates import template_check

from ..forms import MessageTemplateForm

PERMISSION = "messaging.change_messagetemplate"

# Said under the preview when the notice's own values cannot be worked out for the customer chosen
# (messaging.services.render.notice_preview_values answered None): the text then shows example values.
EXAMPLE_VALUES_NOTES = {
    NoticeKind.POINTS_EARNED: gettext_lazy(
        "Example values: {points} shows the balance here; the notice fills in the points the purchase earned."
    ),
    NoticeKind.POINTS_BURNING: gettext_lazy(
        "Example values: none of this customer's points burn. The notice fills in {points} with the points "
        "that burn and {expires_on} with their date."
    ),
    NoticeKind.TIER_AT_RISK: gettext_lazy(
        "Example values: this customer's tier is not at risk. The notice fills in {spend_needed} with the "
        "money to spend to keep the tier and {expires_on} with the last day to spend it."
    ),
}


@permission_required(PERMISSION)
@require_safe
def message_templates(request: HttpRequest) -> HttpResponse:
    """/messages/templates/: each kind on each channel, per language: written or not, last changed by
    whom and when, with a link to its editor."""
    rows = templates_overview()
    campaigns = campaign_kind_labels({row.kind for row in rows})
    rows = [dataclasses.replace(row, kind_label=campaigns.get(row.kind, row.kind_label)) for row in rows]
    return render(request, "console/message_templates.html", {"rows": rows, "languages": settings.LANGUAGES})


# What the grant's own placeholders mean in a campaign's message (campaigns fill them in per grant).
CAMPAIGN_PLACEHOLDER_MEANINGS = {
    "{points}": gettext_lazy("the points of the grant (the variant's, or the campaign's)"),
    "{expires_on}": gettext_lazy("the date the grant's points burn"),
    "{valid_through}": gettext_lazy("the last day the grant's points can be spent (the day before they burn)"),
}


def _campaign_of(kind: str) -> Campaign | None:
    """The campaign whose messages are of `kind` ("campaign:<id>"), or None."""
    campaign_id = campaign_id_of_message_kind(kind)
    return None if campaign_id is None else Campaign.objects.filter(pk=campaign_id).first()


# The same in a campaign that grants no points (a message-only broadcast): both are left empty.
NO_POINTS_PLACEHOLDER_MEANING = gettext_lazy("empty: this campaign grants no points (a message only)")
# Said in the editor of such a campaign's message when its text uses one of them.
NO_POINTS_WARNING = gettext_lazy(
    "This campaign grants no points: {points} and {expires_on} stay empty in its messages. Write the message "
    "without them."
)


def _grants_no_points(campaign: Campaign | None) -> bool:
    """Whether `campaign` (None: not a campaign's template) gives every customer 0 points."""
    if campaign is None:
        return False
    return grants_no_points(campaign.kind, campaign.points, list(campaign.variants.values_list("points", flat=True)))


def _placeholders(kind: str, campaign: Campaign | None) -> list[tuple[str, str]]:
    meanings = placeholder_meanings(kind)
    if campaign is None:
        return meanings
    if _grants_no_points(campaign):
        own = {f"{{{name}}}": NO_POINTS_PLACEHOLDER_MEANING for name in GRANT_PLACEHOLDERS}
    else:
        own = CAMPAIGN_PLACEHOLDER_MEANINGS
    return [(name, own.get(name, meaning)) for name, meaning in meanings]


def _campaign_values(campaign: Campaign) -> dict:
    """{points}, {expires_on}, {valid_through} as a grant made now would fill them in
    (campaigns.rules.grant_message_values): the campaign's points (the first variant's when it has variants),
    the day they would burn (the daily run's campaign_grant_expiry: its points_valid_days, else the
    program's lifetime; empty when they never burn) and the last day they can be spent; all empty for 0
    points."""
    variant = campaign.variants.order_by("code").first()
    expires = campaign_grant_expiry(campaign, at=timezone.now())
    values = grant_message_values(variant.points if variant else campaign.points, expires)
    if values["expires_on"] is not None:
        values["expires_on"] = timezone.localdate(values["expires_on"])
    return {name: "" if value is None else value for name, value in values.items()}


def _slot(kind: str, channel: str, language: str) -> dict:
    """The URL's kind, channel and language, checked (404 otherwise: a kind that is neither a built-in
    notice, nor an existing campaign's "campaign:<id>", nor one that has templates, an unknown channel or
    language), with their labels, and the campaign whose kind it is (None for any other kind), read once
    for the request."""
    kinds = dict(template_kinds())
    if (campaign := _campaign_of(kind)) is not None:
        kinds[kind] = _("Campaign “%(name)s”") % {"name": campaign.name}
    languages = dict(settings.LANGUAGES)
    channels = dict(Channel.choices)
    if kind not in kinds or channel not in channels or language not in languages:
        raise Http404(_("No such template."))
    return {
        "kind": kind,
        "kind_label": kinds[kind],
        "channel": channel,
        "channel_label": channels[channel],
        "language": language,
        "language_label": languages[language],
        "campaign": campaign,
    }


@permission_required(PERMISSION)
@require_http_methods(["GET", "HEAD", "POST"])
def message_template(request: HttpRequest, kind: str, channel: str, language: str) -> HttpResponse:
    """/messages/templates/<kind>/<channel>/<language>/: edit the subject (email) and text. Saving goes
    through template_save (audited); an unknown placeholder or a malformed brace is a form error and
    nothing is saved (status 400)."""
    slot = _slot(kind, channel, language)
    campaign = slot.pop("campaign")
    template = template_get(kind=kind, channel=channel, language=language)
    status = 200
    if request.method == "POST":
        form = MessageTemplateForm(request.POST, channel=channel)
        if form.is_valid():
            try:
                template_save(
                    kind=kind,
                    channel=channel,
                    language=language,
                    subject=form.cleaned_data.get("subject", ""),
                    body=form.cleaned_data["body"],
                    actor=request.user,
                    origin="console",
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Template saved."))
                return redirect("console:message_template", kind=kind, channel=channel, language=language)
        status = 400
    else:
        initial = {"subject": template.subject, "body": template.body} if template else {}
        form = MessageTemplateForm(initial=initial, channel=channel)
    context = {
        **slot,
        "form": form,
        "template": template,
        "placeholders": _placeholders(kind, campaign),
        # The preview of what the form holds (a saved template, or the text just refused), before any typing.
        **_preview(
            form.data if form.is_bound else form.initial,
            kind=kind,
            channel=channel,
            language=language,
            campaign=campaign,
        ),
    }
    return render(request, "console/message_template_edit.html", context, status=status)


@permission_required(PERMISSION)
@require_POST
def message_template_preview(request: HttpRequest, kind: str, channel: str, language: str) -> HttpResponse:
    """POST (htmx, CSRF): the preview of the subject and text being typed, for the customer typed, as an
    HTML fragment. Problems (an unknown placeholder, no such customer) are shown in the fragment, status
    200, so that the page replaces the previous preview with them."""
    campaign = _slot(kind, channel, language)["campaign"]
    context = _preview(request.POST, kind=kind, channel=channel, language=language, campaign=campaign)
    return render(request, "console/partials/message_template_preview.html", context)


def _preview(data, *, kind: str, channel: str, language: str, campaign: Campaign | None) -> dict:
    """The preview's context: the text typed (`body`, `subject`) rendered for the customer found by
    `customer` (customer_lookup: a phone in any format or a card number finds one customer) in the
    template's `language`, with the values the notice of `kind` would pass for them
    (notice_preview_values), or example values and a note saying so (EXAMPLE_VALUES_NOTES), or why it
    cannot be rendered; for SMS the length and segments (rules.sms_size) of the
    rendered text, or of the text as typed while no customer is chosen."""
    form = MessageTemplateForm(data, channel=channel)
    form.is_valid()  # only for the lengths: the preview shows the first problem instead of the text
    body = str(data.get("body", "") or "")[: MessageTemplateForm.base_fields["body"].max_length]
    subject = str(data.get("subject", "") or "") if channel == "email" else ""
    query = str(data.get("customer", "") or "").strip()[:100]
    context = {"channel": channel, "problem": "", "customer_problem": "", "customer": None}
    too_long = [error for name in ("subject", "body") for error in form.errors.get(name, []) if body.strip()]
    try:
        template_check(subject=subject, body=body)
        if too_long:
            context["problem"] = too_long[0]
    except DomainError as error:
        context["problem"] = error.message
    customer = None
    if query:
        found = customer_lookup(query, limit=2)
        if not found:
            context["customer_problem"] = _("No customer has this phone or card number.")
        elif len(found) > 1:
            context["customer_problem"] = _("Several customers match: type the whole phone or card number.")
        else:
            customer = found[0]
            context["customer"] = customer
            context["customer_address"] = address_mask(customer.phone if channel != "email" else customer.email or "")
    if _grants_no_points(campaign):
        try:
            used = rules.template_placeholders(body) + rules.template_placeholders(subject)
        except ValueError:  # a malformed brace: the problem above says so
            used = []
        if set(GRANT_PLACEHOLDERS) & set(used):
            context["no_points_warning"] = NO_POINTS_WARNING
    text, rendered_subject = body, subject
    if customer is not None and not context["problem"]:
        if campaign is not None:
            extra = _campaign_values(campaign)
        else:
            extra = notice_preview_values(kind=kind, customer_id=customer.pk)
        if extra is None:
            context["example_note"] = EXAMPLE_VALUES_NOTES[kind]
        values = placeholder_values(customer, language=language, extra=extra or None)
        text, rendered_subject = template_render(body, values), template_render(subject, values)
        context["rendered"] = True
    context["text"], context["subject"] = text, rendered_subject
    if channel == Channel.SMS:
        context["sms"] = rules.sms_size(text)
    return context
