"""The uploaded list of a "list" target: the file or pasted lines posted from the campaign page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from campaigns.exceptions import CampaignError
from campaigns.services.changes import campaign_list_upload, campaign_list_upload_refusal
from core.permissions import permission_required

from ...forms import CampaignListForm
from .common import CHANGE, _campaign_or_404
from .detail import _page_context


@permission_required(CHANGE)
@require_POST
def campaign_list_upload_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """POST (multipart, CSRF): put the customers of a file or pasted lines on a draft's list. The page
    comes back with what was added and the lines that matched nobody (masked), never stored; a refused
    upload (not a draft, no lines, a file too large or not text) changes nothing (400). The page shows the
    upload form only for a draft: a campaign launched since (a tab opened earlier) gets its reason at the
    top of the page instead, whatever was posted."""
    campaign = _campaign_or_404(campaign_id)
    if (refusal := campaign_list_upload_refusal(campaign)) is not None:
        context = _page_context(campaign)
        context["action_error"] = refusal.message
        return render(request, "console/campaign_detail.html", context, status=400)
    form = CampaignListForm(request.POST, request.FILES)
    result, status = None, 400
    if form.is_valid():
        try:
            result = campaign_list_upload(
                campaign_id=campaign.pk,
                text=form.cleaned_data["content"],
                replace=form.cleaned_data["replace"],
                pasted=form.cleaned_data.get("file") is None,
                actor=request.user,
                origin="console",
            )
        except CampaignError as error:
            form.add_error(None, error.message)
        else:
            status = 200
            form = None
    campaign = _campaign_or_404(campaign_id)
    context = _page_context(campaign, list_form=form, list_result=result)
    if status == 400 and (refusal := campaign_list_upload_refusal(campaign)) is not None:
        context["action_error"] = refusal.message  # launched meanwhile: the form is not shown any more
    return render(request, "console/campaign_detail.html", context, status=status)
