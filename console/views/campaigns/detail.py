"""The campaign page (settings, the preview before launch and what stops a launch, the message templates,
the uploaded list) and its launch / pause / resume / finish buttons (POST, CSRF, a confirmation)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from campaigns.bounds import campaign_bounds_problems
from campaigns.exceptions import CampaignError
from campaigns.models import Campaign
from campaigns.rules import grants_no_points
from campaigns.selectors import campaign_points_granted, campaign_preview
from campaigns.services.changes import (
    campaign_finish,
    campaign_launch,
    campaign_launch_problems,
    campaign_pause,
    campaign_resume,
)
from core.formatting import points_format
from core.permissions import permission_required
from messaging.models import Channel, MessageTemplate

from ...forms import WEEKDAYS, CampaignListForm
from .common import CHANGE, VIEW, _campaign_or_404


def _templates(campaign: Campaign) -> list[dict]:
    """The campaign's message per channel and language: written or not, with the editor's link."""
    written = set(MessageTemplate.objects.filter(kind=campaign.message_kind).values_list("channel", "language"))
    channels = campaign.channels or []
    return [
        {
            "channel": code,
            "channel_label": label,
            "used": code in channels,
            "languages": [(lang, name, (code, lang) in written) for lang, name in settings.LANGUAGES],
        }
        for code, label in Channel.choices
    ]


def _rfm_label(code: str) -> str:
    from analytics.rfm_rules import Segment

    return str(Segment(code).label) if code in Segment.values else code


def _boost_schedule(campaign: Campaign) -> tuple[str, str]:
    """A boost's weekdays and hours in words: ("Monday, Friday" in the reader's language, or "every day";
    "22:00–02:00" — past midnight when the end is the smaller — or "all day")."""
    days = [str(label) for day, label in WEEKDAYS if day in (campaign.boost_weekdays or [])]
    hours = (
        f"{campaign.boost_hour_from:02d}:00–{campaign.boost_hour_to:02d}:00"
        if campaign.boost_hour_from is not None and campaign.boost_hour_to is not None
        else _("all day")
    )
    return (", ".join(days) if days else _("every day")), hours


def _budget_note(preview) -> str:
    """What the preview says when the budget stops short of one grant per treated customer (a budget that
    stops granting is allowed, but not silently): for a broadcast without variants how many it pays and
    how many get nothing, for the rest that it may run out; "" when it covers them all (or no preview)."""
    if preview is None or preview.points_wanted is None:
        return ""
    if preview.budget_covers is not None:
        left_out = preview.treated - preview.budget_covers
        return ngettext(
            "The budget covers %(covered)s of the %(treated)s treated customers; %(left_out)s will get nothing.",
            "The budget covers %(covered)s of the %(treated)s treated customers; %(left_out)s will get nothing.",
            left_out,
        ) % {
            "covered": points_format(preview.budget_covers),
            "treated": points_format(preview.treated),
            "left_out": points_format(left_out),
        }
    return _(
        "The budget may run out before every treated customer is granted: one grant each would take "
        "%(wanted)s points, more than the budget has left."
    ) % {"wanted": points_format(preview.points_wanted)}


def _page_context(campaign: Campaign, *, list_form=None, list_result=None) -> dict:
    preview = campaign_preview(campaign) if campaign.status == Campaign.Status.DRAFT else None
    channel_names = dict(Channel.choices)
    return {
        "campaign": campaign,
        "points_granted": campaign_points_granted(campaign),
        # The budget counts the points granted (campaign.points_granted); what is left of it, never below 0.
        "budget_left": max(campaign.budget_points - campaign.points_granted, 0)
        if campaign.budget_points is not None
        else None,
        "channel_labels": [str(channel_names.get(code, code)) for code in campaign.channels or []],
        "rfm_segment_label": _rfm_label(campaign.target_rfm_segment),
        "preview": preview,
        "problems": campaign_launch_problems(campaign) if preview else [],
        "budget_note": _budget_note(preview),
        **dict(zip(("boost_days", "boost_hours"), _boost_schedule(campaign), strict=True)),
        # A launched row outside the bounds (saved before them) runs nothing: say which value (a draft's
        # launch problems say it already).
        "bounds_problems": campaign_bounds_problems(campaign, campaign.variants.all())
        if campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.ACTIVE, Campaign.Status.PAUSED)
        else [],
        "templates": _templates(campaign),
        # A message-only campaign (0 points): its messages leave {points} and {expires_on} empty.
        "grants_no_points": grants_no_points(
            campaign.kind, campaign.points, [v.points for v in campaign.variants.all()]
        ),
        "list_form": list_form or CampaignListForm(),
        "list_result": list_result,
        "list_size": campaign.list_members.count() if campaign.target == Campaign.Target.LIST else None,
    }


@permission_required(VIEW)
@require_safe
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/: the campaign's settings; for a draft the preview before launch (target size,
    holdout, variants, expected points and cost) and what still stops it from launching; the buttons of
    its status; its message templates; the uploaded list."""
    campaign = _campaign_or_404(campaign_id)
    return render(request, "console/campaign_detail.html", _page_context(campaign))


def _status_view(service, done):
    """A view that POSTs `service` (campaign_launch, …) for the campaign and says `done` (lazy text)."""

    def view(request: HttpRequest, campaign_id: int) -> HttpResponse:
        campaign = _campaign_or_404(campaign_id)
        try:
            service(campaign_id=campaign.pk, actor=request.user, origin="console")
        except CampaignError as error:
            context = _page_context(_campaign_or_404(campaign_id))
            context["action_error"] = error.message
            return render(request, "console/campaign_detail.html", context, status=400)
        messages.success(request, str(done) % {"name": campaign.name})
        return redirect("console:campaign", campaign_id=campaign.pk)

    view.__name__ = view.__qualname__ = f"{service.__name__}_view"
    view.__doc__ = f"POST: {service.__name__} (CSRF); a refusal shows the page again with the reason (400)."
    return permission_required(CHANGE)(require_POST(view))


campaign_launch_view = _status_view(campaign_launch, gettext_lazy("Campaign “%(name)s” launched."))
campaign_pause_view = _status_view(campaign_pause, gettext_lazy("Campaign “%(name)s” paused."))
campaign_resume_view = _status_view(campaign_resume, gettext_lazy("Campaign “%(name)s” resumed."))
campaign_finish_view = _status_view(campaign_finish, gettext_lazy("Campaign “%(name)s” finished."))
