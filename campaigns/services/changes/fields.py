"""What a campaign's values must satisfy, draft or launched (the form-level validation of the services):
the fields a service accepts and those that may still change once launched, the checks of the fields,
variants, end and tiers (each a CampaignError on the field at fault), and the row lock the services take."""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from analytics.rfm_rules import Segment
from core.formatting import points_format
from loyalty.models import Tier
from loyalty.rules import category_visible
from messaging.models import Channel

from ...bounds import (
    INTEGER_BOUNDS,
    RESPONSE_DAYS_MAX,
    VARIANT_POINTS_MAX,
    VARIANT_WEIGHT_MAX,
    absence_steps_valid,
    value_within_bounds,
)
from ...exceptions import CampaignError
from ...models import Campaign

Kind, Status, Target = Campaign.Kind, Campaign.Status, Campaign.Target

# The fields a service accepts in `values` (the rest of a Campaign is the service's own business).
FIELDS = (
    "name",
    "kind",
    "starts_at",
    "ends_at",
    "target",
    "target_rfm_segment",
    "target_saved_segment",
    "target_consent",
    "holdout_percent",
    "points",
    "points_valid_days",
    "budget_points",
    "per_customer_limit",
    "days_before",
    "absence_days",
    "boost_multiplier",
    "boost_extra_percent",
    "boost_category",
    "boost_weekdays",
    "boost_hour_from",
    "boost_hour_to",
    "action",
    "action_limit",
    "action_period_days",
    "channels",
    "response_days",
)
# What may still change once a campaign is launched (see the module's docstring).
FIELDS_WHILE_RUNNING = ("name", "ends_at", "budget_points", "channels", "response_days")
# Kinds whose grants are points: they need points to launch. A broadcast may be a message alone; a boost
# multiplies earning instead.
GRANTING_KINDS = (Kind.WELCOME, Kind.BIRTHDAY, Kind.ANNIVERSARY, Kind.WIN_BACK, Kind.ACTION)
LAUNCHED = (Status.SCHEDULED, Status.ACTIVE, Status.PAUSED)
VARIANT_CODE = re.compile(r"^[A-Za-z0-9]{1,10}$")


def _campaign_locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise CampaignError(_("There is no such campaign."), field=None)
    return campaign


def _clean_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValueError(f"not campaign fields: {', '.join(unknown)}")
    clean = dict(values)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
    for name in ("absence_days", "boost_weekdays", "channels"):
        if name in clean:
            clean[name] = list(clean[name] or [])
    for name in ("target_rfm_segment", "target_consent", "boost_category", "action"):
        if name in clean:
            clean[name] = clean[name] or ""
    if "boost_category" in clean:  # "\u200b" alone is no category: every line, as the page says
        clean["boost_category"] = category_visible(str(clean["boost_category"]))
    return clean


def _check_fields(campaign: Campaign, *, now: dt.datetime) -> None:
    """What any saved campaign must satisfy, draft or not: CampaignError on the field at fault."""
    if not campaign.name:
        raise CampaignError(_("Enter the campaign's name."), field="name")
    if len(campaign.name) > Campaign._meta.get_field("name").max_length:
        raise CampaignError(_("The name is too long."), field="name")
    if campaign.kind not in Kind.values:
        raise CampaignError(_("Choose the kind of campaign."), field="kind")
    if campaign.target not in Target.values:
        raise CampaignError(_("Choose the target."), field="target")
    if (campaign.target_consent or "") not in Campaign.Consent.values:
        raise CampaignError(_("Choose the consent required."), field="target_consent")
    if campaign.starts_at and campaign.ends_at and campaign.ends_at <= campaign.starts_at:
        raise CampaignError(_("The campaign must end after it starts."), field="ends_at")
    if not value_within_bounds("holdout_percent", campaign.holdout_percent):
        raise CampaignError(_("The holdout is between 0 and 90 %."), field="holdout_percent")
    if campaign.target_rfm_segment and campaign.target_rfm_segment not in Segment.values:
        raise CampaignError(_("Choose an RFM segment from the list."), field="target_rfm_segment")
    steps = campaign.absence_days
    if not absence_steps_valid(steps):
        raise CampaignError(
            _("Absence steps are whole days from 1 to 3650, each larger than the one before (30, 60, 90)."),
            field="absence_days",
        )
    if not all(isinstance(d, int) and 0 <= d <= 6 for d in campaign.boost_weekdays):
        raise CampaignError(_("Weekdays are 0 (Monday) to 6 (Sunday)."), field="boost_weekdays")
    hour_from, hour_to = campaign.boost_hour_from, campaign.boost_hour_to
    if (hour_from is None) != (hour_to is None):
        raise CampaignError(_("Give both hours, or neither (all day)."), field="boost_hour_to")
    if hour_from is not None and not (0 <= hour_from <= 23 and 1 <= hour_to <= 24):
        raise CampaignError(
            _("Hours run from 0 to 24: 18 to 24 = the evening, 22 to 2 = the night past midnight."),
            field="boost_hour_to",
        )
    if hour_from is not None and hour_from == hour_to:
        raise CampaignError(
            _("The hours start and end at %(hour)s: that is no time at all. Leave both empty for all day.")
            % {"hour": hour_from},
            field="boost_hour_to",
        )
    if not value_within_bounds("boost_multiplier", campaign.boost_multiplier):
        raise CampaignError(_("The multiplier is between 1 and 100."), field="boost_multiplier")
    if not value_within_bounds("boost_extra_percent", campaign.boost_extra_percent):
        raise CampaignError(_("The extra cashback is between 0 and 100 %."), field="boost_extra_percent")
    if campaign.action and campaign.action not in Campaign.Action.values:
        raise CampaignError(_("Choose the action from the list."), field="action")
    if (campaign.action_limit is None) != (campaign.action_period_days is None):
        raise CampaignError(_("Give both the limit and its period, or neither."), field="action_period_days")
    unknown = [code for code in campaign.channels if code not in Channel.values]
    if unknown or len(set(campaign.channels)) != len(campaign.channels):
        raise CampaignError(_("Choose each channel at most once, from the list."), field="channels")
    if not 1 <= campaign.response_days <= RESPONSE_DAYS_MAX:
        raise CampaignError(_("The response window is 1 to 365 days."), field="response_days")
    for name, (low, high) in INTEGER_BOUNDS.items():
        if not value_within_bounds(name, getattr(campaign, name)):
            raise CampaignError(
                _("Enter a whole number from %(low)s to %(high)s.")
                % {"low": points_format(low), "high": points_format(high)},
                field=name,
            )


def _variant_error(message: str, index: int) -> CampaignError:
    """A refusal of the variant at `index` (its position in the variants given): `error.variant` says
    which, so a form shows it on that row."""
    error = CampaignError(message, field="variants")
    error.variant = index
    return error


def _check_variants(variants: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The variants cleaned: codes stripped and upper-cased, unique; points ≥ 0; weights 1–1000. A refusal
    carries `variant`, the position of the variant at fault (CampaignError.variant)."""
    clean, seen = [], set()
    for index, variant in enumerate(variants):
        code = str(variant.get("code") or "").strip().upper()
        if not VARIANT_CODE.match(code):
            raise _variant_error(_("A variant's code is 1 to 10 letters or digits (A, B)."), index)
        if code in seen:
            raise _variant_error(
                _("Two variants have the code “%(code)s”: each needs its own.") % {"code": code}, index
            )
        seen.add(code)
        points, weight = variant.get("points"), variant.get("weight") or 1
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= VARIANT_POINTS_MAX:
            raise _variant_error(
                _("A variant's points are a whole number from 0 to %(max)s.")
                % {"max": points_format(VARIANT_POINTS_MAX)},
                index,
            )
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= VARIANT_WEIGHT_MAX:
            raise _variant_error(_("A variant's weight is a whole number from 1 to 1000."), index)
        clean.append({"code": code, "points": points, "weight": weight})
    if len(clean) == 1:
        raise _variant_error(_("Variants split the customers: give at least two, or none."), 0)
    return clean


def _check_end_ahead(ends_at: dt.datetime | None, *, now: dt.datetime) -> None:
    """A draft's end, when set or moved, must be ahead of `now`: a campaign that has already ended could
    never be launched (campaign_launch_problems says the same at launch)."""
    if ends_at is not None and ends_at <= now:
        raise CampaignError(_("The end has passed: choose a moment still ahead, or leave it empty."), field="ends_at")


def _check_kind_variants(campaign: Campaign, variants: list[dict[str, Any]]) -> None:
    """A boost multiplies earning and grants no points of its own: it has no A/B variants."""
    if campaign.kind == Kind.BOOST and variants:
        raise CampaignError(
            _("A boost grants no points of its own, so it cannot have A/B variants: remove them."), field="variants"
        )


def _tiers_check(tier_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(pk) for pk in tier_ids})
    if len(Tier.objects.filter(pk__in=ids)) != len(ids):
        raise CampaignError(_("A tier chosen no longer exists."), field="target_tiers")
    return ids
