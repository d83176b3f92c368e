"""The what-if simulator (issue #13): the last 90 days of real purchases replayed under today's rules and
under changed ones (cashback, redemption cap, tier thresholds and rates, point lifetime), side by side,
before anyone touches the live settings. Nothing here writes; docs/analytics.md ("What-if simulator")
defines every figure.

The first half is pure (rules-style: dataclasses, the check of a scenario, tier lookup); the second is the
replay, one set-based statement for both columns (PostgreSQL and SQLite), never a loop over purchases.

The model, in short (the page says the same in words):
- Window: the 90 local calendar days ending yesterday (whole days, so the figures do not move during the
  day): moments in [local midnight of today − 90 days, local midnight of today).
- Purchases replayed: the counted purchases of docs/analytics.md recorded in the window (refunds recorded
  before its end netted; wholly refunded ones left out).
- Tier of a purchase: the highest tier whose threshold (and purchase minimum) the customer's qualifying
  spend meets — the spend of the tier window ending when the replay window begins, plus the purchases of
  the replay window before this one (the purchase that crosses a threshold earns at the old rate, as
  at the till). Spend leaving the tier window during the 90 days is not taken off (the downgrade grace
  period does much the same); tier qualification uses the money actually paid, so a scenario's different
  redemptions do not move tiers.
- Points redeemed: each purchase's actual redemption, limited by the rules' cap on that check. A purchase
  whose redemption reached today's cap is taken to want as much as allowed: under a higher cap it redeems
  up to the new cap, no more than the points the customer held before it (`balance_after` − earned +
  redeemed). Points a redemption took from lots the rules' lifetime would have burnt by then (from the
  lots it really took them from: `loyalty_lotdebit`) are taken off it: "burnt instead".
- Points issued: floor(paid money × cashback % / 100 / point value) at the rate of the purchase's tier
  (loyalty.rules.earn_points), paid money = amount − redeemed points × point value.
- Refunds: issued and redeemed points of a partly refunded purchase are reduced in proportion, rounded
  down as `loyalty.rules.refund_points_split` does (floor(points × refunded / amount) taken back).
- Customers per tier: every member enrolled before the window's end, in the highest tier whose threshold
  their qualifying spend over the tier window ending then meets (the daily review's target, without the
  grace period's delay).
"""

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from loyalty.models import LedgerEntry, LotDebit, PointsLot, ProgramSettings, Purchase, Refund, Tier
from loyalty.models.program import MAX_DAYS
from loyalty.rules import local_midnight, tier_window_start

from . import rules as figures_rules
from .models import CustomerSummary, ReplayPurchase

WINDOW_DAYS = 90
HUNDRED = Decimal("100")

# --- pure parts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierTerms:
    """One tier as a scenario sees it: `threshold` money (qualifying spend), percentages as Decimals
    (5.00 = 5 %). `code`, `name`, `order` and `min_purchases` are the live tier's and are not simulated."""

    code: str
    name: str
    order: int
    threshold: Decimal
    cashback_percent: Decimal
    redeem_cap_percent: Decimal
    min_purchases: int | None = None


@dataclass(frozen=True)
class Rules:
    """The rules a replay runs by. The base rates apply to customers who hold no tier (only when no tier
    starts at 0, as loyalty.selectors.program_rates says); `points_lifetime_days` None = points never
    expire. The point value, activation delay and tier window are the program's and are not simulated."""

    base_cashback_percent: Decimal
    base_redeem_cap_percent: Decimal
    points_lifetime_days: int | None
    tiers: tuple[TierTerms, ...] = ()


def rules_current(program: ProgramSettings, tiers: list[Tier]) -> Rules:
    """Today's rules from the live settings row and tiers (in their order)."""
    return Rules(
        base_cashback_percent=program.base_cashback_percent,
        base_redeem_cap_percent=program.redeem_cap_percent,
        points_lifetime_days=program.points_lifetime_days,
        tiers=tuple(
            TierTerms(
                code=t.code,
                name=t.name,
                order=t.order,
                threshold=t.threshold,
                cashback_percent=t.cashback_percent,
                redeem_cap_percent=t.redeem_cap_percent,
                min_purchases=t.min_purchases,
            )
            for t in sorted(tiers, key=lambda t: t.order)
        ),
    )


def rules_check(scenario: Rules, *, activation_delay_days: int) -> dict[str, str]:
    """What is wrong with a scenario, as {form field name: message}; empty when it can be replayed.

    The bounds are the live settings' own (loyalty.models: cashback 0–100 %, cap above 0 and at most
    100 %, thresholds not negative and increasing with the tiers' order as the tier editor demands, a
    lifetime of 1–36 500 days longer than the activation delay). Field names: `base_cashback_percent`,
    `base_redeem_cap_percent`, `points_lifetime_days`, `<tier code>_threshold`, `<code>_cashback`,
    `<code>_cap`."""
    errors: dict[str, str] = {}

    def cashback(name: str, value: Decimal) -> None:
        if not Decimal("0") <= value <= HUNDRED:
            errors[name] = _("The cashback must be between 0 and 100 %.")

    def cap(name: str, value: Decimal) -> None:
        if not Decimal("0") < value <= HUNDRED:
            # xgettext:no-python-format
            errors[name] = _("The redemption cap must be more than 0 and at most 100 % of the check.")

    cashback("base_cashback_percent", scenario.base_cashback_percent)
    cap("base_redeem_cap_percent", scenario.base_redeem_cap_percent)
    lifetime = scenario.points_lifetime_days
    if lifetime is not None:
        if not 1 <= lifetime <= MAX_DAYS:
            errors["points_lifetime_days"] = _("The point lifetime must be from 1 to 36 500 days, or empty.")
        elif lifetime <= activation_delay_days:
            errors["points_lifetime_days"] = _(
                "The point lifetime must be longer than the activation delay (%(delay)s days): otherwise "
                "points expire before they can be spent."
            ) % {"delay": activation_delay_days}
    previous: TierTerms | None = None
    for tier in sorted(scenario.tiers, key=lambda t: t.order):
        cashback(f"{tier.code}_cashback", tier.cashback_percent)
        cap(f"{tier.code}_cap", tier.redeem_cap_percent)
        if tier.threshold < 0:
            errors[f"{tier.code}_threshold"] = _("The threshold cannot be negative.")
        elif previous is not None and tier.threshold <= previous.threshold:
            errors[f"{tier.code}_threshold"] = _("The threshold must be higher than %(tier)s's.") % {
                "tier": previous.name
            }
        previous = tier
    return errors


def tier_index(scenario: Rules, *, spend: Decimal, purchases: int) -> int:
    """Index in `scenario.tiers` (by order) of the highest tier whose threshold and purchase minimum are
    met by `spend` (money) and `purchases`; −1 for none (the base rates). The SQL replay decides the same."""
    found = -1
    for index, tier in enumerate(sorted(scenario.tiers, key=lambda t: t.order)):
        if spend >= tier.threshold and purchases >= (tier.min_purchases or 0):
            found = index
    return found


def replay_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the replay: the 90 local calendar days ending the day before `today`."""
    return today - dt.timedelta(days=WINDOW_DAYS), today - dt.timedelta(days=1)


@dataclass(frozen=True)
class Replay:
    """One column of the simulator. Points as int, money as Decimal in the program's currency.

    `points_issued` / `points_redeemed`: net of the refunds recorded before the window's end;
    `points_burnt`: redemptions the rules' lifetime would have burnt first (taken off `points_redeemed`);
    `redeemed_value` = points_redeemed × point value (what points paid at the tills: the cost);
    `liability_added` = (points_issued − points_redeemed) × point value (what the window's points add to
    what the program owes); `customers_by_tier`: {tier code or None (no tier): customers}."""

    points_issued: int
    points_redeemed: int
    points_burnt: int
    redeemed_value: Decimal
    liability_added: Decimal
    customers_by_tier: dict[str | None, int]


@dataclass(frozen=True)
class Comparison:
    """Both columns over the same purchases; `recorded_*` are what the ledger really recorded for them
    (earned and redeemed points net of refund reversals and returns), to judge how close `today` is."""

    first_day: dt.date
    last_day: dt.date
    purchases: int
    revenue: Decimal
    today: Replay
    scenario: Replay
    recorded_issued: int
    recorded_redeemed: int
    moved_up: int  # customers in a higher tier under the scenario than under today's rules
    moved_down: int
    tier_codes: tuple[str, ...] = field(default=())


def replay_figures(
    *, issued: int, redeemed: int, burnt: int, point_value: Decimal, by_tier: dict[str | None, int]
) -> Replay:
    """A column from its point totals: money = points × point value, rounded to 0.01."""
    return Replay(
        points_issued=issued,
        points_redeemed=redeemed,
        points_burnt=burnt,
        redeemed_value=figures_rules.money(redeemed * point_value),
        liability_added=figures_rules.money((issued - redeemed) * point_value),
        customers_by_tier=by_tier,
    )


# --- the replay (SQL) --------------------------------------------------------------------------------


def _cents_int(expr: str) -> str:
    """Money → integer cents, exact on both databases (SQLite keeps decimals as floats)."""
    return f"CAST(ROUND(({expr}) * 100) AS BIGINT)"


def _least(*exprs: str) -> str:
    return ("LEAST" if connection.vendor == "postgresql" else "MIN") + "(" + ", ".join(exprs) + ")"


def _greatest(*exprs: str) -> str:
    return ("GREATEST" if connection.vendor == "postgresql" else "MAX") + "(" + ", ".join(exprs) + ")"


def _at_or_after_days(moment: str, start: str) -> str:
    """SQL: `moment` ≥ `start` + %s days (the day count is a parameter)."""
    if connection.vendor == "postgresql":
        return f"{moment} >= {start} + CAST(%s AS INTEGER) * INTERVAL '1 day'"
    return f"julianday({moment}) >= julianday({start}) + %s"


def _dead_sql(lifetime: int | None, today_lifetime: int | None) -> tuple[str, list]:
    """SQL true when a debit (entry e, lot l) took points the lifetime `lifetime` would have burnt by the
    moment of the redemption. A lot expiring under today's lifetime L0 would expire (L − L0) days later or
    earlier; a lot that never expires (no lifetime today) burns `lifetime` days after it was credited
    (whole 24-hour days). No lifetime: nothing burns."""
    if lifetime is None:
        return "1 = 0", []
    if today_lifetime is not None:
        return "l.expires_at IS NOT NULL AND " + _at_or_after_days("e.created_at", "l.expires_at"), [
            lifetime - today_lifetime
        ]
    return _at_or_after_days("e.created_at", "l.created_at"), [lifetime]


def _tier_case(scenario: Rules, spend: str, count: str) -> tuple[str, list]:
    """SQL CASE: the index of the tier (by order) that `spend` (cents) and `count` qualify for, −1 none."""
    tiers = sorted(scenario.tiers, key=lambda t: t.order)
    if not tiers:
        return "-1", []
    whens, params = [], []
    for index in range(len(tiers) - 1, -1, -1):
        tier = tiers[index]
        whens.append(f"WHEN {spend} >= %s AND {count} >= %s THEN {index}")
        params += [int(tier.threshold * 100), tier.min_purchases or 0]
    return "CASE " + " ".join(whens) + " ELSE -1 END", params


def _rate_case(scenario: Rules, index: str, attr: str, base: Decimal) -> tuple[str, list]:
    """SQL CASE: a tier's rate in hundredths of a percent (basis points, an integer) by tier index."""
    tiers = sorted(scenario.tiers, key=lambda t: t.order)
    if not tiers:
        return "CAST(%s AS BIGINT)", [int(base * 100)]
    whens, params = [], []
    for i, tier in enumerate(tiers):
        whens.append(f"WHEN {i} THEN CAST(%s AS BIGINT)")
        params.append(int(getattr(tier, attr) * 100))
    return f"CASE {index} " + " ".join(whens) + " ELSE CAST(%s AS BIGINT) END", [*params, int(base * 100)]


def simulate(*, scenario: Rules, today: dt.date | None = None, program: ProgramSettings | None = None) -> Comparison:
    """Replay the last 90 days (see the module's docstring) under today's rules and under `scenario`,
    which must have passed `rules_check` (its tiers are the live tiers, by code). One statement; on
    PostgreSQL it runs with a larger `work_mem` (512 MB, for its transaction only) so that the per-customer
    hash and the window's sort stay in memory.
    Raises ValueError when the scenario's tiers are not the live ones."""
    from loyalty.selectors import program_settings_get, tiers_list

    program = program or program_settings_get()
    today = today or timezone.localdate()
    current = rules_current(program, tiers_list())
    if [t.code for t in current.tiers] != [t.code for t in sorted(scenario.tiers, key=lambda t: t.order)]:
        raise ValueError("the scenario's tiers are not the program's tiers")
    scenario = replace(
        scenario,
        tiers=tuple(replace(s, order=c.order, min_purchases=c.min_purchases) for s, c in zip(
            sorted(scenario.tiers, key=lambda t: t.order), current.tiers, strict=True)),
    )  # fmt: skip
    first_day, last_day = replay_window(today)
    start, end = local_midnight(first_day), local_midnight(today)
    pv_c = int(program.point_value * 100)
    history_from = tier_window_start(moment=start, window_days=program.tier_window_days)
    tiers_from = tier_window_start(moment=end, window_days=program.tier_window_days)

    pg = connection.vendor == "postgresql"
    # PostgreSQL pulls each step up into the next, copying its expressions into every place that uses them
    # (the last step's would be evaluated dozens of times a row); OFFSET 0 keeps each step computed once.
    fence = " OFFSET 0" if pg else ""
    spend_sum = (lambda e: f"SUM({e}) * 100") if pg else (lambda e: f"SUM({_cents_int(e)})")
    purchase_t, refund_t, customer_t = Purchase._meta.db_table, Refund._meta.db_table, Customer._meta.db_table
    entry_t, debit_t, lot_t = LedgerEntry._meta.db_table, LotDebit._meta.db_table, PointsLot._meta.db_table
    params: list = []

    # base: each customer's qualifying spend before the window (tier window ending at its start) and over
    # the tier window ending at its end, in one pass over the purchases.
    end_from_sql = "created_at >= %s" if tiers_from is not None else "1 = 1"
    base_sql = f"""
    base AS (
        SELECT customer_id,
               {spend_sum("CASE WHEN created_at < %s THEN qualifying_amount ELSE 0 END")} AS spend0,
               SUM(CASE WHEN created_at < %s AND qualifying_amount > 0 THEN 1 ELSE 0 END) AS n0,
               {spend_sum(f"CASE WHEN {end_from_sql} THEN qualifying_amount ELSE 0 END")} AS spend1,
               SUM(CASE WHEN {end_from_sql} AND qualifying_amount > 0 THEN 1 ELSE 0 END) AS n1
        FROM {purchase_t}
        WHERE created_at < %s {"AND created_at >= %s" if history_from is not None else ""}
        GROUP BY customer_id
    )"""  # noqa: S608 - table names from model metadata; every value is a parameter (so below)
    params += [start, start, *([tiers_from] if tiers_from else []), *([tiers_from] if tiers_from else []), end]
    params += [history_from] if history_from is not None else []
    from .summary import REPLAY_DAYS, summary_state_for

    from_summary = pg and REPLAY_DAYS == WINDOW_DAYS and summary_state_for(today, refunds=False) is not None
    if from_summary:
        # The customer summary of today (refreshed by the nightly job) holds the window's purchases with the
        # spend before each, and each customer's spend at the window's end (analytics.summary): no pass over
        # the purchases of the tier windows (base is not used).
        params = []

    dead_a, dead_a_params = _dead_sql(current.points_lifetime_days, program.points_lifetime_days)
    dead_b, dead_b_params = _dead_sql(scenario.points_lifetime_days, program.points_lifetime_days)
    running = (
        "OVER (PARTITION BY p.customer_id ORDER BY p.created_at, p.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    # Points a redemption took from lots the rules' lifetime would have burnt by then, per purchase.
    redeemed_only = (
        f"e.purchase_id IN (SELECT purchase_id FROM {ReplayPurchase._meta.db_table} WHERE redeemed > 0)"  # noqa: S608 - a name from model metadata
        if from_summary
        else "e.purchase_id IS NOT NULL"
    )
    lost_sql = f"""
    lost AS (
        SELECT e.purchase_id,
               SUM(CASE WHEN {dead_a} THEN d.points ELSE 0 END) AS lost_a,
               SUM(CASE WHEN {dead_b} THEN d.points ELSE 0 END) AS lost_b
        FROM {entry_t} e JOIN {debit_t} d ON d.entry_id = e.id JOIN {lot_t} l ON l.id = d.lot_id
        WHERE e.kind = %s AND {redeemed_only} AND e.created_at >= %s AND e.created_at < %s
        GROUP BY e.purchase_id
    )"""  # noqa: S608 - names from model metadata; every value is a parameter
    lost_params = [*dead_a_params, *dead_b_params, LedgerEntry.Kind.REDEEM.value, start, end]
    if from_summary:
        # The window's purchases with their running spend, as the nightly refresh stored them
        # (analytics.models.ReplayPurchase: the columns of `w` below but the lifetime's).
        window_sql = f"""{lost_sql},
    w AS (
        SELECT p.amount_c, p.refunded_c, p.redeemed AS red, p.earned,
               p.held, p.spend, p.purchases AS n,
               CAST(COALESCE(lo.lost_a, 0) AS BIGINT) AS lost_a, CAST(COALESCE(lo.lost_b, 0) AS BIGINT) AS lost_b
        FROM {ReplayPurchase._meta.db_table} p
        LEFT JOIN lost lo ON lo.purchase_id = p.purchase_id{fence}
    )"""  # noqa: S608 - names from model metadata; every value is a parameter
        params += lost_params
    else:
        window_sql = f"""
    refunded AS (
        SELECT purchase_id, SUM(amount) AS refunded FROM {refund_t}
        WHERE created_at >= %s AND created_at < %s GROUP BY purchase_id
    ),{lost_sql},
    w0 AS (
        SELECT p.id, p.customer_id, p.amount, p.redeemed_points, p.earned_points, p.balance_after,
               SUM({_cents_int("p.qualifying_amount")}) {running} AS run_spend,
               SUM(CASE WHEN p.qualifying_amount > 0 THEN 1 ELSE 0 END) {running} AS run_n
        FROM {purchase_t} p
        WHERE p.created_at >= %s AND p.created_at < %s
    ),
    w AS (
        SELECT p.id, p.customer_id,
               {_cents_int("p.amount")} AS amount_c,
               {_cents_int("COALESCE(r.refunded, 0)")} AS refunded_c,
               p.redeemed_points AS red, p.earned_points AS earned,
               COALESCE(p.balance_after - p.earned_points + p.redeemed_points, p.redeemed_points) AS held,
               COALESCE(b.spend0, 0) + COALESCE(p.run_spend, 0) AS spend,
               COALESCE(b.n0, 0) + COALESCE(p.run_n, 0) AS n,
               CAST(COALESCE(lo.lost_a, 0) AS BIGINT) AS lost_a, CAST(COALESCE(lo.lost_b, 0) AS BIGINT) AS lost_b
        FROM w0 p
        LEFT JOIN base b ON b.customer_id = p.customer_id
        LEFT JOIN refunded r ON r.purchase_id = p.id
        LEFT JOIN lost lo ON lo.purchase_id = p.id{fence}
    )"""  # noqa: E501, S608
        params += [start, end, *lost_params, start, end]

    # Three steps after `w` (each computed once: see `fence`), each carrying on only the columns the next
    # ones use: t, the rates of the tier each rules give the purchase (the tier's CASE inside the rate's);
    # u, the caps in points and what the purchase wants to redeem; v, what is redeemed and issued.
    ord_a, ord_a_params = _tier_case(current, "spend", "n")
    ord_b, ord_b_params = _tier_case(scenario, "spend", "n")
    cb_a, cb_a_p = _rate_case(current, ord_a, "cashback_percent", current.base_cashback_percent)
    cap_a, cap_a_p = _rate_case(current, ord_a, "redeem_cap_percent", current.base_redeem_cap_percent)
    cb_b, cb_b_p = _rate_case(scenario, ord_b, "cashback_percent", scenario.base_cashback_percent)
    cap_b, cap_b_p = _rate_case(scenario, ord_b, "redeem_cap_percent", scenario.base_redeem_cap_percent)
    t_sql = f"""
    t AS (
        SELECT amount_c, refunded_c, red, earned, held, lost_a, lost_b,
               {cb_a} AS cb_a, {cap_a} AS cap_a, {cb_b} AS cb_b, {cap_b} AS cap_b
        FROM w WHERE amount_c > refunded_c{fence}
    )"""  # noqa: S608
    params += [
        *ord_a_params, *cb_a_p, *ord_a_params, *cap_a_p, *ord_b_params, *cb_b_p, *ord_b_params, *cap_b_p
    ]  # fmt: skip
    u_sql = f"""
    u AS (
        SELECT amount_c, refunded_c, red, earned, lost_a, lost_b, cb_a, cb_b,
               amount_c * cap_a / (10000 * CAST(%s AS BIGINT)) AS cap_pts_a,
               amount_c * cap_b / (10000 * CAST(%s AS BIGINT)) AS cap_pts_b,
               amount_c / CAST(%s AS BIGINT) AS whole_pts,
               CASE WHEN red < amount_c * cap_a / (10000 * CAST(%s AS BIGINT)) THEN red
                    ELSE {_greatest("held", "red")} END AS wanted
        FROM t{fence}
    )"""  # noqa: S608
    # wanted: what the purchase would redeem if allowed; reaching today's cap means "as much as allowed".
    params += [pv_c, pv_c, pv_c, pv_c]
    # red0: redeemed as the caps allow; red: less the points the lifetime would have burnt first; earn:
    # floor((amount − red × v) × cashback) in points (loyalty.rules.earn_points).
    red0_a, red0_b = _least("wanted", "cap_pts_a", "whole_pts"), _least("wanted", "cap_pts_b", "whole_pts")
    red_a, red_b = _greatest(f"{red0_a} - lost_a", "0"), _greatest(f"{red0_b} - lost_b", "0")
    v_sql = f"""
    v AS (
        SELECT amount_c, refunded_c, red, earned, {red0_a} AS red0_a, {red0_b} AS red0_b,
               {red_a} AS red_a, {red_b} AS red_b,
               (amount_c - {red_a} * CAST(%s AS BIGINT)) * cb_a / (10000 * CAST(%s AS BIGINT)) AS earn_a,
               (amount_c - {red_b} * CAST(%s AS BIGINT)) * cb_b / (10000 * CAST(%s AS BIGINT)) AS earn_b
        FROM u{fence}
    )"""  # noqa: S608
    params += [pv_c, pv_c, pv_c, pv_c]

    def net(points: str) -> str:  # floor(points × refunded / amount) taken back by refunds
        return f"({points} - {points} * refunded_c / amount_c)"

    if from_summary:
        # Customers per tier from the summary's rows alone (no join of every member with their row): each
        # row counted (+1), the rows of customers who joined at or after E taken off again (−1: not members
        # yet; the few who joined today), and 'z' = the members, of whom those without a row (no purchase
        # before E) hold the tier of no spend: _comparison gives them what the rows leave.
        summary_t = CustomerSummary._meta.db_table
        member_a, member_a_params = _tier_case(current, "spend1", "n1")
        member_b, member_b_params = _tier_case(scenario, "spend1", "n1")
        zero_a, zero_a_params = _tier_case(current, "0", "0")
        zero_b, zero_b_params = _tier_case(scenario, "0", "0")
        members_sql = f"""
    SELECT 't', {member_a}, {member_b}, SUM(sign), 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM (
        SELECT CAST(spend_at_end * 100 AS BIGINT) AS spend1, purchases_at_end AS n1, 1 AS sign FROM {summary_t}
        UNION ALL
        SELECT CAST(s.spend_at_end * 100 AS BIGINT), s.purchases_at_end, -1
        FROM {customer_t} c JOIN {summary_t} s ON s.customer_id = c.id WHERE c.created_at >= %s
    ) rows
    GROUP BY 2, 3
    UNION ALL
    SELECT 'z', {zero_a}, {zero_b}, COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM {customer_t} WHERE created_at < %s
    """  # noqa: S608 - table names from model metadata; every value is a parameter
        members_params = [*member_a_params, *member_b_params, end, *zero_a_params, *zero_b_params, end]
    else:
        member_a, member_a_params = _tier_case(current, "COALESCE(b.spend1, 0)", "COALESCE(b.n1, 0)")
        member_b, member_b_params = _tier_case(scenario, "COALESCE(b.spend1, 0)", "COALESCE(b.n1, 0)")
        members_sql = f"""
    SELECT 't', ord_a, ord_b, COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM (
        SELECT {member_a} AS ord_a, {member_b} AS ord_b
        FROM {customer_t} c LEFT JOIN base b ON b.customer_id = c.id
        WHERE c.created_at < %s
    ) members
    GROUP BY ord_a, ord_b
    """  # noqa: S608 - table names from model metadata; every value is a parameter
        members_params = [*member_a_params, *member_b_params, end]
    sql = f"""
    WITH {"" if from_summary else base_sql + ","} {window_sql}, {t_sql}, {u_sql}, {v_sql}
    SELECT 'p', 0, 0, COUNT(*), SUM(amount_c - refunded_c),
           SUM({net("earn_a")}), SUM({net("earn_b")}), SUM({net("red_a")}), SUM({net("red_b")}),
           SUM(red0_a - red_a), SUM(red0_b - red_b), SUM({net("earned")}), SUM({net("red")})
    FROM v
    UNION ALL{members_sql}"""  # noqa: S608 - table names from model metadata; every value is a parameter
    params += members_params
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            cursor.execute("SET LOCAL work_mem = '512MB'")
            cursor.execute("SET LOCAL jit = off")  # compiling these plans took 2–4 s a statement (bench)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _comparison(rows, current=current, scenario=scenario, program=program, days=(first_day, last_day))


def _comparison(rows, *, current: Rules, scenario: Rules, program: ProgramSettings, days) -> Comparison:
    """The statement's rows ('p': the purchase totals; 't': members per (today's, scenario's) tier; from the
    summary also 'z': every member in the tiers of no spend, less the members the 't' rows counted) as a
    Comparison."""
    codes = [t.code for t in current.tiers]
    by_a: dict[str | None, int] = dict.fromkeys(codes, 0)
    by_b: dict[str | None, int] = dict.fromkeys(codes, 0)
    up = down = 0
    totals = [0] * 10
    rows = list(rows)
    counted = sum(int(values[0]) for part, _a, _b, *values in rows if part == "t")
    for part, a, b, *values in rows:
        if part == "p":
            totals = [int(v or 0) for v in values]
            continue
        # 'z': all members, in the tiers of no spend; those the 't' rows counted already are taken off.
        count = int(values[0]) - (counted if part == "z" else 0)
        if count == 0:  # a group the summary's rows cancel out (as if it had never been counted)
            continue
        key_a, key_b = (codes[int(a)] if int(a) >= 0 else None), (codes[int(b)] if int(b) >= 0 else None)
        by_a[key_a] = by_a.get(key_a, 0) + count
        by_b[key_b] = by_b.get(key_b, 0) + count
        up += count if int(b) > int(a) else 0
        down += count if int(b) < int(a) else 0
    purchases, revenue_c, issued_a, issued_b, red_a, red_b, burnt_a, burnt_b, rec_issued, rec_red = totals
    # "Without a tier" is a row when either rules leave someone without a tier (no tier starts at 0).
    if any(not r.tiers or min(t.threshold for t in r.tiers) > 0 for r in (current, scenario)) or None in by_a:
        by_a.setdefault(None, 0)
        by_b.setdefault(None, 0)
    pv = program.point_value
    return Comparison(
        first_day=days[0],
        last_day=days[1],
        purchases=purchases,
        revenue=(Decimal(revenue_c) / 100).quantize(figures_rules.CENT),
        today=replay_figures(issued=issued_a, redeemed=red_a, burnt=burnt_a, point_value=pv, by_tier=by_a),
        scenario=replay_figures(issued=issued_b, redeemed=red_b, burnt=burnt_b, point_value=pv, by_tier=by_b),
        recorded_issued=rec_issued,
        recorded_redeemed=rec_red,
        moved_up=up,
        moved_down=down,
        tier_codes=tuple(codes),
    )
