"""Staff's changes to campaigns (issue #15): create, edit, launch, pause, resume, finish, and the uploaded
list of a "list" target. Each one transaction with its audit row; a refusal is a CampaignError with a
sentence for the person and nothing written.

What may change when (docs/campaigns.md, "Editing a running campaign"):

- a draft: everything;
- once launched (scheduled, active, paused): only what neither moves the holdout nor changes what the
  customers already granted got — the name, the end (not into the past, still after the start), the
  points budget (up only), the channels the message goes out on, the response window of the results
  (the message texts themselves are templates, edited in the template editor at any time). The kind,
  target, holdout, variants, points and kind parameters stay as launched: changing them would make the
  treated and the holdout two different experiments;
- a finished campaign: nothing.
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.rfm_rules import Segment
from core.audit import AuditAction, audit_record
from core.audit.record import audit_value
from core.formatting import points_format
from customers.models import Customer
from customers.rules import card_number_is_valid, phone_mask, phone_try_normalize
from loyalty.models import Tier
from messaging.models import Channel

from ..bounds import (  # noqa: F401  (INT_MAX, DAYS_BEFORE_MAX: public names of this module before bounds.py)
    DAYS_BEFORE_MAX,
    DECIMAL_BOUNDS,
    INT_MAX,
    INTEGER_BOUNDS,
    RESPONSE_DAYS_MAX,
    VARIANT_POINTS_MAX,
    VARIANT_WEIGHT_MAX,
    absence_steps_valid,
    campaign_bounds_problems,
)
from ..exceptions import CampaignError
from ..models import Campaign, CampaignListMember, CampaignVariant

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
# The uploaded list: at most this many lines, each at most this long.
LIST_MAX_LINES = 200_000
LIST_LINE_MAX = 100
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
    low, high = DECIMAL_BOUNDS["holdout_percent"]
    if not low <= Decimal(campaign.holdout_percent) <= high:
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
    if hour_from is not None and not (0 <= hour_from < hour_to <= 24):
        raise CampaignError(
            _("Hours run from 0 to 24, the end after the start (18 to 24 = the evening)."), field="boost_hour_to"
        )
    low, high = DECIMAL_BOUNDS["boost_multiplier"]
    if campaign.boost_multiplier is not None and not low <= campaign.boost_multiplier <= high:
        raise CampaignError(_("The multiplier is between 1 and 100."), field="boost_multiplier")
    low, high = DECIMAL_BOUNDS["boost_extra_percent"]
    if campaign.boost_extra_percent is not None and not low <= campaign.boost_extra_percent <= high:
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
        value = getattr(campaign, name)
        if value is None and Campaign._meta.get_field(name).null:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CampaignError(
                _("Enter a whole number from %(low)s to %(high)s.")
                % {"low": points_format(low), "high": points_format(high)},
                field=name,
            )


def _check_variants(variants: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The variants cleaned: codes stripped and upper-cased, unique; points ≥ 0; weights 1–1000."""
    clean, seen = [], set()
    for variant in variants:
        code = str(variant.get("code") or "").strip().upper()
        if not VARIANT_CODE.match(code):
            raise CampaignError(_("A variant's code is 1 to 10 letters or digits (A, B)."), field="variants")
        if code in seen:
            raise CampaignError(
                _("Two variants have the code “%(code)s”: each needs its own.") % {"code": code}, field="variants"
            )
        seen.add(code)
        points, weight = variant.get("points"), variant.get("weight") or 1
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= VARIANT_POINTS_MAX:
            raise CampaignError(
                _("A variant's points are a whole number from 0 to %(max)s.")
                % {"max": points_format(VARIANT_POINTS_MAX)},
                field="variants",
            )
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= VARIANT_WEIGHT_MAX:
            raise CampaignError(_("A variant's weight is a whole number from 1 to 1000."), field="variants")
        clean.append({"code": code, "points": points, "weight": weight})
    if len(clean) == 1:
        raise CampaignError(_("Variants split the customers: give at least two, or none."), field="variants")
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


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    """The campaign's fields, tiers and variants as the audit log stores them."""
    values = {
        name: audit_value(getattr(campaign, name if name != "target_saved_segment" else name + "_id"))
        for name in FIELDS
    }
    values["status"] = campaign.status
    if campaign.pk:
        values["target_tiers"] = sorted(campaign.target_tiers.values_list("pk", flat=True))
        values["variants"] = [f"{v.code}:{v.points}×{v.weight}" for v in campaign.variants.order_by("code")]
    return values


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def _apply(campaign: Campaign, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(campaign, name, value)


def _tiers_check(tier_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(pk) for pk in tier_ids})
    if len(Tier.objects.filter(pk__in=ids)) != len(ids):
        raise CampaignError(_("A tier chosen no longer exists."), field="target_tiers")
    return ids


def _variants_write(campaign: Campaign, variants: list[dict[str, Any]]) -> None:
    campaign.variants.all().delete()  # a draft's variants: nothing refers to them yet
    CampaignVariant.objects.bulk_create(CampaignVariant(campaign=campaign, **variant) for variant in variants)


def campaign_create(
    *,
    values: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]] = (),
    tier_ids: Sequence[int] = (),
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> Campaign:
    """Create a draft campaign from `values` (field name → value, names in FIELDS; the model's defaults
    for the rest), its A/B `variants` ({"code", "points", "weight"}: none, or two or more with distinct
    codes) and, for a "tiers" target, `tier_ids`. Nothing grants until it is launched (campaign_launch).

    Raises CampaignError (on the field at fault; nothing written): an empty name, an unknown kind, target,
    consent, RFM segment, action or channel, an end not after the start, a holdout outside 0–90 %, bad
    absence steps, weekdays or hours, variants with one member, a duplicate code or a bad weight. ValueError
    for a key that is not in FIELDS (a programming error). Audited (AuditAction.CAMPAIGN_CREATE, every
    value)."""
    now = now or timezone.now()
    campaign = Campaign(created_at=now, updated_at=now, status=Status.DRAFT)
    _apply(campaign, _clean_values(values))
    _check_fields(campaign, now=now)
    _check_end_ahead(campaign.ends_at, now=now)
    clean_variants = _check_variants(variants)
    _check_kind_variants(campaign, clean_variants)
    ids = _tiers_check(tier_ids)
    campaign.created_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        campaign.save()
        campaign.target_tiers.set(ids)
        _variants_write(campaign, clean_variants)
        audit_record(
            action=AuditAction.CAMPAIGN_CREATE,
            obj=campaign,
            summary=_("Created campaign “%(name)s”") % {"name": campaign.name},
            actor=actor,
            origin=origin,
            changes=_snapshot(campaign),
        )
    return campaign


def campaign_update(
    *,
    campaign_id: int,
    values: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]] | None = None,
    tier_ids: Sequence[int] | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> Campaign:
    """Change a campaign. A draft: any of FIELDS, its `variants` and `tier_ids` (None = leave them). A
    launched one (scheduled, active, paused): only FIELDS_WHILE_RUNNING, the end not in the past and the
    budget not below what it was nor below the points already granted (see the module's docstring); a
    value of another field that differs from the stored one, or variants or tiers that differ, are refused.
    A finished campaign cannot change.

    Raises CampaignError as campaign_create does, and for the rules above (nothing written). Audited
    (AuditAction.CAMPAIGN_UPDATE: [old, new] of each change) when something changed."""
    now = now or timezone.now()
    clean = _clean_values(values)
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        before = _snapshot(campaign)
        before_end = campaign.ends_at
        if campaign.status == Status.FINISHED:
            raise CampaignError(_("A finished campaign cannot be changed."))
        running = campaign.status != Status.DRAFT
        if running:
            clean.pop("kind", None)  # the form shows it but it is fixed
            frozen = {name for name, value in clean.items() if name not in FIELDS_WHILE_RUNNING}
            for name in sorted(frozen):
                current = getattr(campaign, name if name != "target_saved_segment" else name + "_id")
                value = clean[name]
                value = getattr(value, "pk", value)
                if audit_value(current) != audit_value(value) and not (
                    isinstance(current, Decimal) and value is not None and Decimal(value) == current
                ):
                    raise CampaignError(
                        _(
                            "Only the name, end, budget, channels and response window of a launched campaign can change."
                        ),
                        field=name,
                    )
                del clean[name]
            new_end = clean.get("ends_at", campaign.ends_at)
            if new_end != campaign.ends_at and new_end is not None and new_end <= now:
                raise CampaignError(
                    _("A launched campaign's end can only move to a moment still ahead (or finish it)."),
                    field="ends_at",
                )
            if "budget_points" in clean and clean["budget_points"] != campaign.budget_points:
                new = clean["budget_points"]
                if campaign.budget_points is not None and new is not None and new < campaign.budget_points:
                    raise CampaignError(_("A launched campaign's budget can only go up."), field="budget_points")
                if new is not None and new < campaign.points_granted:
                    raise CampaignError(_("The budget is below the points already granted."), field="budget_points")
            if variants is not None and _check_variants(variants) != [
                {"code": v.code, "points": v.points, "weight": v.weight} for v in campaign.variants.order_by("code")
            ]:
                raise CampaignError(_("A launched campaign's variants cannot change."), field="variants")
            if tier_ids is not None and sorted(set(map(int, tier_ids))) != before["target_tiers"]:
                raise CampaignError(_("A launched campaign's target cannot change."), field="target_tiers")
        _apply(campaign, clean)
        _check_fields(campaign, now=now)
        if not running:
            if campaign.ends_at != before_end:
                _check_end_ahead(campaign.ends_at, now=now)
            if variants is not None:
                clean_variants = _check_variants(variants)
                _check_kind_variants(campaign, clean_variants)
                _variants_write(campaign, clean_variants)
            if tier_ids is not None:
                campaign.target_tiers.set(_tiers_check(tier_ids))
        campaign.updated_at = now
        campaign.save()
        changes = _diff(before, _snapshot(campaign))
        if changes:
            audit_record(
                action=AuditAction.CAMPAIGN_UPDATE,
                obj=campaign,
                summary=_("Changed campaign “%(name)s”") % {"name": campaign.name},
                actor=actor,
                origin=origin,
                changes=changes,
            )
        else:
            transaction.set_rollback(True)  # nothing changed: not even updated_at
    return campaign


def campaign_launch_problems(campaign: Campaign, *, now: dt.datetime | None = None) -> list[CampaignError]:
    """Why `campaign` cannot be launched: a list of CampaignErrors (empty = it can). Reads only; the
    preview lists them, campaign_launch raises the first."""
    now = now or timezone.now()
    problems: list[CampaignError] = []

    def problem(message: str, field: str | None = None) -> None:
        problems.append(CampaignError(message, field=field))

    if campaign.status != Status.DRAFT:
        problem(
            _("Only a draft can be launched; this campaign is %(status)s.") % {"status": campaign.get_status_display()}
        )
    target = campaign.target
    if target == Target.TIERS and not campaign.target_tiers.exists():
        problem(_("Choose at least one tier for the target."), "target_tiers")
    elif target == Target.RFM_SEGMENT and campaign.target_rfm_segment not in Segment.values:
        problem(_("Choose the RFM segment of the target."), "target_rfm_segment")
    elif target == Target.SAVED_SEGMENT and campaign.target_saved_segment_id is None:
        problem(_("Choose the saved segment of the target."), "target_saved_segment")
    elif target == Target.LIST and not campaign.list_members.exists():
        problem(_("Upload the list of customers of the target."), "target")
    variants = list(campaign.variants.all())
    # A row saved before the bounds (or around the services): say which value, it cannot run.
    for out in campaign_bounds_problems(campaign, variants):
        problem(out.message, out.field)
    if campaign.kind in GRANTING_KINDS:
        if variants and any(v.points <= 0 for v in variants):
            problem(_("Every variant needs points."), "variants")
        elif not variants and campaign.points <= 0:
            problem(_("This kind of campaign grants points: enter how many."), "points")
    if campaign.kind == Kind.BOOST:
        multiplier, extra = campaign.boost_multiplier, campaign.boost_extra_percent
        if not ((multiplier is not None and multiplier > 1) or (extra is not None and extra > 0)):
            problem(_("A boost needs a multiplier above 1 or an extra cashback above 0 %."), "boost_multiplier")
        if variants:
            problem(_("Variants split points; a boost grants none. Remove the variants."), "variants")
    if campaign.kind == Kind.WIN_BACK and not campaign.absence_days:
        problem(_("A win-back needs its absence steps (30, 60, 90)."), "absence_days")
    if campaign.kind == Kind.ACTION and not campaign.action:
        problem(_("Choose the action that earns the points."), "action")
    if campaign.kind == Kind.BROADCAST and not campaign.channels:
        problem(_("A broadcast is a message: choose its channels."), "channels")
    if campaign.starts_at and campaign.ends_at and campaign.ends_at <= campaign.starts_at:
        problem(_("The campaign must end after it starts."), "ends_at")
    elif campaign.ends_at and campaign.ends_at <= now:
        problem(_("The campaign's end has passed."), "ends_at")
    codes = [v.code for v in variants]
    if len(codes) != len(set(codes)):
        problem(_("Two variants have the same code."), "variants")
    if len(variants) == 1:
        problem(_("Variants split the customers: give at least two, or none."), "variants")
    # A variant whose grant exceeds the budget could never be granted: its customers would get nothing
    # and the split would be skewed, so the budget must cover the largest grant.
    largest = max((v.points for v in variants), default=campaign.points)
    if campaign.budget_points is not None and campaign.kind in GRANTING_KINDS and campaign.budget_points < largest:
        problem(
            _("The budget (%(budget)s) does not cover the largest grant (%(points)s).")
            % {"budget": points_format(campaign.budget_points), "points": points_format(largest)},
            "budget_points",
        )
    return problems


def _status_change(
    *, campaign_id: int, allowed: Sequence[str], new_status, action: AuditAction, summary: str, actor, origin, now
) -> Campaign:
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status not in allowed:
            raise CampaignError(
                _("This cannot be done to a campaign that is %(status)s.") % {"status": campaign.get_status_display()}
            )
        old = campaign.status
        campaign.status = new_status(campaign) if callable(new_status) else new_status
        campaign.updated_at = now
        campaign.save(update_fields=["status", "updated_at"])
        audit_record(
            action=action,
            obj=campaign,
            summary=summary % {"name": campaign.name},
            actor=actor,
            origin=origin,
            changes={"status": [old, campaign.status]},
        )
    return campaign


def _by_start(now: dt.datetime):
    return lambda campaign: Status.SCHEDULED if campaign.starts_at and campaign.starts_at > now else Status.ACTIVE


def campaign_launch(
    *, campaign_id: int, actor: Any = None, origin: str = "", now: dt.datetime | None = None
) -> Campaign:
    """Launch a draft: "scheduled" when it starts later than `now`, else "active" (it grants from then on,
    campaigns_running). Raises CampaignError with the first of campaign_launch_problems (no target, no
    points for a granting kind, a boost without multiplier or percent, a win-back without steps, an action
    campaign without its action, a broadcast without channels, an end not after the start or already
    past, duplicate variant codes, a budget below one grant, not a draft); nothing changes then. Audited
    (AuditAction.CAMPAIGN_LAUNCH)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        problems = campaign_launch_problems(campaign, now=now)
        if problems:
            raise problems[0]
        return _status_change(
            campaign_id=campaign_id,
            allowed=(Status.DRAFT,),
            new_status=_by_start(now),
            action=AuditAction.CAMPAIGN_LAUNCH,
            summary=_("Launched campaign “%(name)s”"),
            actor=actor,
            origin=origin,
            now=now,
        )


def campaign_pause(
    *, campaign_id: int, actor: Any = None, origin: str = "", now: dt.datetime | None = None
) -> Campaign:
    """Pause a scheduled or active campaign: it grants nothing (campaigns_running) until resumed. Raises
    CampaignError for another status. Audited (AuditAction.CAMPAIGN_PAUSE)."""
    return _status_change(
        campaign_id=campaign_id,
        allowed=(Status.SCHEDULED, Status.ACTIVE),
        new_status=Status.PAUSED,
        action=AuditAction.CAMPAIGN_PAUSE,
        summary=_("Paused campaign “%(name)s”"),
        actor=actor,
        origin=origin,
        now=now or timezone.now(),
    )


def campaign_resume(
    *, campaign_id: int, actor: Any = None, origin: str = "", now: dt.datetime | None = None
) -> Campaign:
    """Resume a paused campaign: "scheduled" when it starts later than `now`, else "active". Occasions
    that passed while it was paused are not made up for. Raises CampaignError for another status or an end
    already past (finish it instead). Audited (AuditAction.CAMPAIGN_RESUME)."""
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None and campaign.ends_at and campaign.ends_at <= now:
        raise CampaignError(_("The campaign's end has passed: finish it instead."), field="ends_at")
    return _status_change(
        campaign_id=campaign_id,
        allowed=(Status.PAUSED,),
        new_status=_by_start(now),
        action=AuditAction.CAMPAIGN_RESUME,
        summary=_("Resumed campaign “%(name)s”"),
        actor=actor,
        origin=origin,
        now=now,
    )


def campaign_finish(
    *, campaign_id: int, actor: Any = None, origin: str = "", now: dt.datetime | None = None
) -> Campaign:
    """Finish a scheduled, active or paused campaign for good: it never grants again (points already
    granted stay, and burn on their own dates). Raises CampaignError for a draft (nothing to finish) or a
    finished one. Audited (AuditAction.CAMPAIGN_FINISH)."""
    return _status_change(
        campaign_id=campaign_id,
        allowed=LAUNCHED,
        new_status=Status.FINISHED,
        action=AuditAction.CAMPAIGN_FINISH,
        summary=_("Finished campaign “%(name)s”"),
        actor=actor,
        origin=origin,
        now=now or timezone.now(),
    )


@dataclass
class ListUploadResult:
    """What a list upload did: `added` customers put on the list, `already` ones that were on it, `lines`
    read (blank lines and a header left out), and the `not_found` lines as (line number, masked value) —
    the value masked as the console shows a phone (+7 912 ***-**-89), never stored."""

    lines: int = 0
    added: int = 0
    already: int = 0
    not_found: list[tuple[int, str]] = field(default_factory=list)


def _mask(value: str) -> str:
    phone = phone_try_normalize(value)
    if phone:
        return phone_mask(phone)
    return value[:2] + "…" + value[-2:] if len(value) > 6 else "…"


def _list_values(text: str) -> list[tuple[int, str]]:
    """(line number, first cell) of each non-blank line of a CSV or plain text: the first cell is what
    precedes the first comma, semicolon or tab (quotes around it dropped). A first line whose cell holds
    a letter is a header and skipped."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = re.split(r"[,;\t]", line, maxsplit=1)[0].strip().strip('"').strip()
        if not cell:
            continue
        if not rows and number == 1 and re.search(r"[^\W\d_]", cell):
            continue  # a header ("phone", "телефон")
        rows.append((number, cell[: LIST_LINE_MAX + 1]))
    return rows


def campaign_list_upload(
    *, campaign_id: int, text: str, replace: bool = False, actor: Any = None, origin: str = ""
) -> ListUploadResult:
    """Put the customers named in `text` (a CSV or plain text: one phone in any format or 13-digit card
    number per line, in the first column) on the uploaded list of a draft campaign (target "list");
    `replace` empties the list first. Erased customers and values that match nobody are reported (line
    number and a masked value), never stored: only CampaignListMember rows (campaign, customer) are.

    Raises CampaignError: the campaign is not a draft, the text is empty or has more than LIST_MAX_LINES
    lines, or a value is longer than LIST_LINE_MAX; nothing written then. Audited
    (AuditAction.CAMPAIGN_LIST_UPLOAD: the counts only, no phone)."""
    lines = text.splitlines()
    if len(lines) > LIST_MAX_LINES:
        raise CampaignError(
            _("The list has more than %(n)s lines.") % {"n": f"{LIST_MAX_LINES:,}".replace(",", " ")}, field="file"
        )
    rows = _list_values(text)
    if not rows:
        raise CampaignError(_("The list holds no phone or card number."), field="file")
    for number, value in rows:
        if len(value) > LIST_LINE_MAX:
            raise CampaignError(
                _("Line %(line)s is too long for a phone or card number.") % {"line": number}, field="file"
            )
    result = ListUploadResult(lines=len(rows))
    keys: dict[int, str] = {}  # line → a phone in E.164 or a card number
    for number, value in rows:
        digits = re.sub(r"\D", "", value)
        if len(digits) == 13 and card_number_is_valid(digits) and not value.startswith("+"):
            keys[number] = digits
        elif phone := phone_try_normalize(value):
            keys[number] = phone
    wanted = set(keys.values())
    found: dict[str, int] = {}
    alive = Customer.objects.filter(erased_at__isnull=True)
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 5000):
        chunk = wanted_list[start : start + 5000]
        for pk, phone in alive.filter(phone__in=chunk).values_list("pk", "phone"):
            found[phone] = pk
        for pk, card in alive.filter(card_number__in=chunk).values_list("pk", "card_number"):
            found[card] = pk
    customer_ids: set[int] = set()
    for number, value in rows:
        pk = found.get(keys.get(number, ""))
        if pk is None:
            result.not_found.append((number, _mask(value)))
        else:
            customer_ids.add(pk)
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status != Status.DRAFT:
            raise CampaignError(_("Only a draft's list can be uploaded."), field="file")
        members = CampaignListMember.objects.filter(campaign=campaign)
        before = members.count()
        if replace:
            members.delete()
            existing = set()
        else:
            existing = set(members.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True))
        new = sorted(customer_ids - existing)
        CampaignListMember.objects.bulk_create(
            (CampaignListMember(campaign=campaign, customer_id=pk) for pk in new), batch_size=5000
        )
        result.added, result.already = len(new), len(customer_ids & existing)
        audit_record(
            action=AuditAction.CAMPAIGN_LIST_UPLOAD,
            obj=campaign,
            summary=_("Uploaded the list of campaign “%(name)s”") % {"name": campaign.name},
            actor=actor,
            origin=origin,
            changes={
                "lines": result.lines,
                "added": result.added,
                "already": result.already,
                "not_found": len(result.not_found),
                "replace": replace,
                "members": [before, members.count()],
            },
        )
    return result
