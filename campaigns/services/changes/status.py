"""A campaign's status by staff: what stops a launch (campaign_launch_problems), then launch, pause,
resume and finish, each audited."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.rfm_rules import Segment
from analytics.segments import rfm_segment_customers
from core.audit import AuditAction, audit_record
from core.formatting import points_format
from messaging.models import Channel, MessageTemplate
from messaging.rules import template_placeholders

from ...bounds import campaign_bounds_problems
from ...exceptions import CampaignError
from ...models import Campaign
from ...rules import GRANT_PLACEHOLDERS, grants_no_points
from ...selectors import campaign_channels
from .fields import (
    GRANTING_KINDS,
    LAUNCHED,
    Kind,
    Status,
    Target,
    _campaign_locked,
)


def campaign_channels_problem(campaign: Campaign, *, on_edit: bool = False) -> CampaignError | None:
    """What is wrong with `campaign`'s channels (as it holds them, saved or not), as a CampaignError on
    "channels", or None: a broadcast without channels (it is a message), or a chosen channel without a
    template of the campaign's message in any language (rendering falls back on another language), which
    would send nothing on it, silently. A boost sends no message of its own: its channels are not checked
    (launching it must not wait for a template nothing would use). Launch and the edit of a launched
    campaign both apply it. `on_edit`: the edit page asks, which has no Messages section; the message then
    points to the campaign's page, where the templates are written. Reads only."""
    if campaign.kind == Kind.BROADCAST and not campaign.channels:
        return CampaignError(_("A broadcast is a message: choose its channels."), field="channels")
    if campaign.kind == Kind.BOOST:
        return None
    _with_template, without_template = campaign_channels(campaign)
    if not without_template:
        return None
    labels = dict(Channel.choices)
    if on_edit:
        text = ngettext(
            "The channel %(channels)s has no message template: write it on the campaign's page (Messages), or remove the channel.",
            "The channels %(channels)s have no message template: write them on the campaign's page (Messages), or remove the channels.",
            len(without_template),
        )
    else:
        text = ngettext(
            "The channel %(channels)s has no message template: write it below (Messages), or remove the channel.",
            "The channels %(channels)s have no message template: write them below (Messages), or remove the channels.",
            len(without_template),
        )
    return CampaignError(
        text % {"channels": ", ".join(str(labels.get(code, code)) for code in without_template)}, field="channels"
    )


def campaign_budget_problem(campaign: Campaign, variants: Sequence[Any]) -> CampaignError | None:
    """A CampaignError on "budget_points" when `campaign`'s budget (as it holds it, saved or not) is below
    its largest grant (the largest of its `variants`' points, else its points), else None. A variant whose
    grant exceeds the budget could never be granted: its customers would get nothing and the split would
    be skewed. Every kind that grants its points, a broadcast with points included (it would grant nobody
    and finish); a boost's points vary with each purchase, so it has no largest grant. Launch and the edit
    of a launched campaign both apply it. Reads only."""
    largest = max((v.points for v in variants), default=campaign.points)
    if campaign.budget_points is None or campaign.kind == Kind.BOOST or campaign.budget_points >= largest:
        return None
    return CampaignError(
        _("The budget (%(budget)s) does not cover the largest grant (%(points)s).")
        % {"budget": points_format(campaign.budget_points), "points": points_format(largest)},
        field="budget_points",
    )


def _empty_placeholders_problem(campaign: Campaign, variants: Sequence[Any]) -> CampaignError | None:
    """A campaign that grants no points (campaigns.rules.grants_no_points: a message-only broadcast) whose
    message templates, on the channels it uses, still write {points}, {expires_on} or {valid_through}:
    they would render empty ("You got , valid until ."). A CampaignError on "channels" naming the
    channels, or None."""
    if not grants_no_points(campaign.kind, campaign.points, [v.points for v in variants]):
        return None
    channels = []
    templates = MessageTemplate.objects.filter(kind=campaign.message_kind, channel__in=campaign.channels or [])
    for template in templates.order_by("channel", "language"):
        try:
            names = set(template_placeholders(template.subject)) | set(template_placeholders(template.body))
        except ValueError:
            continue  # the editor refuses such a text; not this check's business
        if names & set(GRANT_PLACEHOLDERS) and template.channel not in channels:
            channels.append(template.channel)
    if not channels:
        return None
    labels = dict(Channel.choices)
    return CampaignError(
        _(
            "This campaign grants no points, but its message (%(channels)s) uses {points}, {expires_on} or "
            "{valid_through}, which would be empty: remove them from the text, or give points."
        )
        % {"channels": ", ".join(str(labels.get(code, code)) for code in channels)},
        field="channels",
    )


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
    elif target == Target.RFM_SEGMENT and not rfm_segment_customers(campaign.target_rfm_segment).exists():
        problem(
            _(
                "No customer is in this RFM segment now (%(segment)s): launch when it has customers (after the next "
                "RFM analysis), or choose another target."
            )
            % {"segment": Segment(campaign.target_rfm_segment).label},
            "target_rfm_segment",
        )
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
    if (error := campaign_channels_problem(campaign)) is not None:
        problems.append(error)
    if (error := _empty_placeholders_problem(campaign, variants)) is not None:
        problems.append(error)
    if campaign.starts_at and campaign.ends_at and campaign.ends_at <= campaign.starts_at:
        problem(_("The campaign must end after it starts."), "ends_at")
    elif campaign.ends_at and campaign.ends_at <= now:
        problem(_("The campaign's end has passed."), "ends_at")
    codes = [v.code for v in variants]
    if len(codes) != len(set(codes)):
        problem(_("Two variants have the same code."), "variants")
    if len(variants) == 1:
        problem(_("Variants split the customers: give at least two, or none."), "variants")
    if (error := campaign_budget_problem(campaign, variants)) is not None:
        problems.append(error)
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
            changes={"status": [old, campaign.status], "campaign": campaign.name},
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
    campaign without its action, a broadcast without channels, a campaign of 0 points whose message uses
    {points}, {expires_on} or {valid_through}, an end not after the start or already
    past, duplicate variant codes, a budget below one grant, not a draft); nothing changes then. A boost
    without a start, or with one already past, starts at `now`. Audited (AuditAction.CAMPAIGN_LAUNCH)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        problems = campaign_launch_problems(campaign, now=now)
        if problems:
            raise problems[0]
        if campaign.kind == Kind.BOOST and (campaign.starts_at is None or campaign.starts_at < now):
            # A boost runs from its launch: a late purchase (an offline till's, dated earlier) gets the boosts
            # that ran at its moment, and this one did not run before now.
            campaign.starts_at = now
            campaign.save(update_fields=["starts_at"])
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
