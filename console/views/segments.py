"""Saved segments (issue #13): the list at /analytics/saved-segments/ (each segment's filter in words, its
customer count now, a link to the customer list with it applied), "Save as segment" from the customer
list, rename / describe, delete with a confirmation. The rules live in analytics.segments and
analytics.segment_services; these views parse, call one service and show its errors."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from analytics.exceptions import SavedSegmentError, SavedSegmentNotFound
from analytics.segment_services import saved_segment_create, saved_segment_delete, saved_segment_update
from analytics.segments import (
    SEPARATOR,
    filter_describe,
    filter_params,
    filter_problems,
    saved_segment_get,
    saved_segments_list,
)
from core.forms import add_domain_error
from core.permissions import permission_required

from ..forms import SavedSegmentForm


def _not_found(request: HttpRequest, exc: SavedSegmentNotFound) -> HttpResponse:
    """The list of saved segments, saying that the one asked for does not exist (404)."""
    context = {"rows": saved_segments_list(), "error": exc.message}
    return render(request, "console/saved_segments.html", context, status=404)


@permission_required("analytics.view_savedsegment")
@require_safe
def saved_segments(request: HttpRequest) -> HttpResponse:
    """Every saved segment with its filter in words and its customer count now. GET and HEAD only (another
    method: 405, after the permission check)."""
    return render(request, "console/saved_segments.html", {"rows": saved_segments_list()})


@permission_required("analytics.add_savedsegment")
@require_POST
def saved_segment_create_view(request: HttpRequest) -> HttpResponse:
    """Save the customer list's current filter (posted beside the name and description) as a segment.
    On an error (a taken or empty name, an invalid or empty filter) nothing is saved and the form comes
    back with it (400)."""
    form = SavedSegmentForm(request.POST)
    params = filter_params(request.POST)
    if form.is_valid():
        try:
            segment = saved_segment_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                filters=params,
                actor=request.user,
                origin="console",
            )
        except SavedSegmentError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved segment “%(name)s” created.") % {"name": segment.name})
            return redirect("console:saved_segments")
    context = {"form": form, "params": params, "words": SEPARATOR.join(filter_describe(params))}
    return render(request, "console/saved_segment_create.html", context, status=400)


@permission_required("analytics.change_savedsegment")
def saved_segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Rename a saved segment or change its description (its filter stays)."""
    try:
        segment = saved_segment_get(segment_id)
    except SavedSegmentNotFound as exc:
        return _not_found(request, exc)
    if request.method == "POST":
        form = SavedSegmentForm(request.POST)
        if form.is_valid():
            try:
                saved_segment_update(
                    segment_id=segment.pk,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                    origin="console",
                )
            except SavedSegmentNotFound as exc:  # deleted meanwhile
                return _not_found(request, exc)
            except SavedSegmentError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Saved segment “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
                return redirect("console:saved_segments")
        status = 400
    else:
        form = SavedSegmentForm(initial={"name": segment.name, "description": segment.description})
        status = 200
    context = {
        "segment": segment,
        "form": form,
        "words": SEPARATOR.join(filter_describe(segment.filters)),
        "problems": filter_problems(segment.filters),
    }
    return render(request, "console/saved_segment_edit.html", context, status=status)


@permission_required("analytics.delete_savedsegment")
def saved_segment_delete_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    """GET: the confirmation (what the segment is, what deleting it does); POST: delete it."""
    try:
        segment = saved_segment_get(segment_id)
    except SavedSegmentNotFound as exc:
        return _not_found(request, exc)
    if request.method == "POST":
        try:
            saved_segment_delete(segment_id=segment.pk, actor=request.user, origin="console")
        except SavedSegmentNotFound as exc:  # deleted meanwhile
            return _not_found(request, exc)
        except SavedSegmentError as exc:  # a campaign targets it
            context = {
                "segment": segment,
                "words": SEPARATOR.join(filter_describe(segment.filters)),
                "error": exc.message,
            }
            return render(request, "console/saved_segment_delete.html", context, status=400)
        messages.success(request, _("Saved segment “%(name)s” deleted.") % {"name": segment.name})
        return redirect("console:saved_segments")
    context = {"segment": segment, "words": SEPARATOR.join(filter_describe(segment.filters))}
    return render(request, "console/saved_segment_delete.html", context)
