"""Tiers: upgrade on the crossing purchase, the daily set-based review, and editing the tier list."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_diff, audit_record, audit_value
from core.formatting import money_format
from customers.models import Customer

from .. import rules
from ..events import TierUpgraded, tier_upgraded_publish
from ..exceptions import InvalidInput
from ..models import ProgramSettings, Purchase, Tier, TierChange, TierStatus
from ..selectors import program_settings_get, qualifying_spend, rules_forget, tier_rules, tiers_list
from ..tier_sql import DECISION_COLUMNS, tier_decisions_sql

REVIEW_CHUNK = 500_000  # customers per transaction: one pass over their purchases each


UNREAD = object()  # tier_upgrade_on_purchase: the caller has not read the status


def tier_status_lock(customer_id: int, *, tiers: list[Tier] | None = None) -> TierStatus | None:
    """The customer's TierStatus with its tier, row-locked until the transaction ends (None: no status yet).
    `tiers`: the tiers as the caller read them (tiers_list): on PostgreSQL the status is then read alone, as
    SQL, and its tier taken from them (issue #16); a tier they do not hold is read with the status."""
    if tiers is not None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(_STATUS_COLUMNS)} FROM {TierStatus._meta.db_table} "  # noqa: S608 - metadata
                "WHERE customer_id = %s FOR UPDATE",
                [customer_id],
            )
            row = cursor.fetchone()
        status = tier_status_from_row(row, tiers=tiers)
        if status is not UNREAD:
            return status
    return TierStatus.objects.select_for_update(of=("self",)).filter(pk=customer_id).select_related("tier").first()


_STATUS_COLUMNS = ("customer_id", "tier_id", "below_since", "changed_at")


def tier_status_from_row(row: tuple | None, *, tiers: list[Tier]) -> Any:
    """The TierStatus of a row of (customer id, tier id, below since, changed at) read with its row lock (None:
    no row, no status), its tier taken from `tiers`; UNREAD when they do not hold it (the caller reads it
    with its tier: tier_status_lock without `tiers`). Shared with a purchase's opening statement (issue #16)."""
    if row is None:
        return None
    status = TierStatus.from_db(connection.alias, _STATUS_COLUMNS, row)
    tier = next((t for t in tiers if t.pk == status.tier_id), None)
    if tier is None and status.tier_id is not None:
        return UNREAD
    status.tier = tier
    return status


def tier_upgrade_on_purchase(
    *,
    customer_id: int,
    purchase: Purchase,
    now: dt.datetime,
    program: ProgramSettings | None = None,
    tiers: list[Tier] | None = None,
    status: Any = UNREAD,
    qualifying: tuple[Decimal, int] | None = None,
) -> TierChange | None:
    """Move the customer up at once if this purchase crossed a threshold. Call inside the purchase's
    transaction (the customer's account row is locked, so two purchases cannot race here).

    Never moves anyone down: downgrades happen only at the daily review, after the grace period.
    `status`: the customer's TierStatus (with its tier) or None, when the caller has read it already under
    this transaction's row lock (tier_status_lock; the purchase does, for its terms): one read fewer.
    `qualifying`: (money, purchases) that count towards tiers over the window ending `now`, this purchase
    included, as qualifying_spend would read them now, when the caller knows them (the purchase's opening
    statement read them under the account lock, issue #16); else they are read.
    """
    tiers = tiers_list() if tiers is None else tiers
    if not tiers:
        return None
    if status is UNREAD:
        status = tier_status_lock(customer_id)
    current = status.tier if status else None
    if current is not None and current.order >= tiers[-1].order:
        return None  # already at the top
    spend, purchases = qualifying if qualifying is not None else qualifying_spend(customer_id, now=now, program=program)
    target = rules.tier_for(tier_rules(tiers), spend=spend, purchases=purchases)
    if target is None or (current is not None and current.order >= target.order):
        return None
    new_tier = next(t for t in tiers if t.pk == target.key)
    if status is None:
        # The daily review may be creating this customer's status in its open transaction: insert or wait and
        # skip (never a duplicate-key error), then decide against whatever status is there.
        TierStatus.objects.bulk_create(
            [TierStatus(customer_id=customer_id, tier=new_tier, below_since=None, changed_at=now)],
            ignore_conflicts=True,
        )
        status = TierStatus.objects.select_for_update(of=("self",)).select_related("tier").get(pk=customer_id)
        if not (status.tier_id == new_tier.pk and status.changed_at == now):  # the review's row, not ours
            current = status.tier
            if current is not None and current.order >= new_tier.order:
                return None
            TierStatus.objects.filter(pk=customer_id).update(tier=new_tier, below_since=None, changed_at=now)
    else:
        TierStatus.objects.filter(pk=customer_id).update(tier=new_tier, below_since=None, changed_at=now)
    change = TierChange.objects.create(
        customer_id=customer_id,
        from_tier=current,
        to_tier=new_tier,
        reason=TierChange.Reason.UPGRADE_PURCHASE if current else TierChange.Reason.JOINED,
        spend=spend,
        purchase=purchase,
        created_at=now,
    )
    if current is not None:  # a move up (joining the first tier is not an upgrade): messaging's notice
        tier_upgraded_publish(TierUpgraded(change_id=change.pk, customer_id=customer_id))
    return change


def tier_recalculate_all(*, as_of: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily review of every customer's tier, in set-based SQL, chunked by customer id.

    Per chunk: one statement materialises the decisions (tier_sql) in a temporary table; one INSERT …
    SELECT adds missing statuses, one UPDATE … FROM applies the changes and one INSERT … SELECT writes
    the history of what changed. No row locks: the UPDATE only touches a status that still holds the
    tier the decision started from, so a purchase's upgrade made meanwhile is never overwritten (its
    customer is simply reviewed again tomorrow). Idempotent per date: a second run for the same date
    decides exactly what the first one left.
    """
    now = now or timezone.now()
    tiers = tiers_list()
    result = {"reviewed": 0, "joined": 0, "upgraded": 0, "downgraded": 0}
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if not tiers or bounds["lo"] is None:
        return result
    program = program_settings_get()
    status_t, change_t = TierStatus._meta.db_table, TierChange._meta.db_table
    temp = "loyalty_tier_review"
    for lo in range(bounds["lo"], bounds["hi"] + 1, REVIEW_CHUNK):
        hi = lo + REVIEW_CHUNK - 1
        select_sql, params = tier_decisions_sql(
            tiers=tier_rules(tiers),
            as_of=as_of,
            window_days=program.tier_window_days,
            grace_days=program.tier_grace_days,
            lo=lo,
            hi=hi,
        )
        with transaction.atomic(), connection.cursor() as cursor:
            # One temporary table per connection, emptied per chunk: creating one per run would pile up
            # locks when many reviews share a transaction (tests), and costs catalogue churn daily.
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {temp} (customer_id bigint, has_status integer, "
                "cur_id bigint, cur_ord integer, new_id bigint, new_ord integer, new_below date, spend numeric)"
            )
            cursor.execute(f"DELETE FROM {temp}")  # noqa: S608 - a constant name
            cursor.execute(f"INSERT INTO {temp} ({', '.join(DECISION_COLUMNS)}) {select_sql}", params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {temp}")  # temp tables get no autovacuum statistics
            cursor.execute(
                f"""
                SELECT COUNT(*),
                       SUM(CASE WHEN has_status = 0 THEN 1 ELSE 0 END),
                       SUM(CASE WHEN has_status = 1 AND new_ord > cur_ord THEN 1 ELSE 0 END),
                       SUM(CASE WHEN has_status = 1 AND new_ord < cur_ord THEN 1 ELSE 0 END)
                FROM {temp}
                """  # noqa: S608
            )
            reviewed, joined, upgraded, downgraded = (value or 0 for value in cursor.fetchone())
            cursor.execute(
                f"""
                INSERT INTO {status_t} (customer_id, tier_id, below_since, changed_at)
                SELECT customer_id, new_id, new_below, %s FROM {temp} WHERE has_status = 0
                ON CONFLICT (customer_id) DO NOTHING
                """,  # noqa: S608
                [now],
            )
            cursor.execute(
                f"""
                UPDATE {status_t}
                SET tier_id = d.new_id,
                    below_since = d.new_below,
                    changed_at = CASE WHEN d.new_ord <> d.cur_ord THEN %s ELSE {status_t}.changed_at END
                FROM {temp} d
                WHERE {status_t}.customer_id = d.customer_id AND d.has_status = 1
                  AND COALESCE({status_t}.tier_id, -1) = COALESCE(d.cur_id, -1)
                  AND (d.new_ord <> d.cur_ord
                       OR COALESCE(d.new_below, '1970-01-01') <> COALESCE({status_t}.below_since, '1970-01-01'))
                """,  # noqa: S608
                [now],
            )
            # History for exactly the statuses this run wrote (their changed_at is this run's moment).
            cursor.execute(
                f"""
                INSERT INTO {change_t} (customer_id, from_tier_id, to_tier_id, reason, spend, review_date, created_at)
                SELECT d.customer_id, d.cur_id, d.new_id,
                       CASE WHEN d.has_status = 0 THEN %s WHEN d.new_ord > d.cur_ord THEN %s ELSE %s END,
                       d.spend, %s, %s
                FROM {temp} d JOIN {status_t} s ON s.customer_id = d.customer_id AND s.changed_at = %s
                WHERE (d.has_status = 0 AND d.new_id IS NOT NULL) OR d.new_ord <> d.cur_ord
                """,  # noqa: S608
                [
                    TierChange.Reason.JOINED,
                    TierChange.Reason.UPGRADE_REVIEW,
                    TierChange.Reason.DOWNGRADE_REVIEW,
                    as_of,
                    now,
                    now,
                ],
            )
            cursor.execute(f"DELETE FROM {temp}")  # noqa: S608 - a constant name
        result["reviewed"] += reviewed
        result["joined"] += joined
        result["upgraded"] += upgraded
        result["downgraded"] += downgraded
    return result


# --- editing the tier list ------------------------------------------------------------------------

TIER_FIELDS = (
    "name",
    "code",
    "order",
    "colour",
    "threshold",
    "min_purchases",
    "cashback_percent",
    "redeem_cap_percent",
    "perks",
)


def tiers_validate(tiers: list[dict[str, Any]]) -> list[str]:
    """Errors that make a tier list unusable (empty when fine). Each dict has TIER_FIELDS."""
    errors = []
    ordered = sorted(tiers, key=lambda t: t["order"])
    codes = [t["code"] for t in tiers]
    if len(set(codes)) != len(codes):
        errors.append(_("Each tier needs its own code."))
    if len({t["order"] for t in tiers}) != len(tiers):
        errors.append(_("Each tier needs its own place in the order."))
    currency = program_settings_get().currency
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if higher["threshold"] <= lower["threshold"]:
            errors.append(
                _("Thresholds must increase with the order: %(higher)s (%(h)s) must need more than %(lower)s (%(l)s).")
                % {
                    "higher": higher["name"],
                    "h": money_format(higher["threshold"], currency),
                    "lower": lower["name"],
                    "l": money_format(lower["threshold"], currency),
                }
            )
    for tier in tiers:
        for field, label in (("cashback_percent", _("cashback")), ("redeem_cap_percent", _("redemption cap"))):
            value = tier[field]
            if value is None or value < 0 or value > 100:
                errors.append(
                    _("%(tier)s: %(label)s must be between 0 and 100 %%.") % {"tier": tier["name"], "label": label}
                )
        if tier["redeem_cap_percent"] is not None and tier["redeem_cap_percent"] == 0:
            errors.append(_("%(tier)s: the redemption cap must be above 0 %%.") % {"tier": tier["name"]})
    return errors


def tiers_warnings(tiers: list[dict[str, Any]]) -> list[str]:
    """Advice that does not block saving: a step under 2 percentage points of cashback does not motivate."""
    warnings = []
    ordered = sorted(tiers, key=lambda t: t["order"])
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if higher["cashback_percent"] - lower["cashback_percent"] < 2:
            diff = higher["cashback_percent"] - lower["cashback_percent"]
            warnings.append(
                ngettext(
                    "%(lower)s → %(higher)s: cashback rises by only %(diff)s percentage point; a step under 2 "
                    "rarely motivates customers to climb.",
                    "%(lower)s → %(higher)s: cashback rises by only %(diff)s percentage points; a step under 2 "
                    "rarely motivates customers to climb.",
                    abs(int(diff)) if diff == diff.to_integral_value() else 2,  # a fraction ("1.5"): the plural
                )
                % {
                    "lower": lower["name"],
                    "higher": higher["name"],
                    "diff": f"{(higher['cashback_percent'] - lower['cashback_percent']).normalize():f}",
                }
            )
    return warnings


def tiers_save(*, tiers: list[dict[str, Any]], actor: Any, origin: str = "") -> list[Tier]:
    """Replace the tier list in one transaction: create, update (by `id`) and delete tiers.

    A tier that customers hold (or held) cannot be deleted. New rules apply from the next purchase
    and the next daily review; audited old → new.
    """
    errors = tiers_validate(tiers)
    if errors:
        raise InvalidInput(errors[0])
    with transaction.atomic():
        rules_forget()  # read this transaction's own changes from here on
        existing = {tier.pk: tier for tier in Tier.objects.select_for_update()}
        keep_ids = {t.get("id") for t in tiers if t.get("id")}
        unknown = keep_ids - set(existing)
        if unknown:
            raise InvalidInput(_("Tier %(id)s does not exist.") % {"id": sorted(unknown)[0]})
        for tier_id in set(existing) - keep_ids:
            tier = existing[tier_id]
            held = TierStatus.objects.filter(tier=tier).exists()
            in_history = TierChange.objects.filter(Q(from_tier=tier) | Q(to_tier=tier)).exists()
            if held or in_history:
                raise InvalidInput(
                    _("%(tier)s cannot be deleted: customers hold it or have held it.") % {"tier": tier.name}
                )
        changes: dict[str, Any] = {}
        # Free the unique `order` and `code` values first, so that tiers can swap places.
        for index, tier in enumerate(existing.values()):
            Tier.objects.filter(pk=tier.pk).update(order=10000 + index, code=f"__tmp{tier.pk}")
        deleted = [existing[i] for i in sorted(set(existing) - keep_ids)]
        Tier.objects.filter(pk__in=set(existing) - keep_ids).delete()
        saved = []
        for data in tiers:
            values = {field: data[field] for field in TIER_FIELDS}
            if data.get("id"):
                old = existing[data["id"]]
                diff = audit_diff({f: getattr(old, f) for f in TIER_FIELDS}, values)
                if diff:
                    changes[old.name] = diff
                Tier.objects.filter(pk=old.pk).update(**values)
                saved.append(Tier.objects.get(pk=old.pk))
            else:
                saved.append(Tier.objects.create(**values))
                changes[values["name"]] = {"created": {f: audit_value(values[f]) for f in TIER_FIELDS}}
        for tier in deleted:
            changes[tier.name] = {"deleted": {f: audit_value(getattr(tier, f)) for f in TIER_FIELDS}}
        if changes:
            audit_record(
                action=AuditAction.TIERS_UPDATE,
                obj=None,
                summary=_("Tiers changed: %(names)s") % {"names": ", ".join(changes)},
                actor=actor,
                origin=origin,
                changes=changes,
            )
    return sorted(saved, key=lambda t: t.order)
