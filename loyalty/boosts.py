"""Earning boosts as `loyalty` sees them (issue #15): a provider hook, so `loyalty` never imports `campaigns`.

A purchase asks the registered provider (campaigns registers one at start-up, campaigns.apps) which
boosts apply to its customer, lines and moment, as plain data (`Boost`); the arithmetic is
`loyalty.rules.boost_points`. The boost points are part of the purchase's earn entry (one entry, one
lot: a refund reverses them in proportion exactly as it reverses the base cashback), and the provider
records what each boost earned (`boosts_record`, inside the purchase's transaction: the campaign's grant
row "purchase:<id>" and its budget), possibly cutting a boost down to what its budget still holds.

With no provider registered (campaigns not installed) there are no boosts. A provider that fails is
logged and the purchase goes on without boosts: a campaign must never stop a sale. The provider runs its
statements that can fail in savepoints of its own (a failed statement would otherwise poison the
purchase's transaction); loyalty opens none around it, because most purchases with boosts need no
statement at all to find them and none of their own to record them (the purchase's INSERT writes their grant
rows: `boosts_record_sql`), and two savepoint statements around each call would cost more than the boosts
(issue #15's goal: five boosts within 10 % of none).

A purchase finds its boosts with `exact=False`: a per-customer limit the provider cannot tell without a
query may be left to the recording, which then refuses the boosts whose limit the customer has reached
(`BoostsStale`, nothing written) and the purchase plans again without them (`purchase_record`).
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from . import rules
from .rules import BoostTerms, EarnLine, boost_lines, boost_points_within_budgets, category_key

if TYPE_CHECKING:
    from .models import ProgramSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Boost:
    """A boost that applies to one customer now. `holdout`: the customer is in the campaign's control
    group (the boost earns nothing, but the provider records the occasion). Percent and multiplier as in
    rules.BoostTerms; `variant_id` the customer's A/B variant (None without variants); `budget_left` the
    points the campaign's budget still holds (None: no budget)."""

    campaign_id: int
    name: str
    multiplier: Decimal | None
    extra_percent: Decimal | None
    category: str
    variant_id: int | None = None
    holdout: bool = False
    budget_left: int | None = None
    limit: int | None = None  # a per-customer limit the recording must still check (find with exact=False)

    # Worked out once per Boost (a provider may hand the same immutable Boost to many purchases).
    @cached_property
    def terms(self) -> BoostTerms:
        """Its terms for rules.boost_points (keyed by the campaign's id)."""
        return BoostTerms(
            key=self.campaign_id, multiplier=self.multiplier, extra_percent=self.extra_percent, category=self.category
        )


class BoostsStale(Exception):  # noqa: N818 - a signal, not an error: the purchase plans again
    """Raised by the provider's `record` when some boosts may not apply after all (a per-customer limit
    the customer has reached, found only when recording), before it wrote anything. `campaign_ids`: those
    boosts; the provider's `find` leaves them out from then on, so the purchase plans again and records."""

    def __init__(self, campaign_ids: set[int]) -> None:
        super().__init__(f"boosts no longer apply: {sorted(campaign_ids)}")
        self.campaign_ids = campaign_ids


@dataclass(frozen=True)
class BoostEarned:
    """What one boost earned on one purchase (points, int ≥ 0; 0 for a holdout). `budgeted`: its campaign
    has a points budget (the provider must check and count against it)."""

    campaign_id: int
    name: str
    points: int
    variant_id: int | None = None
    holdout: bool = False
    budgeted: bool = False
    limit: int | None = None  # Boost.limit: the per-customer limit the recording checks


@dataclass(frozen=True)
class BoostsSql:
    """The part of a purchase's INSERT statement that records some of its boosts (a provider's `record_sql`;
    PostgreSQL only). `ctes`: data-modifying WITH items, each starting with ", name AS (", which may read
    the new purchase's id as `(SELECT id FROM purchase)`; `params` their parameters, in order; `stale` a
    SQL expression (no parameters) evaluated by the statement's SELECT: an int array of the campaigns whose
    boosts were refused (a per-customer limit reached; then the ctes wrote nothing), or NULL. `earned`: the
    boosts these statements record in full (the others go to `record` afterwards). `refused(campaign_ids)`
    tells the provider of the refusal, so that its `find` leaves those boosts out from then on."""

    ctes: str
    params: list
    stale: str
    earned: list[BoostEarned]
    refused: Callable[[set[int]], None]


FindBoosts = Callable[..., list[Boost]]
RecordBoosts = Callable[[int, int, dt.datetime, list[BoostEarned]], dict[int, int]]
NoneActive = Callable[[], bool]
RefundBoosts = Callable[[int, Decimal, Decimal, Decimal], None]

_provider: dict[str, Callable | None] = {
    "find": None,
    "record": None,
    "none_active": None,
    "refunded": None,
    "record_sql": None,
}


def boost_provider_register(
    *,
    find: FindBoosts,
    record: RecordBoosts,
    none_active: NoneActive | None = None,
    refunded: RefundBoosts | None = None,
    record_sql: Callable[[int, dt.datetime, list[BoostEarned]], BoostsSql | None] | None = None,
) -> None:
    """Register the boosts' provider (one; registering again replaces it).

    `find(customer_id, lines, at, tier_id=…, exact=…)` returns the Boosts that apply (holdout ones
    included), in the order ties are broken; `tier_id` is the id of the tier the customer holds for this
    purchase (the entry tier without a tier status; None when the program has no tiers), so that a tiers
    target needs no query; `exact` False lets it leave a per-customer limit to `record` (Boost.limit).
    `record(customer_id, purchase_id, at, earned)` stores what they earned (only boosts that matched a
    line, holdout ones with 0 points) and returns {campaign id: points granted}, which may be less than
    asked when a budget ran out; it raises BoostsStale, having written nothing, when a limit it was left
    turns out reached. `none_active()`, optional, answers True only when
    it knows without a query of its own that no boost can apply (e.g. from a cached copy known current):
    then `find` is skipped.
    `refunded(purchase_id, amount, refunded_before, refund_amount)`, optional, is told of each refund of a
    purchase (money, inside the refund's transaction) so that the boost points it reverses can go back to
    their campaigns' budgets. `record_sql(customer_id, at, earned)`, optional, returns the BoostsSql that
    records some of `earned` inside the purchase's own INSERT (one statement fewer), or None."""
    _provider["find"], _provider["record"], _provider["none_active"] = find, record, none_active
    _provider["refunded"], _provider["record_sql"] = refunded, record_sql


def boost_provider_unregister() -> None:
    """No more boosts (tests; an app that turns the feature off)."""
    for name in _provider:
        _provider[name] = None


def boosts_find(
    *, customer_id: int, lines: list[EarnLine], at: dt.datetime, tier_id: int | None, exact: bool = True
) -> list[Boost]:
    """The boosts that apply to this customer's purchase of `lines` at `at`, the customer holding tier
    `tier_id` (the entry tier's id without a status; None: no tiers); [] with no provider or when it fails
    (logged). `exact` False (the purchase): a per-customer limit may be left to boosts_record."""
    find, none_active = _provider["find"], _provider["none_active"]
    if find is None:
        return []
    try:
        if none_active is not None and none_active():
            return []
    except Exception:  # then ask find, as always
        logger.exception("the boosts provider failed to say whether boosts run; asking it in full")
    try:
        return list(find(customer_id, lines, at, tier_id=tier_id, exact=exact))
    except Exception:
        logger.exception("the boosts provider failed for customer %s; no boosts applied", customer_id)
        return []


def boosts_record(*, customer_id: int, purchase_id: int, at: dt.datetime, earned: list[BoostEarned]) -> dict[int, int]:
    """Record what the boosts earned on a purchase (inside its transaction); returns the points granted
    per campaign. With no provider, or when it fails (logged), nothing is granted: {}. Raises BoostsStale
    (nothing recorded) when some of them no longer apply: plan again without them and record that."""
    record = _provider["record"]
    if record is None or not earned:
        return {}
    try:
        return dict(record(customer_id, purchase_id, at, earned))
    except BoostsStale:
        raise
    except Exception:
        logger.exception("recording boosts failed for purchase %s; no boost points granted", purchase_id)
        return {}


def boosts_record_sql(*, customer_id: int, at: dt.datetime, earned: list[BoostEarned]) -> BoostsSql | None:
    """The provider's part of the purchase's INSERT recording some of `earned` (BoostsSql), or None: no
    provider or no `record_sql`, not PostgreSQL, nothing it records that way, or it failed (logged; then
    boosts_record records them all after the INSERT)."""
    record_sql = _provider["record_sql"]
    if record_sql is None or not earned or connection.vendor != "postgresql":
        return None
    try:
        return record_sql(customer_id, at, earned)
    except Exception:
        logger.exception("the boosts provider failed to give its part of the purchase's statement")
        return None


def boosts_refunded(*, purchase_id: int, amount: Decimal, refunded_before: Decimal, refund_amount: Decimal) -> None:
    """Tell the provider of a refund of `refund_amount` (money) of purchase `purchase_id` (its `amount`,
    `refunded_before` already refunded), inside the refund's transaction, in a savepoint: a failure is
    logged and the refund stands (the budget then keeps the points as granted)."""
    refunded = _provider["refunded"]
    if refunded is None:
        return
    try:
        with transaction.atomic():
            refunded(purchase_id, amount, refunded_before, refund_amount)
    except Exception:
        logger.exception("returning boost points to budgets failed for purchase %s", purchase_id)


def boosts_earned(
    *,
    customer_id: int,
    lines: list[EarnLine],
    amount: Decimal,
    paid: Decimal,
    cashback: Decimal,
    program: "ProgramSettings",
    at: dt.datetime,
    tier_id: int | None,
    exact: bool = True,
) -> list[BoostEarned]:
    """What each boost that applies (loyalty.boosts' provider) earns on this purchase, by
    boost_points_within_budgets and the program's combining rule: the boosts combine on what each can
    pay after its budget (under "best" a nearly spent boost loses the line to one that pays more, under
    "sum" it takes no cap room it cannot pay), each cut to what its budget still holds. Boosts
    that earn nothing are left out; a holdout boost that matches a line is kept with 0 points (its
    campaign records the occasion). For the quote too (nothing is written). `tier_id`, `exact`: boosts_find."""
    boosts = boosts_find(customer_id=customer_id, lines=lines, at=at, tier_id=tier_id, exact=exact)
    if not boosts:
        return []
    matching = boosts
    if any(boost.terms.category_compared for boost in boosts):
        categories = {category_key(line.category) for line in boost_lines(lines, amount=amount)}
        matching = [
            boost
            for boost in boosts
            if not boost.terms.category_compared or boost.terms.category_compared in categories
        ]
    treated = [boost for boost in matching if not boost.holdout]
    points = boost_points_within_budgets(
        lines=lines,
        amount=amount,
        paid=paid,
        cashback_percent=cashback,
        point_value=program.point_value,
        boosts=[boost.terms for boost in treated],
        budgets_left={boost.campaign_id: boost.budget_left for boost in treated if boost.budget_left is not None},
        combine=program.boost_combine,
        cap_percent=program.boost_cap_percent,
    )
    earned = []
    for boost in matching:
        got = 0 if boost.holdout else points[boost.campaign_id]  # already cut to its budget
        if got <= 0 and not boost.holdout:
            continue  # missed every line, lost to a boost that pays more, rounded to nothing, or its budget is spent
        earned.append(
            BoostEarned(
                campaign_id=boost.campaign_id,
                name=boost.name,
                points=got,
                variant_id=boost.variant_id,
                holdout=boost.holdout,
                budgeted=boost.budget_left is not None,
                limit=boost.limit,
            )
        )
    return earned


def boost_breakdown(earned: list[BoostEarned], granted: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """The boost parts of a purchase's breakdown: {"part": "boost", "campaign": id, "name": …, "points": n}
    for each boost that earned points (`granted`: the points its campaign accepted, when recorded)."""
    parts = []
    for boost in earned:
        points = boost.points if granted is None else min(boost.points, granted.get(boost.campaign_id, 0))
        if points > 0 and not boost.holdout:
            parts.append({"part": "boost", "campaign": boost.campaign_id, "name": boost.name, "points": points})
    return parts


def earning_plan(
    *,
    customer_id: int,
    lines: list[EarnLine],
    amount: Decimal,
    paid: Decimal,
    cashback: Decimal,
    program: "ProgramSettings",
    at: dt.datetime,
    tier_id: int | None,
    exact: bool = True,
) -> tuple[list[dict[str, Any]], list[BoostEarned]]:
    """What a purchase of `amount` paying `paid` in money (both money) earns at `cashback` %, as the quote
    and the purchase both work it out: (the cashback parts of its breakdown — base, and tier when the tier
    adds points — by rules.earn_points / rules.earn_breakdown; the boosts that apply, by boosts_earned). The
    whole breakdown is `parts + boost_breakdown(boosts)`. `tier_id`: the tier the customer holds (the entry
    tier without a status; None: no tier, the base rates: no tier part), for the breakdown and the boosts'
    tiers targets; `exact`: boosts_find."""
    earned = rules.earn_points(paid=paid, cashback_percent=cashback, point_value=program.point_value)
    parts = rules.earn_breakdown(
        paid=paid,
        base_cashback_percent=program.base_cashback_percent,
        point_value=program.point_value,
        earned=earned,
        has_tier=tier_id is not None,
    )
    boosts = boosts_earned(
        customer_id=customer_id,
        lines=lines,
        amount=amount,
        paid=paid,
        cashback=cashback,
        program=program,
        at=at,
        tier_id=tier_id,
        exact=exact,
    )
    return parts, boosts
