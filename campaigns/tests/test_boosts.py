"""Earning boosts in the purchase path: dates, weekdays and hours at their edges, categories, the combining
rule, the holdout, the budget, the breakdown, refunds and retries. The program: 5 % cashback, 1 point =
1.00 (conftest's `program`); the shop's time zone Europe/Moscow."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from campaigns.models import BoostGrant, Campaign, CampaignVariant
from campaigns.selectors import campaign_points_granted
from loyalty.models import LedgerEntry, ProgramSettings, Purchase, Tier
from loyalty.rules import local_midnight
from loyalty.selectors import purchase_quote
from loyalty.tests.helpers import assert_ledger_consistent, balance, buy, refund

from .helpers import customer_in, running_campaign

pytestmark = pytest.mark.django_db
SATURDAY = dt.date(2026, 3, 7)


def _local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return local_midnight(day) + dt.timedelta(hours=hour, minutes=minute, seconds=second)


def _boost(**fields) -> Campaign:
    fields.setdefault("boost_multiplier", D("2"))
    return running_campaign(Campaign.Kind.BOOST, name=fields.pop("name", "Double points"), **fields)


def test_a_boost_that_ends_at_midnight_boosts_23_59_59_and_not_00_00_00(customer, t0):
    day = t0.date()
    _boost(starts_at=local_midnight(day), ends_at=local_midnight(day + dt.timedelta(days=1)))
    late = buy(customer, "1000.00", now=_local(day, 23, 59, 59)).purchase
    after = buy(customer, "1000.00", now=_local(day + dt.timedelta(days=1), 0)).purchase
    assert late.earned_points == 100  # 50 base + 50 for doubling
    assert after.earned_points == 50
    assert after.earned_breakdown == [{"part": "base", "points": 50}]
    assert_ledger_consistent(customer)


def test_a_boost_that_has_not_started_or_is_paused_earns_nothing(customer, t0):
    _boost(starts_at=t0 + dt.timedelta(seconds=1))
    _boost(status=Campaign.Status.PAUSED)
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50


def test_a_category_line_is_boosted_and_the_other_is_not(customer, t0):
    campaign = _boost(name="Shoes ×2", boost_category="shoes")
    purchase = buy(
        customer,
        "1000.00",
        lines=[{"amount": "600.00", "category": "shoes"}, {"amount": "400.00", "category": "food"}],
        now=t0,
    ).purchase
    assert purchase.earned_points == 80  # 50 on the check + 30 more on the 600 of shoes
    assert purchase.earned_breakdown == [
        {"part": "base", "points": 50},
        {"part": "boost", "campaign": campaign.pk, "name": "Shoes ×2", "points": 30},
    ]
    other = buy(customer, "1000.00", lines=[{"amount": "1000.00", "category": "food"}], now=t0).purchase
    assert other.earned_points == 50
    assert not BoostGrant.objects.filter(purchase_id=other.pk).exists()
    # A purchase without lines is one line of its whole amount, with no category: not shoes.
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50


def test_categories_match_ignoring_case_and_surrounding_spaces(customer, t0):
    campaign = _boost(name="Shoes ×2", boost_category=" Shoes ")
    purchase = buy(
        customer,
        "1000.00",
        lines=[{"amount": "600.00", "category": "shoes"}, {"amount": "400.00", "category": "food"}],
        now=t0,
    ).purchase
    assert purchase.earned_points == 80  # 50 on the check + 30 more on the 600 of "shoes"
    assert BoostGrant.objects.get(purchase_id=purchase.pk).points == 30
    entry = LedgerEntry.objects.get(purchase=purchase, kind=LedgerEntry.Kind.EARN)
    assert entry.points == 80 and entry.reason == f"Cashback 5% + boost “Shoes ×2” on purchase #{purchase.pk}"
    upper = buy(customer, "1000.00", lines=[{"amount": "1000.00", "category": "SHOES "}], now=t0).purchase
    assert upper.earned_points == 100  # 50 + 50 on the whole check
    assert campaign.pk in {part.get("campaign") for part in upper.earned_breakdown}


@pytest.mark.parametrize("category", ["ＢＯＯＫＳ", "\u200bBooks", "Books\u200d", "\u00a0books\u2003"])
def test_categories_match_across_full_width_letters_and_invisible_characters(customer, t0, category):
    """Tester finding: a line "ＢＯＯＫＳ" (full-width) or "\u200bBooks" (a zero-width space in front) is the
    "Books" category a cashier sees: 1 000.00 of it earns 50 + 20 % = 200 more."""
    campaign = _boost(name="Books", boost_multiplier=None, boost_extra_percent=D("20"), boost_category="Books")
    purchase = buy(customer, "1000.00", lines=[{"amount": "1000.00", "category": category}], now=t0).purchase
    assert purchase.earned_points == 250
    assert BoostGrant.objects.get(purchase_id=purchase.pk, campaign=campaign).points == 200


def test_a_boost_category_of_invisible_characters_alone_is_saved_as_none():
    """Tester finding: a category "\u200b" was saved as it was, so the page showed an empty category
    and no line ever matched; it is no category (every line), as the page then says."""
    from campaigns.services.changes import campaign_create

    campaign = campaign_create(
        values={
            "name": "Invisible",
            "kind": Campaign.Kind.BOOST,
            "boost_extra_percent": D("1"),
            "boost_category": "\u200b\ufeff ",
        }
    )
    assert campaign.boost_category == ""
    named = campaign_create(
        values={
            "name": "Shoes",
            "kind": Campaign.Kind.BOOST,
            "boost_extra_percent": D("1"),
            "boost_category": "\u200bShoes ",
        }
    )
    assert named.boost_category == "Shoes"


@pytest.mark.parametrize(
    ("moment", "boosted"),
    [
        (_local(SATURDAY, 9, 59, 59), False),
        (_local(SATURDAY, 10), True),
        (_local(SATURDAY, 11, 59, 59), True),
        (_local(SATURDAY, 12), False),
        (_local(SATURDAY - dt.timedelta(days=1), 10, 30), False),  # Friday
        (_local(SATURDAY + dt.timedelta(days=1), 11), True),  # Sunday
    ],
)
def test_weekdays_and_hours_at_their_edges(customer, moment, boosted):
    _boost(boost_weekdays=[5, 6], boost_hour_from=10, boost_hour_to=12)
    assert buy(customer, "1000.00", now=moment).purchase.earned_points == (100 if boosted else 50)


def test_hours_past_midnight_wrap(customer):
    _boost(boost_hour_from=22, boost_hour_to=2)
    assert buy(customer, "1000.00", now=_local(SATURDAY, 21, 59, 59)).purchase.earned_points == 50
    assert buy(customer, "1000.00", now=_local(SATURDAY, 23)).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=_local(SATURDAY, 1, 59, 59)).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=_local(SATURDAY, 2)).purchase.earned_points == 50
    assert buy(customer, "1000.00", now=_local(SATURDAY, 23, 30)).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=_local(SATURDAY, 1, 30)).purchase.earned_points == 100


def test_hours_that_end_at_midnight(customer):
    _boost(boost_hour_from=22, boost_hour_to=24)
    assert buy(customer, "1000.00", now=_local(SATURDAY, 21, 59, 59)).purchase.earned_points == 50
    assert buy(customer, "1000.00", now=_local(SATURDAY, 23, 59, 59)).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=_local(SATURDAY, 0)).purchase.earned_points == 50


def _two_boosts():
    plus = _boost(name="+10 %", boost_multiplier=None, boost_extra_percent=D("10"))
    triple = _boost(name="×3", boost_multiplier=D("3"))  # +10 % at 5 % cashback
    return plus, triple


def test_best_keeps_only_the_largest_boost_per_line(customer, t0):
    ProgramSettings.objects.filter(pk=1).update(boost_combine="best")
    plus = _boost(name="+4 %", boost_multiplier=None, boost_extra_percent=D("4"))
    triple = _boost(name="×3", boost_multiplier=D("3"))  # +10 %
    purchase = buy(customer, "1000.00", now=t0).purchase
    assert purchase.earned_points == 150
    assert purchase.earned_breakdown[1:] == [{"part": "boost", "campaign": triple.pk, "name": "×3", "points": 100}]
    assert not BoostGrant.objects.filter(campaign=plus).exists()


def test_sum_adds_boosts_up_to_the_cap_in_percent_of_the_line(customer, t0):
    ProgramSettings.objects.filter(pk=1).update(boost_combine="sum", boost_cap_percent=D("15"))
    plus, triple = _two_boosts()
    purchase = buy(customer, "1000.00", now=t0).purchase
    # 10 % + 10 % = 20 % of the line, capped at 15 %: 150 points, shared in proportion.
    assert purchase.earned_points == 50 + 150
    assert [part["points"] for part in purchase.earned_breakdown] == [50, 75, 75]
    ProgramSettings.objects.filter(pk=1).update(boost_cap_percent=D("50"))
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50 + 200
    assert campaign_points_granted(plus) == campaign_points_granted(triple) == 75 + 100
    assert Campaign.objects.get(pk=plus.pk).points_granted == 0  # no budget: no counter to queue on


def test_a_holdout_customer_is_not_boosted_but_recorded(program, t0):
    campaign = _boost(holdout_percent=D("50"))
    held = customer_in(campaign, holdout=True)
    treated = customer_in(campaign, holdout=False)
    held_purchase = buy(held, "1000.00", now=t0).purchase
    assert held_purchase.earned_points == 50
    assert held_purchase.earned_breakdown == [{"part": "base", "points": 50}]
    grant = BoostGrant.objects.get(campaign=campaign, customer=held)
    assert (grant.purchase_id, grant.holdout, grant.points) == (held_purchase.pk, True, 0)
    assert buy(treated, "1000.00", now=t0).purchase.earned_points == 100
    assert campaign_points_granted(campaign) == 50


def test_the_breakdown_with_a_tier_sums_exactly_to_the_points_earned(customer, t0):
    Tier.objects.update(cashback_percent=D("7"))  # the default entry tier, held from enrolment
    campaign = _boost(name="Double", boost_multiplier=D("2"))
    variant = CampaignVariant.objects.create(campaign=campaign, code="A", points=0)
    purchase = buy(customer, "999.99", redeem=0, now=t0).purchase
    # 7 % of 999.99 = 69.99 → 69 (base 5 % → 49, tier +20); ×2 adds 69.99 → 69.
    assert purchase.earned_breakdown == [
        {"part": "base", "points": 49},
        {"part": "tier", "points": 20},
        {"part": "boost", "campaign": campaign.pk, "name": "Double", "points": 69},
    ]
    assert sum(part["points"] for part in purchase.earned_breakdown) == purchase.earned_points == 138
    assert BoostGrant.objects.get(campaign=campaign).variant_id == variant.pk


def test_a_refund_reverses_boost_points_in_proportion(customer, t0):
    _boost()
    purchase = buy(customer, "1000.00", now=t0).purchase
    assert balance(customer) == 100
    half = refund(purchase, "500.00", now=t0 + dt.timedelta(hours=1))
    assert half.refund.points_reversed == 50
    rest = refund(purchase, now=t0 + dt.timedelta(hours=2))
    assert rest.refund.points_reversed == 50
    assert balance(customer) == 0
    assert_ledger_consistent(customer)


def test_an_idempotent_retry_earns_once(customer, t0):
    campaign = _boost()
    first = buy(customer, "1000.00", idempotency_key="till:k1", now=t0)
    again = buy(customer, "1000.00", idempotency_key="till:k1", now=t0)
    assert again.replayed and again.purchase.pk == first.purchase.pk
    assert again.purchase.earned_breakdown == first.purchase.earned_breakdown
    assert balance(customer) == 100
    assert BoostGrant.objects.filter(campaign=campaign).count() == 1
    assert campaign_points_granted(campaign) == 50


def test_the_budget_cuts_the_last_boost_and_then_stops(customer, t0):
    campaign = _boost(budget_points=70)
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 100
    second = buy(customer, "1000.00", now=t0).purchase
    assert second.earned_points == 50 + 20
    assert second.earned_breakdown[-1]["points"] == 20
    third = buy(customer, "1000.00", now=t0).purchase
    assert third.earned_points == 50
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 70
    assert BoostGrant.objects.filter(campaign=campaign).count() == 2


def test_the_per_customer_limit_counts_boosted_purchases(customer, t0):
    _boost(per_customer_limit=1)
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50


def test_a_limit_found_reached_when_recording_gives_the_line_to_the_next_best_boost(customer, t0):
    """A purchase leaves an unbudgeted boost's per-customer limit to the recording (no count per purchase);
    when the recording finds the customer at the limit, it writes nothing and the purchase plans again
    without that boost, so under "best" the ×2 boost takes the line the ×3 one can no longer have."""
    ProgramSettings.objects.filter(pk=1).update(boost_combine="best")
    triple = _boost(name="Triple once", boost_multiplier=D("3"), per_customer_limit=1)
    double = _boost(name="Double")
    first = buy(customer, "1000.00", now=t0).purchase
    assert first.earned_points == 150  # 50 base + 100 for tripling
    assert first.earned_breakdown[1:] == [
        {"part": "boost", "campaign": triple.pk, "name": "Triple once", "points": 100}
    ]
    # The quote counts the limit itself: the next purchase is doubled, not tripled.
    assert purchase_quote(customer_id=customer.pk, amount=D("1000.00"), now=t0).earn_points == 100
    second = buy(customer, "1000.00", now=t0).purchase
    assert second.earned_points == 100  # 50 base + 50 for doubling
    assert second.earned_breakdown[1:] == [{"part": "boost", "campaign": double.pk, "name": "Double", "points": 50}]
    assert LedgerEntry.objects.get(purchase=second, kind=LedgerEntry.Kind.EARN).points == 100
    assert BoostGrant.objects.filter(campaign=triple).count() == 1
    assert BoostGrant.objects.filter(campaign=double, purchase_id=second.pk).get().points == 50
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 100  # remembered: asked no more
    assert_ledger_consistent(customer)


def test_a_process_that_never_saw_the_limit_reached_still_stops_at_it(customer, t0):
    """Another process's copy of the boosts knows nothing of this customer: the recording's count stops it."""
    from campaigns.boosts import boost_campaigns_forget

    campaign = _boost(per_customer_limit=2)
    assert [buy(customer, "1000.00", now=t0).purchase.earned_points for _i in range(2)] == [100, 100]
    boost_campaigns_forget()  # as a fresh process: nothing remembered
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50
    assert BoostGrant.objects.filter(campaign=campaign).count() == 2
    # numbered per customer: the limit is read from the last row, however many there are
    assert list(BoostGrant.objects.filter(campaign=campaign).order_by("id").values_list("nth", flat=True)) == [1, 2]
    assert balance(customer) == 250
    assert_ledger_consistent(customer)


def test_a_holdout_customer_gets_no_more_holdout_rows_than_the_limit(program, t0):
    """Tester finding: the holdout mirrors the treated — with a limit of 2, a holdout customer's third
    purchase writes no holdout row (results compared 8 treated occasions with 6 holdout ones instead of 4)."""
    campaign = _boost(per_customer_limit=2, holdout_percent=D("50"))
    customer = customer_in(campaign, holdout=True)
    assert [buy(customer, "1000.00", now=t0).purchase.earned_points for _i in range(3)] == [50, 50, 50]
    rows = BoostGrant.objects.filter(campaign=campaign).order_by("id")
    assert list(rows.values_list("holdout", "points", "nth")) == [(True, 0, 1), (True, 0, 2)]
    assert_ledger_consistent(customer)


def test_boosts_for_everyone_and_tiers_with_a_limit_add_no_statement(customer, t0):
    """Issue #15's goal (five boosts within 10 % of none): with the copy of the boosts current, boosts whose
    target is everyone or tiers, one of them with a holdout and one with a per-customer limit, add no
    statement to a purchase: their grant rows are written, and the limit checked, by the purchase's INSERT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ProgramSettings.objects.filter(pk=1).update(boost_combine="sum", boost_cap_percent=D("50"))
    buy(customer, "1000.00", now=t0)  # the caches read
    with CaptureQueriesContext(connection) as plain:
        buy(customer, "1000.00", now=t0)
    tiered = _boost(name="Tiers", boost_extra_percent=D("1"), boost_multiplier=None, target=Campaign.Target.TIERS)
    tiered.target_tiers.set(Tier.objects.all())
    _boost(name="Everyone")
    _boost(name="Holdout", holdout_percent=D("10"))
    _boost(name="Limited", per_customer_limit=10**6)
    buy(customer, "1000.00", now=t0)  # the new copy read
    with CaptureQueriesContext(connection) as boosted:
        purchase = buy(customer, "1000.00", now=t0).purchase
    assert len(boosted.captured_queries) == len(plain.captured_queries)
    assert BoostGrant.objects.filter(purchase_id=purchase.pk).count() == 4


def test_the_target_and_its_consent_decide_who_is_boosted(customer, program, t0):
    _boost(target_consent=Campaign.Consent.EMAIL)
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50  # no email consent
    consenting = customer.__class__.objects.filter(pk=customer.pk)
    consenting.update(consent_email=True)
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 100


def test_the_quote_shows_the_boost(customer, t0):
    campaign = _boost(name="Weekend")
    quote = purchase_quote(customer_id=customer.pk, amount=D("1000.00"), now=t0)
    assert quote.earn_points == 100
    assert list(quote.earned_breakdown) == [
        {"part": "base", "points": 50},
        {"part": "boost", "campaign": campaign.pk, "name": "Weekend", "points": 50},
    ]
    assert not BoostGrant.objects.exists()  # a quote writes nothing


def test_a_tiers_target_boosts_only_members_of_those_tiers(customer, customer_factory, t0):
    bronze = Tier.objects.get(code="bronze")
    silver = Tier.objects.get(code="silver")
    Tier.objects.filter(pk=silver.pk).update(threshold=D("5000"), cashback_percent=D("5"))
    campaign = _boost(target=Campaign.Target.TIERS)
    campaign.target_tiers.set([silver])
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50  # Bronze now
    assert buy(customer, "5000.00", now=t0).purchase.earned_points == 250  # held Bronze when it began
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 100  # Silver now: boosted
    campaign.target_tiers.set([bronze])
    other = customer_factory()
    buy(other, "10.00", now=t0)  # holds the entry tier from its first purchase on
    assert buy(other, "1000.00", now=t0).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 50


def test_a_boost_aimed_at_the_entry_tier_applies_to_a_new_customers_first_purchase(customer, t0):
    """No TierStatus row yet (enrolled since the last tier review): the customer holds Bronze, the entry tier,
    so a Bronze ×2 boost doubles the first purchase too, in the quote and in the purchase."""
    from loyalty.models import TierStatus

    campaign = _boost(name="Bronze boost", target=Campaign.Target.TIERS)
    campaign.target_tiers.set([Tier.objects.get(code="bronze")])
    assert not TierStatus.objects.filter(customer=customer).exists()
    assert purchase_quote(customer_id=customer.pk, amount=D("1000.00"), now=t0).earn_points == 100
    purchase = buy(customer, "1000.00", now=t0).purchase
    assert purchase.earned_points == 100  # 50 base (5 % of 1 000.00) + 50 for doubling
    assert purchase.earned_breakdown == [
        {"part": "base", "points": 50},
        {"part": "boost", "campaign": campaign.pk, "name": "Bronze boost", "points": 50},
    ]


def test_the_kept_copy_of_the_boosts_still_checks_their_dates_and_a_change_applies_at_once(customer, t0):
    """The per-process copy of the boosts (core.versions): dates are checked per purchase; a boost launched
    or paused, by a service or by raw SQL, applies to the very next purchase (the trigger's new token)."""
    from django.db import connection

    from campaigns import boosts

    boosts.boost_campaigns_forget()
    day = t0.date()
    _boost(ends_at=local_midnight(day + dt.timedelta(days=1)))
    assert buy(customer, "1000.00", now=_local(day, 23, 59, 59)).purchase.earned_points == 100
    assert buy(customer, "1000.00", now=_local(day + dt.timedelta(days=1), 0)).purchase.earned_points == 50
    cached = boosts.boost_campaigns_active()
    assert boosts.boost_campaigns_active() is cached  # no change: the same copy
    launched = _boost(name="Launched meanwhile")
    ProgramSettings.objects.filter(pk=1).update(boost_combine="sum")
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 150  # read again: both, added up
    with connection.cursor() as cursor:  # a change outside the services too
        cursor.execute("UPDATE campaigns_campaign SET status = 'paused' WHERE id = %s", [launched.pk])
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 100
    copy = boosts.boost_campaigns_active()
    with connection.cursor() as cursor:  # the budget counter alone is no change of terms (PostgreSQL)
        cursor.execute("UPDATE campaigns_campaign SET points_granted = points_granted WHERE id = %s", [launched.pk])
    assert boosts.boost_campaigns_active() is copy


def test_staff_choose_the_combining_rule_on_the_settings_page(client, marketing_user, program):
    from loyalty.tests.helpers import SETTINGS_FORM

    client.force_login(marketing_user)
    page = client.get("/settings/").content.decode()
    assert 'name="boost_combine"' in page and 'name="boost_cap_percent"' in page
    response = client.post("/settings/", SETTINGS_FORM | {"boost_combine": "sum", "boost_cap_percent": "15"})
    assert response.status_code == 302
    saved = ProgramSettings.objects.get()
    assert (saved.boost_combine, saved.boost_cap_percent) == ("sum", D("15.00"))
    bad = client.post("/settings/", SETTINGS_FORM | {"boost_combine": "most", "boost_cap_percent": "101"})
    assert bad.status_code == 400
    assert "Select a valid choice." in bad.content.decode()
    assert ProgramSettings.objects.get().boost_cap_percent == D("15.00")


def test_the_earn_reason_names_the_boosts_that_added_points():
    from loyalty.reasons import earn_reason

    def purchase(*parts):
        return Purchase(external_id="R-9", earned_breakdown=[{"part": "base", "points": 50}, *parts])

    assert earn_reason(purchase(), D("5.00")) == "Cashback 5% on purchase R-9"
    two = purchase(
        {"part": "boost", "campaign": 1, "name": "Shoes ×2", "points": 30},
        {"part": "boost", "campaign": 2, "name": "Friday", "points": 10},
        {"part": "boost", "campaign": 3, "name": "Spent", "points": 0},  # cut to nothing by its budget
    )
    assert earn_reason(two, D("5")) == "Cashback 5% + boosts “Shoes ×2”, “Friday” on purchase R-9"
    with translation.override("ru"):
        assert earn_reason(two, D("5")) == "Кешбэк 5% + ускорения «Shoes ×2», «Friday» за покупку R-9"


def test_five_boosts_with_the_longest_names_still_record_the_purchase(customer, t0):
    """Campaign names may have 120 characters; five of them do not fit the ledger's 300-character reason:
    the purchase is recorded all the same, its reason naming the boosts that fit and how many more."""
    ProgramSettings.objects.filter(pk=1).update(boost_combine="sum", boost_cap_percent=D("50"))
    for n in range(5):
        _boost(name=f"{n}" + "ж" * 119, boost_multiplier=None, boost_extra_percent=D("1"))
    result = buy(customer, "1000.00", now=t0, external_id="R-77")
    assert result.purchase.earned_points == 50 + 5 * 10
    reason = LedgerEntry.objects.get(purchase=result.purchase, kind=LedgerEntry.Kind.EARN).reason
    assert len(reason) <= 300
    two = "“0" + "ж" * 119 + "”, “1" + "ж" * 119 + "”"
    assert reason == f"Cashback 5% + boosts {two} and 3 more on purchase R-77"
    with translation.override("ru"):
        from loyalty.reasons import earn_reason

        russian = earn_reason(result.purchase, D("5"))
    assert russian == "Кешбэк 5% + ускорения «0" + "ж" * 119 + "», «1" + "ж" * 119 + "» и ещё 3 за покупку R-77"
    assert len(russian) <= 300


def test_boost_results_count_a_later_purchase_and_points_net_of_refunds(customer, customer_factory, t0):
    """Hand-worked: ×2 on 5 % cashback gives 50 points per 1 000.00. Customer A buys once and refunds it
    all: the boost's 50 points are all reversed (net 0) and A made no purchase after the boosted one, so
    A did not "buy". B buys, refunds 300.00 of it (the refund reverses floor(50 × 300 / 1000) = 15 of the
    boost's points: net 35), and buys again the next day (boosted too: 50 more): B bought.
    C buys once (boosted, 50 points) and never again: C did not "buy" either.
    Treated: 3 customers, 4 grant rows, 0 + 35 + 50 + 50 = 135 points, 1 buyer (not 3), revenue
    1 000.00 (B's second check; a boosted purchase is never its own response)."""
    from campaigns.results import campaign_results

    campaign = _boost()
    other = customer_factory()
    first = buy(customer, "1000.00", now=t0).purchase
    refund(first, now=t0 + dt.timedelta(hours=1))
    second = buy(other, "1000.00", now=t0).purchase
    refund(second, "300.00", now=t0 + dt.timedelta(hours=1))
    buy(other, "1000.00", now=t0 + dt.timedelta(days=1))
    buy(customer_factory(), "1000.00", now=t0)  # C: the boosted purchase only, kept
    assert BoostGrant.objects.filter(campaign=campaign).count() == 4
    treated = campaign_results(campaign).treated
    assert (treated.customers, treated.grants, treated.points_granted, treated.buyers) == (3, 4, 135, 1)
    # the revenue is B's second check alone: a boosted purchase is never its own response
    assert treated.revenue == D("1000.00")


def test_a_boost_with_its_budget_spent_leaves_the_line_to_the_next_best(customer, t0):
    """Issue #15 finding: under "best", ×3 (100 more on 1 000.00 at 5 %) with a budget of 100 points, and
    ×2 (50 more) without one. The first purchase takes ×3's whole budget: 50 + 100 = 150. The second must
    get ×2's 50 (50 + 50 = 100), not nothing because the spent ×3 still "took the line"."""
    assert ProgramSettings.objects.get().boost_combine == "best"
    triple = _boost(name="Triple", boost_multiplier=D("3"), budget_points=100)
    double = _boost(name="Double", boost_multiplier=D("2"))
    first = buy(customer, "1000.00", now=t0).purchase
    assert first.earned_points == 150
    second = buy(customer, "1000.00", now=t0).purchase
    assert second.earned_points == 100
    assert second.earned_breakdown == [
        {"part": "base", "points": 50},
        {"part": "boost", "campaign": double.pk, "name": "Double", "points": 50},
    ]
    assert Campaign.objects.get(pk=triple.pk).points_granted == 100
    assert_ledger_consistent(customer)


def test_a_nearly_spent_budget_loses_the_line_to_a_boost_that_pays_more(customer, t0):
    """Tester2 #5, "best": ×3 (100 more on 1 000.00 at 5 %) with a budget of 110 and ×2 (50 more) without
    one. The first purchase: ×3 pays 100 (10 left). The second: ×3 could pay only 10, ×2 pays 50 → ×2,
    50 + 50 = 100 (it was 50 + 10 = 60), in the quote and the purchase alike; ×3 keeps its 10."""
    triple = _boost(name="Triple", boost_multiplier=D("3"), budget_points=110)
    double = _boost(name="Double", boost_multiplier=D("2"))
    assert buy(customer, "1000.00", now=t0).purchase.earned_points == 150
    quote = purchase_quote(customer_id=customer.pk, amount=D("1000.00"), now=t0)
    second = buy(customer, "1000.00", now=t0).purchase
    assert quote.earn_points == second.earned_points == 100
    assert second.earned_breakdown == [
        {"part": "base", "points": 50},
        {"part": "boost", "campaign": double.pk, "name": "Double", "points": 50},
    ]
    assert Campaign.objects.get(pk=triple.pk).points_granted == 100
    assert_ledger_consistent(customer)


def test_sum_a_nearly_spent_boost_takes_no_cap_room_it_cannot_pay(customer, t0):
    """Tester2 #5, "sum" to 15 % (150 on 1 000.00): +10 % with 5 points of budget left and ×3 (+10 %).
    +10 % pays its 5, ×3 its whole 100 (105 fits the cap): 50 + 105 = 155 (it was 50 + 75 + 5 = 130)."""
    ProgramSettings.objects.filter(pk=1).update(boost_combine="sum", boost_cap_percent=D("15"))
    plus = _boost(name="+10 %", boost_multiplier=None, boost_extra_percent=D("10"), budget_points=5)
    triple = _boost(name="×3", boost_multiplier=D("3"))
    purchase = buy(customer, "1000.00", now=t0).purchase
    assert purchase.earned_points == 155
    assert purchase.earned_breakdown[1:] == [
        {"part": "boost", "campaign": plus.pk, "name": "+10 %", "points": 5},
        {"part": "boost", "campaign": triple.pk, "name": "×3", "points": 100},
    ]


def test_a_refund_gives_the_boost_points_back_to_the_budget(customer, t0):
    """×5 at 5 % adds 4 × 5 % = 20 % of 1 000.00 = 200 points; budget 1 000 → 800 left. Refunding 300.00
    reverses floor(200 × 300 / 1000) = 60 → 860 left; 350.00 more: floor(200 × 650 / 1000) = 130 in all,
    70 more → 930 left; the rest (350.00) reverses the last 70 → the whole budget, 1 000, again."""
    campaign = _boost(boost_multiplier=D("5"), budget_points=1000)
    purchase = buy(customer, "1000.00", now=t0).purchase
    assert purchase.earned_points == 250

    def left():
        fresh = Campaign.objects.get(pk=campaign.pk)
        return fresh.budget_points - fresh.points_granted

    assert left() == 800
    refund(purchase, "300.00", now=t0)
    assert left() == 860
    refund(Purchase.objects.get(pk=purchase.pk), "350.00", now=t0)
    assert left() == 930
    refund(Purchase.objects.get(pk=purchase.pk), now=t0)
    assert left() == 1000
    assert_ledger_consistent(customer)


def test_a_full_refund_returns_the_whole_boost_to_the_budget(customer, t0):
    campaign = _boost(boost_multiplier=D("5"), budget_points=1000)
    purchase = buy(customer, "1000.00", now=t0).purchase
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 200
    refund(purchase, now=t0)
    assert Campaign.objects.get(pk=campaign.pk).points_granted == 0


def test_without_the_purchase_s_tier_a_tiers_target_is_checked_in_the_database(customer, t0):
    """boosts_for_purchase asked without `tier_id` (not loyalty's purchase path) reads the tier itself."""
    from campaigns.boosts import boosts_for_purchase

    campaign = _boost(name="Bronze boost", target=Campaign.Target.TIERS)
    campaign.target_tiers.set([Tier.objects.get(code="bronze")])
    assert [boost.campaign_id for boost in boosts_for_purchase(customer.pk, [], t0)] == [campaign.pk]
    campaign.target_tiers.set([Tier.objects.get(code="silver")])
    assert boosts_for_purchase(customer.pk, [], t0) == []
    assert boosts_for_purchase(customer.pk, [], t0, tier_id=Tier.objects.get(code="silver").pk) != []
