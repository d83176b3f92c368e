"""Pure program rules on Decimals and ints. One rounding policy, defined here: points round down.

Nothing here touches the database, so it is tested exhaustively with hypothesis.
"""

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, Inexact, localcontext
from fractions import Fraction
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
MAX_AMOUNT = Decimal("9999999999.99")  # what a DecimalField(12, 2) holds
# The most points one operation may name: the largest check (MAX_AMOUNT) at the smallest point value
# (0.01) is 10^12 points; balances are 64-bit (up to 9.2 × 10^18), so sums of such operations still fit.
MAX_POINTS = 10**15
MONEY_TEXT = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)


class RuleError(ValueError):
    """Bad input to a rule; the message is for the user."""


def money_parse(value: object, *, field_label: str | None = None) -> Decimal:
    """A positive amount with at most 2 decimal places, or RuleError saying what is wrong."""
    label = field_label or _("Amount")
    if isinstance(value, float):
        raise RuleError(_("%(label)s must be given as a decimal string, not a float.") % {"label": label})
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value if value is not None else "").strip().replace(",", ".")
        # Plain digits only: no exponents ("1e30"), underscores ("1_000"), NaN or infinity.
        if not MONEY_TEXT.fullmatch(text):
            raise RuleError(_("%(label)s “%(value)s” is not a number.") % {"label": label, "value": value})
        amount = Decimal(text)
    if not amount.is_finite():
        raise RuleError(_("%(label)s “%(value)s” is not a number.") % {"label": label, "value": value})
    if amount > MAX_AMOUNT:
        raise RuleError(_("%(label)s is too large.") % {"label": label})
    if amount <= 0:
        raise RuleError(_("%(label)s must be greater than zero.") % {"label": label})
    if amount != amount.quantize(CENT):
        raise RuleError(_("%(label)s can have at most 2 decimal places.") % {"label": label})
    return amount.quantize(CENT)


def points_parse(value: object, *, allow_zero: bool = True, allow_negative: bool = False) -> int:
    """Whole points from an int or a digit string, or RuleError."""
    if isinstance(value, bool) or isinstance(value, float):
        raise RuleError(_("Points must be a whole number."))
    if isinstance(value, int):
        points = value
    else:
        text = str(value if value is not None else "").strip()
        try:
            points = int(text)
        except ValueError:
            raise RuleError(_("Points must be a whole number.")) from None
    if points < 0 and not allow_negative:
        raise RuleError(_("Points cannot be negative."))
    if points == 0 and not allow_zero:
        raise RuleError(_("Points cannot be zero."))
    if abs(points) > MAX_POINTS:
        raise RuleError(_("Points value is too large."))
    return points


def _floor_points(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def points_to_money(points: int, point_value: Decimal) -> Decimal:
    return (Decimal(points) * point_value).quantize(CENT)


def redeem_cap_points(amount: Decimal, cap_percent: Decimal, point_value: Decimal) -> int:
    """How many points the cap allows on a check of `amount`: floor(amount × cap % / 100 / point value)."""
    return max(0, _floor_points(amount * cap_percent / HUNDRED / point_value))


def max_redeemable(*, amount: Decimal, available_points: int, cap_percent: Decimal, point_value: Decimal) -> int:
    """min(available points, the cap's points). Never more than the check itself is worth."""
    by_amount = _floor_points(amount / point_value)
    return max(0, min(available_points, redeem_cap_points(amount, cap_percent, point_value), by_amount))


def paid_amount(*, amount: Decimal, redeemed_points: int, point_value: Decimal) -> Decimal:
    """The part of the check paid in money: amount − redeemed points × point value."""
    return (amount - points_to_money(redeemed_points, point_value)).quantize(CENT)


def earn_points(*, paid: Decimal, cashback_percent: Decimal, point_value: Decimal) -> int:
    """floor(paid × cashback % / 100 / point value): no cashback on the part paid with points."""
    if paid <= 0:
        return 0
    return max(0, _floor_points(paid * cashback_percent / HUNDRED / point_value))


def refund_points_split(
    *,
    amount: Decimal,
    refunded_before: Decimal,
    refund_amount: Decimal,
    earned_points: int,
    reversed_before: int,
    redeemed_points: int,
    returned_before: int,
) -> tuple[int, int]:
    """(earned points to reverse, redeemed points to return) for one refund, in proportion.

    Cumulative and rounded down: after refunds totalling R of a check A, floor(earned × R / A) have been
    reversed and floor(redeemed × R / A) returned, so the refund that completes the check settles the
    rest exactly and a series of partial refunds never adds up to more than a full one.
    """
    refunded_after = refunded_before + refund_amount
    reversed_target = _floor_points(Decimal(earned_points) * refunded_after / amount)
    returned_target = _floor_points(Decimal(redeemed_points) * refunded_after / amount)
    if refunded_after == amount:
        reversed_target, returned_target = earned_points, redeemed_points
    return max(0, reversed_target - reversed_before), max(0, returned_target - returned_before)


def refund_money(*, refund_amount: Decimal, points_returned: int, point_value: Decimal) -> Decimal:
    """The money to hand back for a refund: the refunded amount (money, in the program's currency) less
    the value of the redeemed points it returned to the customer (valued at the purchase's point value).
    Over all refunds of a purchase this adds up to exactly what was paid in money (`refund_points_split`
    settles the points exactly on the last refund); never negative."""
    return max(Decimal("0.00"), (refund_amount - points_to_money(points_returned, point_value)).quantize(CENT))


def local_midnight(day: dt.date) -> dt.datetime:
    """Start of `day` in the shop's time zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def local_day(moment: dt.datetime) -> dt.date:
    """The shop's calendar day (settings.TIME_ZONE) that an aware `moment` falls on."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def points_expiry(*, credited_at: dt.datetime, lifetime_days: int | None) -> dt.datetime | None:
    """Points credited on day D with a lifetime of N days burn at the start of day D + N (local time)."""
    if lifetime_days is None:
        return None
    return local_midnight(local_day(credited_at) + dt.timedelta(days=lifetime_days))


def points_last_day(expires_at: dt.datetime | None) -> dt.date | None:
    """The last shop day (settings.TIME_ZONE) on which points expiring at `expires_at` (aware) can still
    be spent: points burning at local midnight starting day D (points_expiry's rule) are last usable on
    D − 1 (granted 2026-03-10 12:00 for 14 days: burn at 2026-03-24 00:00, last day 2026-03-23); points
    burning later in a day D are still usable on D. None when they never expire (`expires_at` None)."""
    if expires_at is None:
        return None
    return local_day(expires_at - dt.timedelta(microseconds=1))


def points_available_at(*, credited_at: dt.datetime, activation_delay_days: int) -> dt.datetime:
    return credited_at + dt.timedelta(days=activation_delay_days)


def qualifying_amount(*, paid: Decimal, amount: Decimal, refunded: Decimal) -> Decimal:
    """The money of a purchase that counts towards tiers: the part paid in money, less its refunded share."""
    if refunded >= amount:
        return Decimal("0.00")
    return (paid * (amount - refunded) / amount).quantize(CENT)


def tier_window_start(*, moment: dt.datetime, window_days: int | None) -> dt.datetime | None:
    """Spend counts from this moment on (None: lifetime). The window is [moment − days, moment)."""
    if window_days is None:
        return None
    return moment - dt.timedelta(days=window_days)


@dataclass(frozen=True)
class TierRule:
    key: object  # the tier's id, or a placeholder for an unsaved one
    order: int
    threshold: Decimal
    min_purchases: int | None = None


def tier_for(tiers: list[TierRule], *, spend: Decimal, purchases: int) -> TierRule | None:
    """The highest tier whose spend threshold (and purchase count, if set) is met."""
    best = None
    for tier in sorted(tiers, key=lambda t: t.order):
        if spend >= tier.threshold and (tier.min_purchases is None or purchases >= tier.min_purchases):
            best = tier
    return best


def tier_progress_percent(*, spend: Decimal, current_threshold: Decimal, next_threshold: Decimal) -> int:
    """How far from the current tier's threshold to the next one, 0–100, rounded down."""
    span = next_threshold - current_threshold
    if span <= 0:
        return 100
    done = (spend - current_threshold) / span * HUNDRED
    return max(0, min(100, int(done.to_integral_value(rounding=ROUND_FLOOR))))


@dataclass(frozen=True)
class ProgramExample:
    amount: Decimal
    earn_points: int
    earn_value: Decimal
    max_redeem_points: int
    max_redeem_value: Decimal
    lifetime_days: int | None
    activation_delay_days: int


def program_example(
    *,
    amount: Decimal,
    cashback_percent: Decimal,
    cap_percent: Decimal,
    point_value: Decimal,
    lifetime_days: int | None,
    activation_delay_days: int,
) -> ProgramExample:
    """What the rules mean for one purchase: "a 1 000 ₽ purchase earns 50 points; up to 300 ₽ of it can
    be paid in points; points expire after 365 days"."""
    earned = earn_points(paid=amount, cashback_percent=cashback_percent, point_value=point_value)
    cap_points = min(redeem_cap_points(amount, cap_percent, point_value), _floor_points(amount / point_value))
    return ProgramExample(
        amount=amount,
        earn_points=earned,
        earn_value=points_to_money(earned, point_value),
        max_redeem_points=cap_points,
        max_redeem_value=points_to_money(cap_points, point_value),
        lifetime_days=lifetime_days,
        activation_delay_days=activation_delay_days,
    )


# --- earning boosts (issue #15) ---------------------------------------------------------------------

BOOST_COMBINE_BEST = "best"  # on each line only the largest boost counts
BOOST_COMBINE_SUM = "sum"  # on each line the boosts add up, to at most the cap (% of the line)


def category_key(category: str | None) -> str:
    """A category as boosts compare it: Unicode compatibility forms folded (NFKC: full-width "ＢＯＯＫＳ" is
    "BOOKS"), invisible format characters dropped (a zero-width space, a direction mark: category_visible),
    surrounding spaces stripped and case folded ("  Shoes " and "shoes" are one category; "" = none).
    Campaigns' and purchase lines' categories both go through it."""
    category = category or ""
    if category.isascii():  # the common case, which none of the folding changes
        return category.strip().lower()
    return category_visible(unicodedata.normalize("NFKC", category)).casefold()


def category_visible(category: str) -> str:
    """`category` without its invisible format characters (Unicode category Cf: zero-width spaces and
    joiners, direction marks, a byte order mark) and surrounding spaces: what a boost's category is saved
    as, so that one made of such characters alone is none (every line), as the page then says."""
    return "".join(ch for ch in category if unicodedata.category(ch) != "Cf").strip()


@dataclass(frozen=True)
class EarnLine:
    """One line of a purchase as the boosts see it: its amount (money) and category ("" = none)."""

    amount: Decimal
    category: str = ""


@dataclass(frozen=True)
class BoostTerms:
    """One boost's terms: ×`multiplier` of the customer's cashback and/or `extra_percent` percentage
    points of cashback more (both Decimals, None = not used), on the lines of `category` ("" = every
    line). `key` identifies it in the result (the campaign's id)."""

    key: int
    multiplier: Decimal | None = None
    extra_percent: Decimal | None = None
    category: str = ""

    @cached_property
    def category_compared(self) -> str:
        """`category` as boosts compare it (category_key)."""
        return category_key(self.category)


def boost_percent(terms: BoostTerms, *, cashback_percent: Decimal) -> Decimal:
    """The cashback a boost adds, in percent of the line: (multiplier − 1) × the customer's cashback % plus
    the extra percent; never negative (a multiplier below 1 takes nothing away)."""
    extra = Decimal(0)
    if terms.multiplier is not None:
        extra += (terms.multiplier - 1) * cashback_percent
    if terms.extra_percent is not None:
        extra += terms.extra_percent
    return max(Decimal(0), extra)


def lines_total_problem(line_amounts: list[Decimal], amount: Decimal) -> str | None:
    """Why a purchase's lines cannot stand for its check, or None: lines given (money in the program's
    currency) must add up to the check's `amount` exactly, because they split the paid money between
    categories for the boosts (boost_lines); lines that add up to more or less would put a category boost
    on money nobody can check (tester finding on issue #15). No lines: None (one line of the whole amount).
    """
    if not line_amounts:
        return None
    total = sum(line_amounts, Decimal("0"))
    if total == amount:
        return None
    return _("The lines add up to %(total)s, but the purchase amount is %(amount)s: they must be equal.") % {
        "total": f"{total:.2f}",
        "amount": f"{amount:.2f}",
    }


def boost_lines(lines: list[EarnLine], *, amount: Decimal) -> list[EarnLine]:
    """The lines boosts apply to: the purchase's lines, or, for a purchase without lines (or whose lines
    add up to nothing), one line of its whole amount with no category."""
    if not lines or sum(line.amount for line in lines) <= 0:
        return [EarnLine(amount=amount)]
    return list(lines)


def boost_points(
    *,
    lines: list[EarnLine],
    amount: Decimal,
    paid: Decimal,
    cashback_percent: Decimal,
    point_value: Decimal,
    boosts: list[BoostTerms],
    combine: str,
    cap_percent: Decimal,
) -> dict[int, int]:
    """The points each boost adds to a purchase: {boost key: points (int ≥ 0)} for every boost given.

    Boosts earn, like the base cashback, only on the part paid in money: each line counts for its share
    of `paid` (line amount × paid / the lines' total, so lines that do not add up to `amount` only split
    the paid money between categories). On each line every boost whose category matches (`category_key`: case and surrounding spaces ignored) gives
    `boost_percent`; `combine` "best" keeps only the largest (the first given on a tie), "sum" adds them
    up and, above `cap_percent` (% of the line), scales each down in proportion. A boost's points are
    Σ over lines of share × percent / 100 / point value, rounded down once per boost (the house rounding,
    `earn_points`), so the boosts never add more than the exact figure. No budgets: see
    `boost_points_within_budgets` (this is it with every budget unlimited).
    """
    return boost_points_within_budgets(
        lines=lines,
        amount=amount,
        paid=paid,
        cashback_percent=cashback_percent,
        point_value=point_value,
        boosts=boosts,
        budgets_left={},
        combine=combine,
        cap_percent=cap_percent,
    )


def _cap_share(cap: Fraction, wants: list[Fraction], cans: list[Fraction]) -> list[Fraction]:
    """Share the cap room `cap` (points) between boosts that want `wants` and can pay `cans` (≤ wants,
    > 0): all they can when it fits, else in proportion to what they want, none above what it can pay
    — the room a boost cannot pay goes to the others in the same proportion (water filling: one
    factor s, each gets min(can, s × want), Σ = cap)."""
    if sum(cans) <= cap:
        return list(cans)
    order = sorted(range(len(wants)), key=lambda i: cans[i] / wants[i])
    room, wanted = cap, sum(wants)
    got = [Fraction(0)] * len(wants)
    for position, i in enumerate(order):
        scale = room / wanted
        if cans[i] / wants[i] > scale:  # this one and all after it are not cut by their budgets
            for j in order[position:]:
                got[j] = wants[j] * scale
            break
        got[i] = cans[i]
        room, wanted = room - cans[i], wanted - wants[i]
    return got


def boost_points_within_budgets(
    *,
    lines: list[EarnLine],
    amount: Decimal,
    paid: Decimal,
    cashback_percent: Decimal,
    point_value: Decimal,
    boosts: list[BoostTerms],
    budgets_left: dict[int, int | None],
    combine: str,
    cap_percent: Decimal,
) -> dict[int, int]:
    """`boost_points` with each boost's budget: {boost key: points (int ≥ 0)} for every boost given.

    `budgets_left` maps a boost's key to the points its campaign's budget still holds (int; None or no key:
    no budget), read fresh for this purchase. The boosts combine on **what each can actually pay**: on
    each line (in the order given) a boost wants share × percent / 100 / point value points and can pay
    that, cut to what its budget still holds after the lines before.

    - "best": the line goes to the boost that can pay the most on it (the first given on a tie); a boost
      whose budget is nearly spent loses the line to a smaller boost that pays more (×3 able to pay 10
      against ×2 paying 50: ×2 wins, 50).
    - "sum": when what they can pay fits in the cap (`cap_percent` % of the line), each pays it; above
      the cap, the cap is shared in proportion to what they want, none getting more than it can pay, and
      the room a budget-cut boost cannot use goes to the others (+10 % able to pay 5 and ×3 wanting 100,
      cap 15 % of 1 000 = 150: 5 + 100).

    Exact fractions throughout, rounded down once per boost at the end (`boost_points`' rounding), so a
    boost never pays more than its budget held nor the boosts more than the exact figure. Without budgets
    it is exactly `boost_points`. Pure: no database. (Without budgets, and under "sum" while no line
    reaches the cap, the same figures come from Decimal products: _boost_points_unbudgeted.)
    """
    terms = {
        "lines": lines,
        "amount": amount,
        "paid": paid,
        "cashback_percent": cashback_percent,
        "point_value": point_value,
        "boosts": boosts,
        "combine": combine,
        "cap_percent": cap_percent,
    }
    if boosts and paid > 0 and all(budgets_left.get(boost.key) is None for boost in boosts):
        unbudgeted = _boost_points_unbudgeted(**terms)  # the common case, without fractions
        if unbudgeted is not None:
            return unbudgeted
    return _boost_points_fractions(**terms, budgets_left=budgets_left)


def _boost_points_unbudgeted(
    *,
    lines: list[EarnLine],
    amount: Decimal,
    paid: Decimal,
    cashback_percent: Decimal,
    point_value: Decimal,
    boosts: list[BoostTerms],
    combine: str,
    cap_percent: Decimal,
) -> dict[int, int] | None:
    """boost_points_within_budgets when no boost has a budget and, under "sum", no line's boosts reach the
    cap (None otherwise: the cap's shares are fractions, _boost_points_fractions works them out). Then every
    boost's exact figure is Σ line amount × percent (a Decimal product, exact at this precision: the
    Inexact trap guarantees it) times paid / (the lines' total × 100 × point value), rounded down once in
    integers: the same figures as the fraction arithmetic, at a fraction of its cost (a boosted purchase
    does this on every line, issue #15). paid > 0 and at least one boost."""
    with localcontext() as context:
        context.prec = 200
        context.traps[Inexact] = True
        lines = boost_lines(lines, amount=amount)
        terms_percent = [
            (terms.key, terms.category_compared, boost_percent(terms, cashback_percent=cashback_percent))
            for terms in boosts
        ]
        scaled = {terms.key: Decimal(0) for terms in boosts}  # Σ line amount × percent
        for line in lines:
            if line.amount <= 0:
                continue
            line_category = category_key(line.category)
            candidates = [
                (key, line.amount * percent)
                for key, category, percent in terms_percent
                if percent > 0 and (not category or category == line_category)
            ]
            if not candidates:
                continue
            if combine == BOOST_COMBINE_BEST:
                key, wants = max(candidates, key=lambda item: item[1])  # max keeps the first of equals
                scaled[key] += wants
                continue
            if sum(wants for _key, wants in candidates) > line.amount * Decimal(cap_percent):
                return None
            for key, wants in candidates:
                scaled[key] += wants
        total = sum(line.amount for line in lines)
    paid_n, paid_d = Decimal(paid).as_integer_ratio()
    total_n, total_d = Decimal(total).as_integer_ratio()
    value_n, value_d = Decimal(point_value).as_integer_ratio()
    result = {}
    for key, value in scaled.items():
        if value <= 0:
            result[key] = 0
            continue
        n, d = value.as_integer_ratio()
        # floor(value × paid / (total × 100 × point value)), in integers
        result[key] = (n * paid_n * total_d * value_d) // (d * paid_d * total_n * 100 * value_n)
    return result


def _boost_points_fractions(
    *,
    lines: list[EarnLine],
    amount: Decimal,
    paid: Decimal,
    cashback_percent: Decimal,
    point_value: Decimal,
    boosts: list[BoostTerms],
    budgets_left: dict[int, int | None],
    combine: str,
    cap_percent: Decimal,
) -> dict[int, int]:
    """boost_points_within_budgets in exact fractions, for every case (the reference)."""

    def left(key: int) -> Fraction | None:
        value = budgets_left.get(key)
        return None if value is None else Fraction(max(0, int(value)))

    result = {terms.key: 0 for terms in boosts}
    if not boosts or paid <= 0:
        return result
    lines = boost_lines(lines, amount=amount)
    total = sum(line.amount for line in lines)
    # a line amount × a percent → points: × paid / (the lines' total × 100 × point value)
    to_points = Fraction(paid) / (Fraction(total) * 100 * Fraction(point_value))
    remaining = {terms.key: left(terms.key) for terms in boosts}  # None: no budget
    exact = {terms.key: Fraction(0) for terms in boosts}
    cap = Fraction(cap_percent)
    for line in lines:
        if line.amount <= 0:
            continue
        line_category = category_key(line.category)
        candidates = []  # (key, wants, can pay), in the order given
        for terms in boosts:
            if category_key(terms.category) and category_key(terms.category) != line_category:
                continue
            percent = boost_percent(terms, cashback_percent=cashback_percent)
            if percent <= 0:
                continue
            wants = Fraction(line.amount) * Fraction(percent) * to_points
            room = remaining[terms.key]
            can = wants if room is None else min(wants, room)
            if can > 0:
                candidates.append((terms.key, wants, can))
        if not candidates:
            continue
        if combine == BOOST_COMBINE_BEST:
            key, _wants, can = max(candidates, key=lambda item: item[2])  # max keeps the first of equals
            paying = {key: can}
        else:
            room = Fraction(line.amount) * cap * to_points
            shares = _cap_share(room, [c[1] for c in candidates], [c[2] for c in candidates])
            paying = {c[0]: share for c, share in zip(candidates, shares, strict=True)}
        for key, points in paying.items():
            exact[key] += points
            if remaining[key] is not None:
                remaining[key] -= points
    for key, value in exact.items():
        if value > 0:
            result[key] = max(0, math.floor(value))
    return result


def earn_breakdown(
    *, paid: Decimal, base_cashback_percent: Decimal, point_value: Decimal, earned: int, has_tier: bool
) -> list[dict[str, object]]:
    """How a purchase's cashback `earned` (points, at the customer's rate) splits into the program's base
    rate and what the tier adds: [{"part": "base", "points": …}, {"part": "tier", "points": …}], the
    tier part only when the customer holds a tier that adds points. The base part is what the base rate
    would have earned, never more than `earned` (a tier with a lower rate than the base shows it all as
    base). The parts add up to `earned` exactly."""
    base = earned
    if has_tier:
        base = min(earned, earn_points(paid=paid, cashback_percent=base_cashback_percent, point_value=point_value))
    parts: list[dict[str, object]] = [{"part": "base", "points": base}]
    if earned > base:
        parts.append({"part": "tier", "points": earned - base})
    return parts
