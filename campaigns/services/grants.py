"""One grant to one customer on one occasion (issue #15): the path of the event kinds (welcome, actions).

The shared rules of every campaign apply here as in the daily run: a customer in the holdout gets a
CampaignGrant row with no points, no entry and no message; the others get their variant's points (or
the campaign's) as a ledger entry of kind "bonus" and source "campaign:<id>" (loyalty's points_award,
its own lot and expiry), the grant row pointing to it; `Campaign.points_granted` is raised in the same
transaction, never above the budget (a customer the budget cannot cover gets no row at all); a customer
with `per_customer_limit` grants gets no more. The campaign's message is queued after the commit.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q

from loyalty import rules as loyalty_rules
from loyalty.reasons import campaign_reason
from loyalty.services import points_award

from ..models import Campaign, CampaignGrant
from ..rules import in_holdout, variant_index

logger = logging.getLogger(__name__)


class Outcome:
    """What one grant attempt did (stable codes, shown by the API)."""

    GRANTED = "granted"
    HOLDOUT = "holdout"
    ALREADY = "already_granted"  # this occasion was recorded before (granted or holdout)
    LIMIT = "limit_reached"  # per_customer_limit, or the action's limit per period
    BUDGET = "budget_spent"


@dataclass(frozen=True)
class GrantAttempt:
    """The outcome (an Outcome code) and the grant row (None when nothing was recorded)."""

    outcome: str
    grant: CampaignGrant | None = None


def grant_key(campaign_id: int, customer_id: int, occasion: str) -> str:
    """The idempotency key of a grant's ledger entry: "campaign:" and a digest of campaign, customer and
    occasion (an action's reference may be long; the key column holds 100 characters)."""
    digest = hashlib.sha256(f"{campaign_id}:{customer_id}:{occasion}".encode()).hexdigest()[:48]
    return f"campaign:{campaign_id}:{digest}"


def grant_points(campaign: Campaign, customer_id: int) -> tuple[int, int | None]:
    """(points, variant id or None) the customer gets from the campaign: the variant's points when the
    campaign has variants (campaigns.rules.variant_index), else `Campaign.points`."""
    variants = list(campaign.variants.order_by("code"))
    if not variants:
        return campaign.points, None
    variant = variants[variant_index(campaign.pk, customer_id, [v.weight for v in variants])]
    return variant.points, variant.pk


def grant_expiry(campaign: Campaign, at: dt.datetime) -> dt.datetime | None:
    """When a grant made at `at` burns: the start of day(at) + points_valid_days (local time); None when the
    campaign has no validity of its own (then the program's points lifetime applies)."""
    return loyalty_rules.points_expiry(credited_at=at, lifetime_days=campaign.points_valid_days)


def customer_action_lock(customer_id: int) -> None:
    """Serialise the grants of one customer (limits counted per customer), for this transaction
    (PostgreSQL advisory lock; SQLite writes one at a time anyway). Not the account row: a purchase locks
    that first and the customer row after, and this must not wait on either in the other order."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('campaigns.grant'), %s)", [customer_id])


def campaign_grant_one(
    *,
    campaign: Campaign,
    customer_id: int,
    occasion: str,
    at: dt.datetime,
    period_limit: tuple[int, dt.datetime] | None = None,
) -> GrantAttempt:
    """Grant `campaign` to one customer (in its target: the caller checked) for `occasion` at `at`.

    Call inside a transaction (the caller's; after `customer_action_lock` when limits are counted).
    `period_limit`: (n, since) — at most n non-holdout grants of the campaign to the customer since that
    moment (the action's limit per period). Returns a GrantAttempt: ALREADY when the occasion has its
    row, LIMIT, HOLDOUT (a row with no points), BUDGET (no row), or GRANTED (row and ledger entry). The
    message is queued after the commit (campaigns.services.messages)."""
    earlier = CampaignGrant.objects.filter(campaign=campaign, customer_id=customer_id, occasion=occasion).first()
    if earlier is not None:
        return GrantAttempt(Outcome.ALREADY, earlier)
    holdout = in_holdout(campaign.pk, customer_id, campaign.holdout_percent)
    if not holdout:
        treated = CampaignGrant.objects.filter(campaign=campaign, customer_id=customer_id, holdout=False)
        if campaign.per_customer_limit is not None and treated.count() >= campaign.per_customer_limit:
            return GrantAttempt(Outcome.LIMIT)
        if period_limit is not None and treated.filter(at__gte=period_limit[1]).count() >= period_limit[0]:
            return GrantAttempt(Outcome.LIMIT)
    if holdout:
        grant = CampaignGrant.objects.create(
            campaign=campaign, customer_id=customer_id, occasion=occasion, holdout=True, points=0, at=at
        )
        return GrantAttempt(Outcome.HOLDOUT, grant)
    points, variant_id = grant_points(campaign, customer_id)
    if points <= 0:
        return GrantAttempt(Outcome.BUDGET)  # a campaign that grants nothing spends nothing: nothing to record
    within_budget = Q(budget_points__isnull=True) | Q(budget_points__gte=F("points_granted") + points)
    if not Campaign.objects.filter(within_budget, pk=campaign.pk).update(points_granted=F("points_granted") + points):
        return GrantAttempt(Outcome.BUDGET)
    expires_at = grant_expiry(campaign, at)
    entry = points_award(
        customer_id=customer_id,
        points=points,
        reason=campaign_reason(campaign.name),
        source=campaign.ledger_source,
        expires_at=expires_at,
        idempotency_key=grant_key(campaign.pk, customer_id, occasion),
        now=at,
    )
    grant = CampaignGrant.objects.create(
        campaign=campaign,
        customer_id=customer_id,
        occasion=occasion,
        variant_id=variant_id,
        holdout=False,
        points=points,
        entry=entry,
        at=at,
        expires_at=entry.expires_at,
    )
    from .messages import grant_message_queue

    transaction.on_commit(lambda: grant_message_queue(grant_id=grant.pk))
    return GrantAttempt(Outcome.GRANTED, grant)
