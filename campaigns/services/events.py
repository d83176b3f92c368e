"""Grants on events (issue #15): the welcome bonus on enrolment and points for an action.

Both grant one customer at a time through campaign_grant_one (holdout, variants, budget, limits and the
message as every campaign grants), each campaign in its own transaction so that one campaign's refusal
(budget spent, limit reached) never stops another's grant.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.idempotency import once_per_key, request_fingerprint

from ..exceptions import CampaignError
from ..models import Campaign, CampaignAction
from ..selectors import campaigns_running
from ..targeting import campaigns_targeting_customer
from .grants import GrantAttempt, Outcome, campaign_grant_one, customer_action_lock

WELCOME_OCCASION = "enrol"
REFERENCE = re.compile(r"^[\x21-\x7e]{1,64}$")  # visible ASCII, like an Idempotency-Key


def _targeted(kind: str, customer_id: int, at: dt.datetime, **filters: Any) -> tuple[list[Campaign], set[int]]:
    running = list(campaigns_running(kind=kind, at=at).filter(**filters).order_by("pk"))
    return running, campaigns_targeting_customer(running, customer_id)


def welcome_grant(*, customer_id: int, now: dt.datetime | None = None) -> list[GrantAttempt]:
    """Grant every running welcome campaign whose target holds the newly enrolled customer (occasion
    "enrol": once per campaign and customer, whatever runs twice). Returns one GrantAttempt per targeted
    campaign, in campaign order. The points burn `points_valid_days` after the grant's day (local
    midnight), or after the program's lifetime when the campaign sets none."""
    now = now or timezone.now()
    running, targeted = _targeted(Campaign.Kind.WELCOME, customer_id, now)
    attempts = []
    for campaign in running:
        if campaign.pk not in targeted:
            continue
        with transaction.atomic():
            customer_action_lock(customer_id)
            attempts.append(
                campaign_grant_one(campaign=campaign, customer_id=customer_id, occasion=WELCOME_OCCASION, at=now)
            )
    return attempts


# --- points for actions ------------------------------------------------------------------------------


class ActionReason:
    """Why an action earned nothing (the API's `reason`; None when something was granted)."""

    NO_CAMPAIGN = "no_campaign"  # no running campaign rewards this action
    NOT_ELIGIBLE = "not_eligible"  # running ones do, but not for this customer (target, consent, holdout)
    ALREADY = "already_granted"  # this reference was rewarded before
    LIMIT = "limit_reached"  # the customer reached the campaign's limit (per period, or overall)
    BUDGET = "budget_spent"  # the campaign's points budget cannot cover the grant


def _reason_text(reason: str | None) -> str:
    return {
        None: _("Points granted."),
        ActionReason.NO_CAMPAIGN: _("No running campaign rewards this action."),
        ActionReason.NOT_ELIGIBLE: _("This customer gets no points for this action now."),
        ActionReason.ALREADY: _("Points for this reference were granted before."),
        ActionReason.LIMIT: _("The customer reached the limit of grants for this action."),
        ActionReason.BUDGET: _("The campaign's points budget is spent."),
    }[reason]


@dataclass(frozen=True)
class ActionResult:
    """The API's answer to a reported action (`response`, JSON-ready) and whether it replays an earlier one."""

    response: dict[str, Any]
    replayed: bool

    @property
    def granted(self) -> bool:
        return bool(self.response["granted"])


def action_parse(*, action: Any, reference: Any) -> tuple[str, str]:
    """(action, reference) checked: an action of Campaign.Action, a reference of 1–64 visible ASCII
    characters (the shop's id of the review, survey answer…). Raises CampaignError on the field."""
    if not isinstance(action, str) or action not in Campaign.Action.values:
        raise CampaignError(
            _("Unknown action “%(action)s”; one of: %(actions)s.")
            % {"action": action, "actions": ", ".join(Campaign.Action.values)},
            field="action",
        )
    if not isinstance(reference, str) or not REFERENCE.match(reference):
        raise CampaignError(
            _("The reference must be 1–64 visible ASCII characters (no spaces)."),
            field="reference",
        )
    return action, reference


def _action_reason(attempts: list[GrantAttempt], running: list[Campaign]) -> str | None:
    if any(a.outcome == Outcome.GRANTED for a in attempts):
        return None
    if not running:
        return ActionReason.NO_CAMPAIGN
    if any(a.outcome == Outcome.ALREADY and a.grant is not None and not a.grant.holdout for a in attempts):
        return ActionReason.ALREADY
    if any(a.outcome == Outcome.LIMIT for a in attempts):
        return ActionReason.LIMIT
    if any(a.outcome == Outcome.BUDGET for a in attempts):
        return ActionReason.BUDGET
    # Not in any target, or in a holdout: said alike, so that the answer never reveals the control group.
    return ActionReason.NOT_ELIGIBLE


def action_record(
    *,
    customer_id: int,
    action: Any,
    reference: Any,
    idempotency_key: str | None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> ActionResult:
    """A customer did `action` (identified by the shop's `reference`): every running action campaign for
    it whose target holds the customer grants its points (occasion "action:<action>:<reference>"), at most
    `action_limit` grants per customer per `action_period_days` days (no period: over the campaign's life)
    and `per_customer_limit` overall. One transaction; a customer's actions are serialised.

    Returns the answer: {"customer", "action", "reference", "granted": [{"campaign", "points",
    "expires_at"}…], "reason": None or an ActionReason code, "detail": a sentence}. A holdout customer gets
    "granted": [] and the reason "not_eligible", as one outside the target. The same `idempotency_key`
    with the same request replays the first answer (`replayed`); with another, IdempotencyConflict. The
    same reference again (another key) grants nothing more: reason "already_granted". Raises CampaignError
    for an unknown action or a bad reference; the caller checks the customer exists."""
    action, reference = action_parse(action=action, reference=reference)
    fingerprint = request_fingerprint({"customer": customer_id, "action": action, "reference": reference})
    occasion = f"action:{action}:{reference}"

    def create(_locked: Any) -> ActionResult:
        at = now or timezone.now()
        customer_action_lock(customer_id)
        running, targeted = _targeted(Campaign.Kind.ACTION, customer_id, at, action=action)
        attempts = []
        for campaign in running:
            if campaign.pk not in targeted:
                continue
            period = None
            if campaign.action_limit is not None:
                since = (
                    at - dt.timedelta(days=campaign.action_period_days)
                    if campaign.action_period_days
                    else dt.datetime.min.replace(tzinfo=dt.UTC)
                )
                period = (campaign.action_limit, since)
            with transaction.atomic():
                attempts.append(
                    campaign_grant_one(
                        campaign=campaign, customer_id=customer_id, occasion=occasion, at=at, period_limit=period
                    )
                )
        reason = _action_reason(attempts, running)
        response = {
            "customer": customer_id,
            "action": action,
            "reference": reference,
            "granted": [
                {
                    "campaign": a.grant.campaign_id,
                    "points": a.grant.points,
                    "expires_at": a.grant.expires_at.isoformat() if a.grant.expires_at else None,
                }
                for a in attempts
                if a.outcome == Outcome.GRANTED
            ],
            "reason": reason,
            "detail": _reason_text(reason),
        }
        CampaignAction.objects.create(
            customer_id=customer_id,
            action=action,
            reference=reference,
            idempotency_key=idempotency_key or None,
            request_fingerprint=fingerprint,
            response=response,
            origin=origin,
            created_at=at,
        )
        return ActionResult(response=response, replayed=False)

    return once_per_key(
        model=CampaignAction,
        key=idempotency_key,
        fingerprint=fingerprint,
        create=create,
        replay=lambda earlier: ActionResult(response=earlier.response, replayed=True),
    )
