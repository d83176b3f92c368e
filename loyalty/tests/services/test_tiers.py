"""Tiers (loyalty.services.tiers): the shipped tiers, upgrades on purchase, downgrades after the grace period,
the rolling window, progress, editing and its preview."""

import datetime as dt
from decimal import Decimal as D

import pytest

from loyalty import services
from loyalty.exceptions import InvalidInput
from loyalty.models import Tier, TierChange, TierStatus
from loyalty.rules import TierRule
from loyalty.selectors import (
    GraceHold,
    customer_terms,
    tier_distribution,
    tier_preview,
    tier_preview_detail,
    tier_progress,
)
from loyalty.tests.helpers import buy
from loyalty.tests.helpers import run_daily as review

pytestmark = pytest.mark.django_db


def tier_of(customer) -> str | None:
    status = TierStatus.objects.filter(pk=customer.pk).select_related("tier").first()
    return status.tier.code if status and status.tier else None


def test_default_tiers_are_shipped(program):
    rows = list(Tier.objects.values_list("code", "threshold", "cashback_percent", "redeem_cap_percent"))
    assert rows == [
        ("bronze", D("0.00"), D("5.00"), D("30.00")),
        ("silver", D("15000.00"), D("7.00"), D("30.00")),
        ("gold", D("50000.00"), D("10.00"), D("30.00")),
    ]


def test_upgrade_on_the_crossing_purchase_and_new_cashback_from_the_next(customer, t0):
    first = buy(customer, "10000.00", now=t0)
    assert first.purchase.earned_points == 500  # Bronze 5 %
    assert tier_of(customer) == "bronze"
    crossing = buy(customer, "6000.00", now=t0 + dt.timedelta(days=1))
    assert crossing.purchase.earned_points == 300  # still Bronze's 5 % on the crossing purchase
    assert tier_of(customer) == "silver"
    change = TierChange.objects.filter(customer=customer).order_by("-id").first()
    assert (change.reason, change.from_tier.code, change.to_tier.code, change.purchase) == (
        "upgrade_purchase",
        "bronze",
        "silver",
        crossing.purchase,
    )
    assert change.spend == D("16000.00")
    after = buy(customer, "1000.00", now=t0 + dt.timedelta(days=2))
    assert after.purchase.earned_points == 70  # Silver 7 %


def test_points_paid_part_does_not_qualify(customer, t0, customer_factory):
    services.points_award(customer_id=customer.pk, points=5000, reason="gift", now=t0)
    buy(customer, "14000.00", now=t0, redeem=0)
    buy(customer, "2000.00", now=t0, redeem=600)  # 1 400 paid in money → 15 400 ≥ 15 000
    assert tier_of(customer) == "silver"
    fifth = customer_factory(name="Dina")
    services.points_award(customer_id=fifth.pk, points=5000, reason="gift", now=t0)
    buy(fifth, "14500.00", now=t0)
    buy(fifth, "700.00", now=t0, redeem=210)  # 14 500 + 490 in money = 14 990 < 15 000, though 15 200 rung up
    assert tier_of(fifth) == "bronze"


def test_no_tiers_means_program_terms(customer, program):
    Tier.objects.all().delete()
    tier, cashback, cap = customer_terms(customer.pk)
    assert (tier, cashback, cap) == (None, D("5.00"), D("30.00"))


def test_tier_cap_limits_redemption(customer, t0):
    Tier.objects.filter(code="bronze").update(redeem_cap_percent=D("10"))
    services.points_award(customer_id=customer.pk, points=1000, reason="gift", now=t0)
    from loyalty.exceptions import RedeemTooMuch

    with pytest.raises(RedeemTooMuch) as exc:
        buy(customer, "1000.00", now=t0, redeem=101)
    assert exc.value.max_redeem_points == 100


class TestDowngrade:
    def test_refund_below_threshold_then_downgrade_only_after_grace(self, customer, program, t0):
        program.tier_grace_days = 30
        program.save()
        big = buy(customer, "16000.00", now=t0).purchase
        assert tier_of(customer) == "silver"
        services.purchase_refund(purchase_id=big.pk, amount="2000.00", now=t0 + dt.timedelta(hours=1))
        assert tier_of(customer) == "silver"  # a refund never downgrades on the spot
        day1 = t0.date() + dt.timedelta(days=1)
        review(day1)
        status = TierStatus.objects.get(pk=customer.pk)
        assert (status.tier.code, status.below_since) == ("silver", day1)
        review(day1 + dt.timedelta(days=29))
        assert tier_of(customer) == "silver"
        result = review(day1 + dt.timedelta(days=30))
        assert result["tiers_downgraded"] == 1
        assert tier_of(customer) == "bronze"
        change = TierChange.objects.filter(customer=customer, reason="downgrade_review").get()
        assert change.spend == D("14000.00")

    def test_back_above_threshold_cancels_the_pending_downgrade(self, customer, program, t0):
        big = buy(customer, "16000.00", now=t0).purchase
        services.purchase_refund(purchase_id=big.pk, amount="2000.00", now=t0)
        day1 = t0.date() + dt.timedelta(days=1)
        review(day1)
        buy(customer, "1500.00", now=t0 + dt.timedelta(days=5))
        review(day1 + dt.timedelta(days=6))
        assert TierStatus.objects.get(pk=customer.pk).below_since is None
        review(day1 + dt.timedelta(days=60))
        assert tier_of(customer) == "silver"

    def test_never_more_than_one_tier_per_review(self, customer, program, t0):
        program.tier_grace_days = 10
        program.save()
        gold = buy(customer, "60000.00", now=t0).purchase
        assert tier_of(customer) == "gold"
        services.purchase_refund(purchase_id=gold.pk, now=t0)  # spend drops to 0
        day = t0.date() + dt.timedelta(days=1)
        review(day)
        review(day + dt.timedelta(days=10))
        assert tier_of(customer) == "silver"
        # Still below: the grace period starts again for the next step down.
        assert TierStatus.objects.get(pk=customer.pk).below_since == day + dt.timedelta(days=10)
        review(day + dt.timedelta(days=19))
        assert tier_of(customer) == "silver"
        review(day + dt.timedelta(days=20))
        assert tier_of(customer) == "bronze"

    def test_zero_grace_still_needs_a_later_review(self, customer, program, t0):
        program.tier_grace_days = 0
        program.save()
        gold = buy(customer, "60000.00", now=t0).purchase
        services.purchase_refund(purchase_id=gold.pk, now=t0)
        day = t0.date() + dt.timedelta(days=1)
        review(day)
        review(day)  # the same date again changes nothing
        assert tier_of(customer) == "gold"
        review(day + dt.timedelta(days=1))
        assert tier_of(customer) == "silver"


class TestWindow:
    def test_rolling_window_edges(self, customer, program, t0):
        program.tier_window_days = 365
        program.save()
        buy(customer, "16000.00", now=t0)
        assert tier_of(customer) == "silver"
        # The review as of D counts purchases in [midnight(D) − 365 days, midnight(D)).
        last_day_in = t0.date() + dt.timedelta(days=365)  # midnight(D) − 365 d = 2026-03-01 00:00 ≤ t0
        review(last_day_in)
        assert TierStatus.objects.get(pk=customer.pk).below_since is None
        first_day_out = last_day_in + dt.timedelta(days=1)
        review(first_day_out)
        assert TierStatus.objects.get(pk=customer.pk).below_since == first_day_out

    def test_purchase_exactly_at_the_window_start_counts_for_an_immediate_upgrade(
        self, customer, program, t0, customer_factory
    ):
        buy(customer, "10000.00", now=t0)
        at_edge = t0 + dt.timedelta(days=365)
        buy(customer, "5000.00", now=at_edge)  # the first purchase is exactly 365 days old: still in
        assert tier_of(customer) == "silver"
        other = customer_factory(name="Late")
        buy(other, "10000.00", now=t0)
        buy(other, "5000.00", now=at_edge + dt.timedelta(seconds=1))  # one second later: out
        assert tier_of(other) == "bronze"

    def test_lifetime_window(self, customer, program, t0):
        program.tier_window_days = None
        program.save()
        buy(customer, "10000.00", now=t0)
        buy(customer, "5000.00", now=t0 + dt.timedelta(days=3000))
        assert tier_of(customer) == "silver"

    def test_purchase_count_threshold(self, customer, t0):
        Tier.objects.filter(code="silver").update(min_purchases=3)
        buy(customer, "20000.00", now=t0)
        assert tier_of(customer) == "bronze"
        buy(customer, "10.00", now=t0)
        progress = tier_progress(customer.pk, now=t0)
        assert (progress.next_tier.code, progress.spend_needed, progress.purchases_needed) == ("silver", 0, 1)
        buy(customer, "10.00", now=t0)
        assert tier_of(customer) == "silver"


def test_daily_review_is_idempotent_and_assigns_everyone(program, t0, customer_factory):
    customers = [customer_factory(name=f"C{i}") for i in range(4)]
    buy(customers[0], "20000.00", now=t0)
    buy(customers[1], "60000.00", now=t0)
    day = t0.date() + dt.timedelta(days=1)
    first = review(day)
    assert first["tiers_joined"] == 2  # the two who never bought get a status now
    snapshot = list(TierStatus.objects.order_by("pk").values_list("pk", "tier__code", "below_since", "changed_at"))
    history = TierChange.objects.count()
    second = review(day)
    assert (second["tiers_joined"], second["tiers_upgraded"], second["tiers_downgraded"]) == (0, 0, 0)
    assert (
        list(TierStatus.objects.order_by("pk").values_list("pk", "tier__code", "below_since", "changed_at")) == snapshot
    )
    assert TierChange.objects.count() == history
    assert [tier_of(c) for c in customers] == ["silver", "gold", "bronze", "bronze"]
    assert [(t.code if t else None, n) for t, n in tier_distribution()] == [("bronze", 2), ("silver", 1), ("gold", 1)]


def test_review_upgrades_when_thresholds_are_lowered(customer, t0):
    buy(customer, "12000.00", now=t0)
    Tier.objects.filter(code="silver").update(threshold=D("10000"))
    result = review(t0.date() + dt.timedelta(days=1))
    assert result["tiers_upgraded"] == 1
    assert tier_of(customer) == "silver"
    assert TierChange.objects.filter(reason="upgrade_review").count() == 1


class TestProgress:
    def test_money_still_needed_and_percent(self, customer, t0):
        buy(customer, "13500.00", now=t0)
        progress = tier_progress(customer.pk, now=t0)
        assert (progress.tier.code, progress.next_tier.code) == ("bronze", "silver")
        assert progress.spend_needed == D("1500.00")
        assert progress.percent == 90

    def test_top_tier_has_no_next(self, customer, t0):
        buy(customer, "50000.00", now=t0)
        progress = tier_progress(customer.pk, now=t0)
        assert (progress.tier.code, progress.next_tier, progress.percent) == ("gold", None, 100)

    def test_from_silver_to_gold(self, customer, t0):
        buy(customer, "32500.00", now=t0)
        progress = tier_progress(customer.pk, now=t0)
        assert (progress.spend_needed, progress.percent) == (D("17500.00"), 50)


class TestEditing:
    def current(self):
        return [{f: getattr(t, f) for f in services.TIER_FIELDS} | {"id": t.pk} for t in Tier.objects.order_by("order")]

    def test_thresholds_must_increase_with_order(self, program, marketing_user):
        tiers = self.current()
        tiers[2]["threshold"] = D("15000.00")
        with pytest.raises(InvalidInput, match="Thresholds must increase"):
            services.tiers_save(tiers=tiers, actor=marketing_user)
        assert Tier.objects.get(code="gold").threshold == D("50000.00")

    @pytest.mark.parametrize(("field", "value"), [("cashback_percent", D("101")), ("redeem_cap_percent", D("-1"))])
    def test_percentages_between_0_and_100(self, program, marketing_user, field, value):
        tiers = self.current()
        tiers[0][field] = value
        with pytest.raises(InvalidInput, match="between 0 and 100"):
            services.tiers_save(tiers=tiers, actor=marketing_user)

    def test_small_cashback_step_warns(self, program):
        tiers = self.current()
        tiers[1]["cashback_percent"] = D("6.5")
        warnings = services.tiers_warnings(tiers)
        assert len(warnings) == 1 and "Bronze → Silver" in warnings[0] and "1.5" in warnings[0]
        assert services.tiers_warnings(self.current()) == []

    def test_reorder_rename_create_delete_and_audit(self, program, marketing_user):
        from core.models import AuditEntry

        tiers = self.current()
        tiers[1]["name"] = "Silver+"
        tiers.append(
            {
                "name": "VIP",
                "code": "vip",
                "order": 4,
                "colour": "#000000",
                "threshold": D("150000"),
                "min_purchases": None,
                "cashback_percent": D("15"),
                "redeem_cap_percent": D("50"),
                "perks": ["Personal manager"],
            }
        )
        saved = services.tiers_save(tiers=tiers, actor=marketing_user)
        assert [t.code for t in saved] == ["bronze", "silver", "gold", "vip"]
        assert AuditEntry.objects.get(action="tiers.update").changes["Silver"] == {"name": ["Silver", "Silver+"]}

    def test_a_held_tier_cannot_be_deleted(self, customer, marketing_user, t0):
        buy(customer, "100.00", now=t0)  # holds Bronze now
        tiers = [t for t in self.current() if t["code"] != "bronze"]
        with pytest.raises(InvalidInput, match="Bronze cannot be deleted"):
            services.tiers_save(tiers=tiers, actor=marketing_user)
        assert Tier.objects.count() == 3

    def test_preview_counts_equal_counts_after_saving_and_running_the_job(
        self, program, marketing_user, t0, customer_factory
    ):
        spends = ["100.00", "9000.00", "12000.00", "16000.00", "40000.00", "55000.00", "80000.00"]
        for i, amount in enumerate(spends):
            c = customer_factory(name=f"P{i}")
            buy(c, amount, now=t0)
        day = t0.date() + dt.timedelta(days=1)
        review(day)
        edited = self.current()
        edited[1]["threshold"] = D("10000.00")  # Silver easier
        edited[2]["threshold"] = D("60000.00")  # Gold harder (its holders get a grace period)
        edited.append(dict(edited[2], id=None, code="vip", name="VIP", order=4, threshold=D("75000.00")))
        rules_ = [
            TierRule(key=t["id"] or -1, order=t["order"], threshold=t["threshold"], min_purchases=t["min_purchases"])
            for t in edited
        ]
        next_day = day + dt.timedelta(days=1)
        preview = tier_preview(tiers=rules_, as_of=next_day)
        gold = edited[2]["id"]
        # The 55 000 customer is below Gold's new 60 000 and keeps Gold through the 30-day grace period.
        assert tier_preview_detail(tiers=rules_, as_of=next_day)[1] == {
            gold: GraceHold(count=1, ends_on=next_day + dt.timedelta(days=30))
        }
        saved = services.tiers_save(tiers=edited, actor=marketing_user)
        review(next_day)
        actual = {t.code: TierStatus.objects.filter(tier=t).count() for t in saved}
        predicted = {t.code: preview[t.pk if t.code != "vip" else -1] for t in saved}
        assert predicted == actual
        # 12 000 rises to Silver, 80 000 to VIP; 55 000 stays Gold within its grace period.
        assert actual == {"bronze": 2, "silver": 3, "gold": 1, "vip": 1}
