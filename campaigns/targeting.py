"""Who a campaign reaches (issue #15): its target as SQL, and the target split into holdout and variants.

The target is every customer not erased who matches the campaign's `target` (everyone; members of the
chosen tiers now, a customer without a tier status yet holding the entry tier as loyalty's rule says; an
RFM segment of the latest snapshot; a saved segment applied to today's data; the uploaded list) and holds
the consent it asks for. The split is `campaigns.rules`' stable random bucket, computed in SQL by
`campaign_bucket()` so that a run over a million customers stays one statement.
Reads only.
"""

from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import connection

from .rules import holdout_buckets

if TYPE_CHECKING:
    from .models import Campaign

_CONSENT_SQL = {
    "": "",
    "email": " AND c.consent_email",
    "sms": " AND c.consent_sms",
    "email_or_sms": " AND (c.consent_email OR c.consent_sms)",
}


def _queryset_ids_sql(queryset) -> tuple[str, list]:
    """The ids `queryset` selects as SQL; a queryset that can match nothing (`pk__in` an empty subquery, as
    an RFM segment before the first snapshot) as SQL selecting no row, never EmptyResultSet (a 500)."""
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return "SELECT 0 WHERE 1 = 0", []
    return sql, list(params)


def _entry_tier_id() -> int | None:
    """The id of the tier a customer without a TierStatus row holds (loyalty.selectors.entry_tier, the same
    rule as `tier_current`: the tier whose thresholds are met with no spend), or None when there is none."""
    from loyalty.selectors import entry_tier, tiers_list

    entry = entry_tier(tiers_list())
    return entry.pk if entry is not None else None


def campaign_target_sql(campaign: "Campaign") -> tuple[str, list]:
    """SQL selecting the campaign's target, one column `customer_id` (ints, no duplicates), with its
    parameters. An RFM or saved segment that is missing or cannot be read selects nobody, never everyone."""
    from analytics.segments import rfm_segment_customers, segment_customers

    from .models import Campaign

    where, params = "c.erased_at IS NULL", []
    target = campaign.target
    if target == Campaign.Target.TIERS:
        tier_ids = [tier.pk for tier in campaign.target_tiers.all()] if campaign.pk else []
        if not tier_ids:
            where += " AND FALSE"
        else:
            marks = ", ".join(["%s"] * len(tier_ids))
            held = f"c.id IN (SELECT s.customer_id FROM loyalty_tierstatus s WHERE s.tier_id IN ({marks}))"  # noqa: S608
            entry_id = _entry_tier_id()
            if entry_id is not None and entry_id in tier_ids:
                # no status yet (enrolled since the last tier review): holds the entry tier (loyalty's rule)
                no_status = "NOT EXISTS (SELECT 1 FROM loyalty_tierstatus s0 WHERE s0.customer_id = c.id)"
                held = f"({held} OR {no_status})"
            where += f" AND {held}"
            params += tier_ids
    elif target == Campaign.Target.RFM_SEGMENT:
        try:
            sub, sub_params = _queryset_ids_sql(rfm_segment_customers(campaign.target_rfm_segment))
        except ValueError:
            where += " AND FALSE"
        else:
            where += f" AND c.id IN ({sub})"
            params += sub_params
    elif target == Campaign.Target.SAVED_SEGMENT:
        segment = campaign.target_saved_segment
        queryset = segment_customers(segment) if segment is not None else None
        if queryset is None or queryset.query.is_empty():
            where += " AND FALSE"
        else:
            sub, sub_params = _queryset_ids_sql(queryset)
            where += f" AND c.id IN ({sub})"
            params += sub_params
    elif target == Campaign.Target.LIST:
        where += " AND c.id IN (SELECT m.customer_id FROM campaigns_campaignlistmember m WHERE m.campaign_id = %s)"
        params.append(campaign.pk)
    elif target != Campaign.Target.EVERYONE:
        where += " AND FALSE"
    where += _CONSENT_SQL.get(campaign.target_consent or "", " AND FALSE")
    sql = f"SELECT c.id AS customer_id FROM customers_customer c WHERE {where}"  # noqa: S608 - fixed fragments; values are parameters
    return sql, params


def campaign_split_sql(campaign: "Campaign", target_sql: str, target_params: list) -> tuple[str, list]:
    """SQL over `target_sql` (a query with a `customer_id` column) giving `customer_id`, `holdout`
    (boolean) and `variant_id` (the CampaignVariant's id, NULL in the holdout and for a campaign without
    variants), by `campaigns.rules.in_holdout` and `variant_index` computed in SQL."""
    variants = list(campaign.variants.order_by("code").values_list("pk", "weight")) if campaign.pk else []
    variant_sql, variant_params = "NULL", []
    if variants:
        total = sum(weight for _pk, weight in variants)
        cases, running = [], 0
        for pk, weight in variants:
            running += weight
            cases.append("WHEN campaign_bucket(%s, t.customer_id, 'v') %% %s < %s THEN %s")
            variant_params += [campaign.pk, total, running, pk]
        variant_sql = "CASE WHEN t.holdout THEN NULL " + " ".join(cases) + " END"
    # fixed fragments and the target's SQL; every value is a parameter
    sql = f"""SELECT t.customer_id, t.holdout, {variant_sql} AS variant_id
        FROM (SELECT x.customer_id, campaign_bucket(%s, x.customer_id, '') < %s AS holdout
              FROM ({target_sql}) x) t"""  # noqa: S608
    return sql, [*variant_params, campaign.pk, holdout_buckets(campaign.holdout_percent), *target_params]


# Who can ever have an occasion of a date-driven kind (campaigns.occasions): a birthday needs one, an
# anniversary of the first purchase and a win-back a purchase. The preview counts only them.
OCCASION_POSSIBLE = {
    "birthday": "c.birthday IS NOT NULL",
    "anniversary": "c.first_purchase_at IS NOT NULL",
    "win_back": "c.last_purchase_at IS NOT NULL",
}


def campaign_target_counts(campaign: "Campaign") -> dict[str, int | dict[int, int]]:
    """How many customers the campaign reaches now: {"target": n, "holdout": n, "variants": {variant id:
    n}, "treated": n} (ints). For the preview before launch; counts the target as of this moment, and for a
    birthday, anniversary or win-back only the customers who can have its occasion (OCCASION_POSSIBLE: a
    birthday on file, a purchase made)."""
    target_sql, target_params = campaign_target_sql(campaign)
    if condition := OCCASION_POSSIBLE.get(campaign.kind):
        target_sql = (
            f"SELECT t.customer_id FROM ({target_sql}) t "  # noqa: S608 - fixed fragments
            f"JOIN customers_customer c ON c.id = t.customer_id WHERE {condition}"
        )
    split_sql, split_params = campaign_split_sql(campaign, target_sql, target_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.holdout, s.variant_id, COUNT(*) FROM ({split_sql}) s GROUP BY s.holdout, s.variant_id",  # noqa: S608 - built above from fixed fragments
            split_params,
        )
        rows = cursor.fetchall()
    counts: dict = {"target": 0, "holdout": 0, "treated": 0, "variants": {}}
    for holdout, variant_id, n in rows:
        counts["target"] += n
        if holdout:
            counts["holdout"] += n
        else:
            counts["treated"] += n
            if variant_id is not None:
                counts["variants"][variant_id] = counts["variants"].get(variant_id, 0) + n
    return counts


def campaigns_targeting_customer(campaigns: "list[Campaign]", customer_id: int) -> set[int]:
    """The ids of those `campaigns` whose target holds the customer now (holdout not taken out), in one
    statement: each campaign's target SQL restricted to the one customer (a tiers target straight from the
    campaign's tiers table, without loading its tiers; a customer without a tier status holds the entry
    tier, as in `campaign_target_sql`). For the event kinds (welcome, actions, boosts),
    which ask about one customer at a time."""
    from .models import Campaign

    if not campaigns:
        return set()
    parts, params = [], []
    entry_id = _entry_tier_id() if any(c.target == Campaign.Target.TIERS for c in campaigns) else None
    for campaign in campaigns:
        if campaign.target == Campaign.Target.TIERS:
            consent = _CONSENT_SQL.get(campaign.target_consent or "", " AND FALSE")
            # a customer without a status row holds the entry tier (its id; NULL when there is none)
            tiers_sql = (
                "SELECT %s AS campaign_id WHERE EXISTS (SELECT 1 FROM customers_customer c"
                " LEFT JOIN loyalty_tierstatus s ON s.customer_id = c.id"
                " JOIN campaigns_campaign_target_tiers t ON t.campaign_id = %s"
                " AND t.tier_id = CASE WHEN s.customer_id IS NULL THEN %s::bigint ELSE s.tier_id END"
                " WHERE c.id = %s AND c.erased_at IS NULL"
            )
            parts.append(tiers_sql + consent + ")")
            params += [campaign.pk, campaign.pk, entry_id, customer_id]
            continue
        target_sql, target_params = campaign_target_sql(campaign)
        parts.append(f"SELECT %s AS campaign_id WHERE EXISTS (SELECT 1 FROM ({target_sql}) t WHERE t.customer_id = %s)")  # noqa: S608 - fixed fragments
        params += [campaign.pk, *target_params, customer_id]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {row[0] for row in cursor.fetchall()}
