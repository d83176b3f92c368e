"""What the campaign screens share: the permissions, the campaign or a 404, an uplift in words."""

from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.selectors import campaign_get
from core.formatting import decimal_format

VIEW, ADD, CHANGE = "campaigns.view_campaign", "campaigns.add_campaign", "campaigns.change_campaign"


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = campaign_get(campaign_id)
    if campaign is None:
        raise Http404(_("There is no such campaign."))
    return campaign


def points_pp(value) -> str:
    """A fraction as percentage points with a sign, rounded half up, in the reader's language: 0.3 →
    "+30.0", -0.1155 → "−11.6", -0.0004 → "0.0" (core.formatting.decimal_format)."""
    if value is None:
        return "—"
    return decimal_format(Decimal(value) * 100, 1, signed=True)


def uplift_text(estimate) -> str:
    """An uplift of a rate and its interval in words: "+30.0 pp (95 % CI −11.6 … +71.6)", or "not enough
    data"."""
    if estimate is None:
        return _("not enough data")
    return _("%(value)s pp (95 %% CI %(low)s … %(high)s)") % {
        "value": points_pp(estimate.value),
        "low": points_pp(estimate.low),
        "high": points_pp(estimate.high),
    }
