"""Campaigns in the console (issue #15): the list with each one's uplift at a glance, the form per kind
(variants inline, the target pickers), the campaign page with the preview before launch and the
launch / pause / resume / finish buttons (POST, CSRF, a confirmation), the uploaded list, the links to its
message templates, and the results page with its CSV. The rules live in campaigns (services.changes,
selectors, results); these views parse, call one service and show its errors.

Modules: `common` (permissions, the campaign or a 404, uplift in words), `edit` (the list and the form per
kind), `detail` (the campaign page and its status buttons), `upload` (the uploaded list), `results` (the
results page and CSV).
"""

from .common import points_pp, uplift_text
from .detail import (
    campaign_detail,
    campaign_finish_view,
    campaign_launch_view,
    campaign_pause_view,
    campaign_resume_view,
)
from .edit import campaign_delete_view, campaign_edit, campaign_new, campaigns
from .results import campaign_results_csv, campaign_results_view
from .upload import campaign_list_upload_view

__all__ = [
    "campaign_delete_view",
    "campaign_detail",
    "campaign_edit",
    "campaign_finish_view",
    "campaign_launch_view",
    "campaign_list_upload_view",
    "campaign_new",
    "campaign_pause_view",
    "campaign_results_csv",
    "campaign_results_view",
    "campaign_resume_view",
    "campaigns",
    "points_pp",
    "uplift_text",
]
