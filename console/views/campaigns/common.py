"""What the campaign screens share: the permissions, the campaign or a 404, an uplift in words."""

from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.selectors import campaign_get
from core.formatting import CURRENCY_SIGNS, decimal_format

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


def money_uplift_text(estimate, currency: str) -> str:
    """An uplift of money per customer and its interval in words, as uplift_text writes a rate's: signed,
    with the minus sign U+2212 and the "95 % CI" label: "+12.18 ₽ (95 % CI −14.81 ₽ … +39.17 ₽)", or
    "not enough data". Money rounded half up to 0.01 (core.formatting.decimal_format)."""
    if estimate is None:
        return _("not enough data")

    def money(value) -> str:
        return f"{decimal_format(value, 2, signed=True)}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"

    return _("%(value)s (95 %% CI %(low)s … %(high)s)") % {
        "value": money(estimate.value),
        "low": money(estimate.low),
        "high": money(estimate.high),
    }
