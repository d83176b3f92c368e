"""A campaign's message to one granted customer (the event kinds: welcome, actions).

The message goes on the first of the campaign's `channels` that can reach the customer (an address and
the channel's marketing consent, messaging's own checks) and has a template of kind "campaign:<id>";
purpose "marketing", so messaging applies consent, STOP, quiet hours and the frequency cap (a message it
refuses is a `skipped` row saying why). `{points}`, `{expires_on}` and `{valid_through}` (the last day
the points can be spent, loyalty.rules.points_last_day) are the grant's (all empty for a grant of 0 points:
campaigns.rules.grant_message_values). No channel with a
template: no message. Holdout rows never get one. Runs after the grant committed; an error is logged and
never undoes the grant.
"""

import logging

from messaging.models import Message
from messaging.selectors import address_for, consent_granted
from messaging.services.outbox import message_queue
from messaging.services.render import message_render

from ..models import CampaignGrant
from ..rules import grant_message_values

logger = logging.getLogger(__name__)


def grant_message_queue(*, grant_id: int) -> Message | None:
    """Queue the campaign's message for one grant (once: deduplicated per grant). Returns the message, or
    None (a holdout row, no channel that reaches the customer with a template, or an error, logged)."""
    try:
        grant = CampaignGrant.objects.select_related("campaign", "customer").get(pk=grant_id)
        if grant.holdout or not grant.campaign.channels:
            return None
        campaign, customer = grant.campaign, grant.customer
        for channel in campaign.channels:
            if not address_for(customer=customer, channel=channel) or not consent_granted(
                customer=customer, channel=channel
            ):
                continue
            rendered = message_render(
                customer=customer,
                kind=campaign.message_kind,
                channel=channel,
                extra=grant_message_values(grant.points, grant.expires_at),
            )
            if rendered is None:
                continue
            return message_queue(
                customer_id=customer.pk,
                channel=channel,
                kind=campaign.message_kind,
                purpose=Message.Purpose.MARKETING,
                text=rendered.text,
                subject=rendered.subject,
                template=str(rendered.template),
                language=rendered.language,
                dedupe_key=f"campaign-grant:{grant.pk}",
            )
        return None
    except Exception:
        logger.exception("the message of campaign grant %s could not be queued", grant_id)
        return None
