"""The what-if simulator (analytics.simulator) on a small story whose every figure is worked out here.

Default program: Bronze from 0 at 5 %, Silver from 15 000.00 at 7 %, Gold from 50 000.00 at 10 %, each
with the 30 % cap; 1 point = 1.00; points live 365 days; tier window 365 days. Every moment is noon, "day
−N" N days before today (the story moves with the calendar, so that the page, which replays the 90 days
ending yesterday, shows it too): the replay window is days −90 .. −1.

    day −137  C buys 45 000.00 (Bronze 5 %: +2 250); spend 45 000 → Silver      (before the window)
    day −120  A buys 20 000.00 (Bronze: +1 000); spend 20 000 → Silver           (before the window)
    day −88   B buys 2 000.00 (Bronze: +100)
    day −83   A buys 10 000.00 paying 1 000 points (from the day −120 lot); paid 9 000.00, Silver 7 % → +630
    day −73   C buys 1 000.00 (Silver 7 %: +70)
    day −61   B buys 300.00 paying 90 points — the whole 30 % cap (B held 100); paid 210.00 → +10
    day −60   125.00 of B's day −61 purchase refunded: floor(10 × 125/300) = 4 points taken back,
              floor(90 × 125/300) = 37 points returned

Recorded for the window's four purchases: issued 100 + 630 + 70 + (10 − 4) = 806; redeemed
1 000 + (90 − 37) = 1 053. Tier spend at the end (today's midnight): A 20 000 + 9 000 = 29 000 (Silver),
B 2 000 + 122.50 (the 210.00 paid less its refunded share, 210 × 175/300) = 2 122.50 (Bronze), C 46 000
(Silver).
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.simulator import Rules, TierTerms, rules_check, rules_current, simulate, tier_index
from customers.models import Customer
from loyalty.models import Tier
from loyalty.rules import qualifying_amount as loyalty_qualifying
from loyalty.selectors import program_settings_get, tiers_list
from loyalty.tests.helpers import at, buy, refund

D = Decimal
TODAY = timezone.localdate()


def ago(days: int) -> dt.datetime:
    """Noon, `days` days before today."""
    return at(TODAY - dt.timedelta(days=days))


@pytest.fixture
def sim_story(program, customer_factory):
    a = customer_factory(name="A", now=ago(150))
    b = customer_factory(name="B", now=ago(150))
    c = customer_factory(name="C", now=ago(150))
    assert buy(c, D("45000.00"), now=ago(137)).purchase.earned_points == 2250
    assert buy(a, D("20000.00"), now=ago(120)).purchase.earned_points == 1000
    assert buy(b, D("2000.00"), now=ago(88)).purchase.earned_points == 100
    assert buy(a, D("10000.00"), redeem=1000, now=ago(83)).purchase.earned_points == 630
    assert buy(c, D("1000.00"), now=ago(73)).purchase.earned_points == 70
    b_capped = buy(b, D("300.00"), redeem=90, now=ago(61)).purchase
    assert (b_capped.paid_amount, b_capped.earned_points) == (D("210.00"), 10)
    done = refund(b_capped, D("125.00"), now=ago(60)).refund
    assert (done.points_reversed, done.points_returned) == (4, 37)
    return a, b, c


def today_rules() -> Rules:
    return rules_current(program_settings_get(), tiers_list())


def scenario_with(rules: Rules, **tiers: dict) -> Rules:
    """`rules` with some tiers changed: scenario_with(r, bronze={"cashback_percent": D("10")})."""
    return replace(rules, tiers=tuple(replace(t, **tiers.get(t.code, {})) for t in rules.tiers))


def test_todays_rules_reproduce_what_the_ledger_recorded(sim_story):
    result = simulate(scenario=today_rules(), today=TODAY)
    assert (result.first_day, result.last_day) == (TODAY - dt.timedelta(days=90), TODAY - dt.timedelta(days=1))
    assert result.purchases == 4
    assert result.revenue == D("13175.00")  # 2 000 + 10 000 + 1 000 + (300 − 125)
    assert (result.recorded_issued, result.recorded_redeemed) == (806, 1053)
    assert (result.today.points_issued, result.today.points_redeemed, result.today.points_burnt) == (806, 1053, 0)
    assert result.today.redeemed_value == D("1053.00")
    assert result.today.liability_added == D("-247.00")  # 806 − 1 053
    assert result.today.customers_by_tier == {"bronze": 1, "silver": 2, "gold": 0}
    assert result.scenario == result.today and (result.moved_up, result.moved_down) == (0, 0)


def test_a_richer_bronze_and_a_lower_gold_threshold(sim_story):
    """Bronze 5 % → 10 % cashback and 30 % → 50 % cap; Gold from 50 000 → 40 000.

    B day −88: 2 000 × 10 % = 200. B day −61 used today's whole cap (90 of 90), so under a 50 % cap
    (150 points) it redeems all it held, 100; paid 200.00 → 20 points; the refund of 125/300 leaves
    20 − floor(8.33) = 12 issued and 100 − floor(41.67) = 59 redeemed. A's day −83 purchase is Silver's, as before: 630 and
    1 000. C's spend before the window (45 000) now reaches Gold: day −73 earns 1 000 × 10 % = 100.
    Issued 200 + 630 + 100 + 12 = 942; redeemed 1 000 + 59 = 1 059. At the end C (46 000) is Gold."""
    scenario = scenario_with(
        today_rules(),
        bronze={"cashback_percent": D("10"), "redeem_cap_percent": D("50")},
        gold={"threshold": D("40000.00")},
    )
    result = simulate(scenario=scenario, today=TODAY)
    assert result.today.points_issued == 806
    assert (result.scenario.points_issued, result.scenario.points_redeemed) == (942, 1059)
    assert result.scenario.redeemed_value == D("1059.00")
    assert result.scenario.liability_added == D("-117.00")
    assert result.scenario.customers_by_tier == {"bronze": 1, "silver": 1, "gold": 1}
    assert (result.moved_up, result.moved_down) == (1, 0)


def test_a_lower_cap_limits_what_each_check_could_redeem(sim_story):
    """Silver's cap 30 % → 5 %: A's day −83 check of 10 000.00 could take 500 points, not 1 000; paid 9 500.00
    → 665 at 7 %. Issued 100 + 665 + 70 + 6 = 841; redeemed 500 + 53 = 553."""
    result = simulate(scenario=scenario_with(today_rules(), silver={"redeem_cap_percent": D("5")}), today=TODAY)
    assert (result.scenario.points_issued, result.scenario.points_redeemed) == (841, 553)


def test_a_shorter_lifetime_burns_the_points_a_purchase_paid_with(sim_story):
    """Points live 30 days: the 1 000 points A paid with on day −83 were credited on day −120 and would
    have burnt at the start of day −90; A pays 10 000.00 in money and earns 700. B's 90 points of day −61
    were credited on day −88 (burn at the start of day −58): still good. Issued 100 + 700 + 70 + 6 = 876; redeemed 53; burnt 1 000."""
    result = simulate(scenario=replace(today_rules(), points_lifetime_days=30), today=TODAY)
    assert (result.scenario.points_issued, result.scenario.points_redeemed) == (876, 53)
    assert result.scenario.points_burnt == 1000
    assert result.today.points_burnt == 0


def test_base_rates_apply_when_no_tier_starts_at_zero(sim_story):
    """Bronze from 1 000.00: B's day −88 purchase (spend 0 before it) is made without a tier, at the base
    5 %: 100 as before; with a base of 2 % it earns 40. Day −61 (spend 2 000 ≥ 1 000) is Bronze's."""
    rules = scenario_with(today_rules(), bronze={"threshold": D("1000.00")})
    result = simulate(scenario=replace(rules, base_cashback_percent=D("2")), today=TODAY)
    assert result.scenario.points_issued == 806 - 100 + 40
    assert result.scenario.customers_by_tier == {"bronze": 1, "silver": 2, "gold": 0, None: 0}


def test_a_purchase_wholly_refunded_is_not_replayed(sim_story, customer_factory):
    d = customer_factory(name="D", now=ago(150))
    gone = buy(d, D("1000.00"), now=ago(50)).purchase
    refund(gone, now=ago(49))
    result = simulate(scenario=today_rules(), today=TODAY)
    assert (result.purchases, result.today.points_issued, result.recorded_issued) == (4, 806, 806)
    assert result.today.customers_by_tier["bronze"] == 2  # D is a member, with no spend


def test_no_purchases_gives_zeros(program, customer_factory):
    customer_factory(name="A", now=ago(150))
    result = simulate(scenario=today_rules(), today=TODAY)
    assert (result.purchases, result.revenue, result.today.points_issued) == (0, D("0.00"), 0)
    assert result.today.customers_by_tier == {"bronze": 1, "silver": 0, "gold": 0}


def test_without_tiers_everyone_earns_the_base_rates(program, customer_factory):
    """No tiers: 1 000.00 at the base 5 % = 50 today; at 8 % = 80; the one member holds no tier."""
    Tier.objects.all().delete()
    buy(customer_factory(name="A", now=ago(150)), D("1000.00"), now=ago(10))
    result = simulate(scenario=replace(today_rules(), base_cashback_percent=D("8")), today=TODAY)
    assert (result.today.points_issued, result.scenario.points_issued) == (50, 80)
    assert result.today.customers_by_tier == result.scenario.customers_by_tier == {None: 1}


# --- the pure parts ----------------------------------------------------------------------------------


def rules_of(*tiers: TierTerms, lifetime: int | None = 365) -> Rules:
    return Rules(D("5"), D("30"), lifetime, tiers)


def tier(code: str, order: int, threshold: str, cashback: str = "5", cap: str = "30", minimum=None) -> TierTerms:
    return TierTerms(code, code.title(), order, D(threshold), D(cashback), D(cap), minimum)


def test_rules_check_says_what_is_wrong():
    bad = Rules(
        D("-1"),
        D("100.01"),
        0,
        (tier("bronze", 1, "0", cap="0"), tier("silver", 2, "15000", cashback="101"), tier("gold", 3, "15000")),
    )
    assert rules_check(bad, activation_delay_days=0) == {
        "base_cashback_percent": "The cashback must be between 0 and 100 %.",
        "base_redeem_cap_percent": "The redemption cap must be more than 0 and at most 100 % of the check.",
        "points_lifetime_days": "The point lifetime must be from 1 to 36 500 days, or empty.",
        "bronze_cap": "The redemption cap must be more than 0 and at most 100 % of the check.",
        "silver_cashback": "The cashback must be between 0 and 100 %.",
        "gold_threshold": "The threshold must be higher than Silver's.",
    }
    assert rules_check(rules_of(tier("bronze", 1, "-5")), activation_delay_days=0) == {
        "bronze_threshold": "The threshold cannot be negative."
    }
    assert rules_check(rules_of(lifetime=14), activation_delay_days=14) == {
        "points_lifetime_days": "The point lifetime must be longer than the activation delay (14 days): "
        "otherwise points expire before they can be spent."
    }
    assert rules_check(rules_of(tier("bronze", 1, "0"), lifetime=None), activation_delay_days=14) == {}


def test_tier_index_takes_the_highest_tier_met():
    rules = rules_of(tier("bronze", 1, "1000"), tier("silver", 2, "15000", minimum=3), tier("gold", 3, "50000"))
    assert tier_index(rules, spend=D("999.99"), purchases=9) == -1
    assert tier_index(rules, spend=D("1000"), purchases=0) == 0
    assert tier_index(rules, spend=D("20000"), purchases=2) == 0  # Silver needs 3 purchases
    assert tier_index(rules, spend=D("20000"), purchases=3) == 1
    assert tier_index(rules, spend=D("50000"), purchases=0) == 2


def test_the_scenario_must_have_the_live_tiers(sim_story):
    with pytest.raises(ValueError, match="not the program's tiers"):
        simulate(scenario=rules_of(tier("bronze", 1, "0")), today=TODAY)


# --- the SQL against the model it implements, on random purchases ---------------------------------------


def replay_reference(purchases: list[dict], refunds: list[dict], rules: Rules, today_rules_: Rules, pv: Decimal):
    """The module docstring's model in plain Python over loyalty.rules (no lifetime: nothing is burnt):
    (issued, redeemed) under `rules`, and customers per tier index at the end."""
    from loyalty import rules as loyalty_rules

    start, end = at(TODAY - dt.timedelta(days=90), 0), at(TODAY, 0)
    history_from, tiers_from = start - dt.timedelta(days=365), end - dt.timedelta(days=365)
    ordered = sorted(purchases, key=lambda p: (p["created_at"], p["id"]))
    tiers = sorted(rules.tiers, key=lambda t: t.order)
    today_tiers = sorted(today_rules_.tiers, key=lambda t: t.order)
    issued = redeemed = 0
    for p in ordered:
        if not start <= p["created_at"] < end:
            continue
        earlier = [q for q in ordered if q["customer"] == p["customer"] and history_from <= q["created_at"] < end
                   and (q["created_at"], q["id"]) < (p["created_at"], p["id"])]  # fmt: skip
        spend = sum((q["qualifying"] for q in earlier), Decimal(0))
        n = sum(1 for q in earlier if q["qualifying"] > 0)
        refunded = sum((r["amount"] for r in refunds if r["purchase"] == p["id"] and r["created_at"] < end), Decimal(0))
        amount = p["amount"]
        if refunded >= amount:
            continue
        a, b = tier_index(today_rules_, spend=spend, purchases=n), tier_index(rules, spend=spend, purchases=n)
        cap_today = today_tiers[a].redeem_cap_percent if a >= 0 else today_rules_.base_redeem_cap_percent
        cashback = tiers[b].cashback_percent if b >= 0 else rules.base_cashback_percent
        cap = tiers[b].redeem_cap_percent if b >= 0 else rules.base_redeem_cap_percent
        red = p["red"]
        wanted = red if red < loyalty_rules.redeem_cap_points(amount, cap_today, pv) else max(p["held"], red)
        red0 = min(wanted, loyalty_rules.redeem_cap_points(amount, cap, pv), int(amount // pv))
        paid = loyalty_rules.paid_amount(amount=amount, redeemed_points=red0, point_value=pv)
        earn = loyalty_rules.earn_points(paid=paid, cashback_percent=cashback, point_value=pv)
        reversed_, returned = loyalty_rules.refund_points_split(
            amount=amount, refunded_before=Decimal(0), refund_amount=refunded, earned_points=earn,
            reversed_before=0, redeemed_points=red0, returned_before=0,
        )  # fmt: skip
        issued += earn - reversed_
        redeemed += red0 - returned
    by_tier: dict[int, int] = {}
    for customer in range(3):  # the story's three members, with purchases or without
        mine = [q for q in purchases if q["customer"] == customer and tiers_from <= q["created_at"] < end]
        spend = sum((q["qualifying"] for q in mine), Decimal(0))
        index = tier_index(rules, spend=spend, purchases=sum(1 for q in mine if q["qualifying"] > 0))
        by_tier[index] = by_tier.get(index, 0) + 1
    return issued, redeemed, by_tier


money_st = st.integers(min_value=100, max_value=3_000_000).map(lambda c: Decimal(c) / 100)
percent_st = st.integers(min_value=0, max_value=2500).map(lambda c: Decimal(c) / 100)
cap_st = st.integers(min_value=1, max_value=10000).map(lambda c: Decimal(c) / 100)


@st.composite
def scenarios(draw):
    thresholds = sorted(draw(st.sets(st.integers(min_value=0, max_value=5_000_000), min_size=3, max_size=3)))
    tiers = tuple(
        TierTerms(code, code.title(), order, Decimal(threshold) / 100, draw(percent_st), draw(cap_st))
        for code, order, threshold in zip(("bronze", "silver", "gold"), (1, 2, 3), thresholds, strict=True)
    )
    return Rules(draw(percent_st), draw(cap_st), 365, tiers)


purchase_st = st.fixed_dictionaries(
    {
        "customer": st.integers(min_value=0, max_value=2),
        "days_ago": st.integers(min_value=1, max_value=200),
        "hour": st.integers(min_value=0, max_value=23),
        "amount": money_st,
        "red_share": st.sampled_from([0, 10, 25, 30, 30]),  # 30: the whole of today's default cap
        "extra_held": st.integers(min_value=0, max_value=500),
        "refund_share": st.sampled_from([0, 0, 30, 50, 100]),
        "refund_after_days": st.integers(min_value=0, max_value=120),
    }
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(purchase_st, min_size=1, max_size=10),
    scenario=scenarios(),
    point_value=st.sampled_from(["1.00", "0.50", "2.00"]),
)
def test_the_replay_is_the_model_it_documents(program, customer_factory, rows, scenario, point_value):
    """Random purchases (some before the window, some partly or wholly refunded, before or after its end),
    random rules and point values: the statement's figures are the module's model computed in Python with
    loyalty.rules, on whichever database the tests run (SQLite keeps money as floats)."""
    from loyalty.models import ProgramSettings, Purchase, Refund

    Refund.objects.all().delete()
    Purchase.objects.all().delete()
    ProgramSettings.objects.filter(pk=1).update(point_value=Decimal(point_value))
    pv = Decimal(point_value)
    customers = list(Customer.objects.order_by("pk")[:3])
    while len(customers) < 3:
        customers.append(customer_factory(now=ago(300)))
    purchases, refunds = [], []
    for row in rows:
        amount = row["amount"]
        created = ago(row["days_ago"]) + dt.timedelta(hours=row["hour"] - 12)
        red = int(amount * row["red_share"] / 100 / pv)
        refunded = (amount * row["refund_share"] / 100).quantize(Decimal("0.01"))
        paid = amount - red * pv
        purchase = Purchase.objects.create(
            customer=customers[row["customer"]], amount=amount, redeemed_points=red, paid_amount=paid,
            earned_points=0, cashback_percent=Decimal("5"), point_value=pv, refunded_amount=refunded,
            qualifying_amount=loyalty_qualifying(paid=paid, amount=amount, refunded=refunded),
            balance_after=row["extra_held"], created_at=created,
        )  # fmt: skip
        purchases.append(
            {"id": purchase.pk, "customer": row["customer"], "created_at": created, "amount": amount, "red": red,
             "held": row["extra_held"] + red, "qualifying": purchase.qualifying_amount}
        )  # fmt: skip
        if refunded > 0:
            moment = created + dt.timedelta(days=row["refund_after_days"])
            Refund.objects.create(purchase=purchase, amount=refunded, created_at=moment)
            refunds.append({"purchase": purchase.pk, "amount": refunded, "created_at": moment})
    today = replace(today_rules(), tiers=tuple(replace(t, order=i) for i, t in enumerate(today_rules().tiers, start=1)))
    result = simulate(scenario=scenario, today=TODAY)
    issued, redeemed, by_tier = replay_reference(purchases, refunds, scenario, today, pv)
    assert (result.scenario.points_issued, result.scenario.points_redeemed) == (issued, redeemed)
    today_issued, today_redeemed, _ = replay_reference(purchases, refunds, today, today, pv)
    assert (result.today.points_issued, result.today.points_redeemed) == (today_issued, today_redeemed)
    codes = ["bronze", "silver", "gold"]
    shown = {key: n for key, n in result.scenario.customers_by_tier.items() if n}
    assert shown == {(codes[i] if i >= 0 else None): n for i, n in by_tier.items()}
