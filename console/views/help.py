"""/help/<doc>/: the definitions in docs/*.md shown in the console, so that a page's "Every figure is
defined in …" is a link staff can follow rather than a path in the repository they cannot open.

The documents are the repository's own (trusted) Markdown, in English; they are rendered with
python-markdown (tables, heading anchors) once per process and file version (the file's mtime)."""

from pathlib import Path

import markdown
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core.permissions import permission_required

DOCS_DIR = Path(settings.BASE_DIR) / "docs"

# slug → (file, title, the permission of the pages it defines)
DOCS = {
    "analytics": ("analytics.md", gettext_lazy("Analytics: definitions"), "console.view_dashboard"),
    "analytics-rfm": ("analytics-rfm.md", gettext_lazy("RFM segments: definitions"), "console.view_dashboard"),
    "messaging": ("messaging.md", gettext_lazy("Messages: definitions"), "messaging.view_message"),
    "campaigns": ("campaigns.md", gettext_lazy("Campaigns: definitions"), "campaigns.view_campaign"),
}

_rendered: dict[str, tuple[float, str]] = {}


def doc_html(slug: str) -> str:
    """The HTML of docs/<file> for `slug` (a key of DOCS), tables with Bootstrap's classes, headings with
    ids; cached per process until the file changes. Raises KeyError for an unknown slug."""
    path = DOCS_DIR / DOCS[slug][0]
    mtime = path.stat().st_mtime
    cached = _rendered.get(slug)
    if cached and cached[0] == mtime:
        return cached[1]
    html = markdown.markdown(path.read_text(encoding="utf-8"), extensions=["tables", "toc", "fenced_code"])
    html = html.replace("<table>", '<table class="table table-sm table-bordered">')
    _rendered[slug] = (mtime, html)
    return html


def _doc_view(slug: str):
    @permission_required(DOCS[slug][2])
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        try:
            html = doc_html(slug)
        except FileNotFoundError:
            raise Http404(_("No such document.")) from None
        return render(
            request,
            "console/help.html",
            {"title": DOCS[slug][1], "html": mark_safe(html)},  # noqa: S308 - our docs
        )

    view.__name__ = view.__qualname__ = f"help_{slug.replace('-', '_')}"
    view.__doc__ = f"/help/{slug}/: docs/{DOCS[slug][0]} rendered, for whoever may see the pages it defines."
    return view


help_views = {slug: _doc_view(slug) for slug in DOCS}
