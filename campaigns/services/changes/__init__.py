"""Staff's changes to campaigns (issue #15): create, edit, launch, pause, resume, finish, and the uploaded
list of a "list" target. Each one transaction with its audit row; a refusal is a CampaignError with a
sentence for the person and nothing written.

What may change when (docs/campaigns.md, "Editing a running campaign"):

- a draft: everything;
- once launched (scheduled, active, paused): only what neither moves the holdout nor changes what the
  customers already granted got — the name, the end (not into the past, still after the start), the
  points budget (any value not below the points granted nor below the largest grant, or none), the
  channels the message goes out on (each with a template, as at launch), the response window of the results
  (the message texts themselves are templates, edited in the template editor at any time). The kind,
  target, holdout, variants, points and kind parameters stay as launched: changing them would make the
  treated and the holdout two different experiments;
- a finished campaign: nothing.

Modules: `fields` (the accepted fields and their checks: the form-level validation), `edits`
(campaign_create, campaign_update), `status` (campaign_launch_problems and the status transitions),
`lists` (the uploaded list). The bounds of the numbers are campaigns.bounds, re-exported here.
"""

from ...bounds import DAYS_BEFORE_MAX, INT_MAX, INTEGER_BOUNDS, VARIANT_POINTS_MAX
from .edits import campaign_create, campaign_delete, campaign_update
from .fields import FIELDS, FIELDS_WHILE_RUNNING, GRANTING_KINDS, LAUNCHED, VARIANT_CODE
from .lists import (
    LIST_LINE_MAX,
    LIST_MAX_LINES,
    ListUploadResult,
    campaign_list_upload,
    campaign_list_upload_refusal,
)
from .status import campaign_finish, campaign_launch, campaign_launch_problems, campaign_pause, campaign_resume

__all__ = [
    "DAYS_BEFORE_MAX",
    "FIELDS",
    "FIELDS_WHILE_RUNNING",
    "GRANTING_KINDS",
    "INTEGER_BOUNDS",
    "INT_MAX",
    "LAUNCHED",
    "LIST_LINE_MAX",
    "LIST_MAX_LINES",
    "VARIANT_CODE",
    "VARIANT_POINTS_MAX",
    "ListUploadResult",
    "campaign_create",
    "campaign_delete",
    "campaign_finish",
    "campaign_launch",
    "campaign_launch_problems",
    "campaign_list_upload",
    "campaign_list_upload_refusal",
    "campaign_pause",
    "campaign_resume",
    "campaign_update",
]
