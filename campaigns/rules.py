"""Pure rules of campaigns (issue #15): who falls in the holdout and which variant the others get.

The split is random but stable per customer and campaign: a customer's bucket is the first 32 bits of
md5("<campaign id>:<customer id>") modulo 10 000, so the same customer lands in the same group on every
run and every occasion, and different campaigns split independently. The same arithmetic is written in
SQL in `campaigns.targeting` (both are tested equal).
"""

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal

from core.formatting import ascii_digits
from loyalty.rules import points_last_day

# The fields only some kinds of campaign use, by kind (Campaign.Kind's values); the others belong to every kind.
# The console's form shows these per kind, and the audit log lists only these of a kind's own.
_POINTS = ("points", "points_valid_days")
KIND_OWN_FIELDS: dict[str, tuple[str, ...]] = {
    "welcome": _POINTS,
    "birthday": (*_POINTS, "days_before"),
    "anniversary": _POINTS,
    "win_back": (*_POINTS, "absence_days"),
    "boost": (
        "boost_multiplier",
        "boost_extra_percent",
        "boost_category",
        "boost_weekdays",
        "boost_hour_from",
        "boost_hour_to",
    ),
    "action": (*_POINTS, "action", "action_limit", "action_period_days"),
    "broadcast": _POINTS,
}

BUCKETS = 10_000  # a bucket is 0.01 % of the target


def bucket(campaign_id: int, customer_id: int, salt: str = "") -> int:
    """The customer's bucket in the campaign, 0 … 9 999 (int). `salt` "v" gives the independent bucket
    that picks a variant."""
    digest = hashlib.md5(f"{campaign_id}:{customer_id}{salt}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def holdout_buckets(holdout_percent: Decimal) -> int:
    """How many of the 10 000 buckets are the holdout: `holdout_percent` (0–90, two decimals) × 100."""
    return int(Decimal(holdout_percent) * 100)


def in_holdout(campaign_id: int, customer_id: int, holdout_percent: Decimal) -> bool:
    """Whether the customer is kept out of the campaign (gets nothing, is measured against). Without a
    holdout, False without hashing (every boosted purchase asks it for every running boost)."""
    if not holdout_percent:
        return False
    return bucket(campaign_id, customer_id) < holdout_buckets(holdout_percent)


def variant_index(campaign_id: int, customer_id: int, weights: Sequence[int]) -> int:
    """Which of the variants (their `weights`, ints ≥ 1, in the variants' order) the customer gets: the
    variant bucket (salt "v") modulo the weights' sum, placed on their running total. Raises ValueError
    for no weights."""
    if not weights:
        raise ValueError("no variants")
    point = bucket(campaign_id, customer_id, "v") % sum(weights)
    running = 0
    for index, weight in enumerate(weights):
        running += weight
        if point < running:
            return index
    raise AssertionError("unreachable")


def boost_time_matches(
    *, weekdays: Sequence[int], hour_from: int | None, hour_to: int | None, local: dt.datetime
) -> bool:
    """Whether a boost's weekdays and hours hold at `local` (the shop's local time).

    `weekdays`: 0 = Monday … 6 = Sunday; empty = every day. Hours: from `hour_from` (included) to
    `hour_to` (excluded), 0–24; either empty = all day; `hour_from` > `hour_to` wraps past midnight
    (22 → 2 is 22:00–01:59:59, and its small hours count for the day they fall on); 22 → 24 ends at
    midnight. Equal hours are refused when a campaign is saved (campaigns.services.changes); an old row
    that has them reads as all day.
    """
    if weekdays and local.weekday() not in weekdays:
        return False
    if hour_from is None or hour_to is None or hour_from == hour_to:
        return True
    hour = local.hour
    if hour_from < hour_to:
        return hour_from <= hour < hour_to
    return hour >= hour_from or hour < hour_to


def campaign_id_of_message_kind(kind: str) -> int | None:
    """The campaign id in a message kind "campaign:<id>" (Campaign.message_kind; at most 18 digits, so it
    fits a bigint), or None for any other kind."""
    prefix, _sep, number = str(kind).partition(":")
    if prefix == "campaign" and ascii_digits(number) and len(number) <= 18:
        return int(number)
    return None


# The placeholders a campaign's message fills in from the grant; empty for a grant of no points.
GRANT_PLACEHOLDERS = ("points", "expires_on", "valid_through")


def grant_message_values(points: int, expires_at: dt.datetime | dt.date | None) -> dict:
    """{points}, {expires_on}, {valid_through} of a campaign's message about a grant of `points` (int) whose
    points burn at `expires_at`: the points, the burn date and the last day they can be spent
    (loyalty.rules.points_last_day); all None (rendered empty) for a grant of 0 points (a
    message-only broadcast, a 0-point variant): no points, so nothing burns and no date is promised."""
    if not points:
        return {"points": None, "expires_on": None, "valid_through": None}
    last_day = points_last_day(expires_at) if isinstance(expires_at, dt.datetime) else expires_at
    return {"points": points, "expires_on": expires_at, "valid_through": last_day}


def grants_no_points(kind: str, points: int, variant_points: Sequence[int]) -> bool:
    """True when a campaign of `kind` (Campaign.Kind) and `points` (int) with variants of `variant_points`
    (ints; empty without variants) gives every customer 0 points: its messages are messages only
    ({points} and {expires_on} render empty). Never for a boost (its grants are the points it adds to a
    purchase)."""
    if kind == "boost":
        return False
    return not any(variant_points) if variant_points else not points
