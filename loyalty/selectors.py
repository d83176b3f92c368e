"""Reads for the loyalty program."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer

from . import rules
from .models import LedgerEntry, PointsAccount, PointsLot, ProgramSettings, Purchase, Refund, Tier, TierStatus


def program_settings_get() -> ProgramSettings:
    settings_row, _created = ProgramSettings.objects.get_or_create(pk=1)
    return settings_row


def _open_lots(customer_id: int, now: dt.datetime) -> QuerySet[PointsLot]:
    return PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


@dataclass(frozen=True)
class PointsSummary:
    balance: int  # every point on the account (the cached balance)
    available: int  # spendable now
    pending: int  # earned, not yet spendable (activation delay)


def points_summary(customer_id: int, *, now: dt.datetime | None = None) -> PointsSummary:
    now = now or timezone.now()
    balance = PointsAccount.objects.filter(pk=customer_id).values_list("balance", flat=True).first() or 0
    sums = _open_lots(customer_id, now).aggregate(
        available=Sum("remaining", filter=Q(available_at__lte=now)),
        pending=Sum("remaining", filter=Q(available_at__gt=now)),
    )
    return PointsSummary(balance=balance, available=sums["available"] or 0, pending=sums["pending"] or 0)


def points_available(customer_id: int, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return _open_lots(customer_id, now).filter(available_at__lte=now).aggregate(s=Sum("remaining"))["s"] or 0


@dataclass(frozen=True)
class PurchaseQuote:
    max_redeem_points: int
    earn_points: int  # if nothing is redeemed
    cashback_percent: Decimal
    redeem_cap_percent: Decimal


def purchase_quote(*, customer_id: int, amount: Decimal, now: dt.datetime | None = None) -> PurchaseQuote:
    program = program_settings_get()
    available = points_available(customer_id, now=now)
    _tier, cashback, cap = customer_terms(customer_id)
    return PurchaseQuote(
        max_redeem_points=rules.max_redeemable(
            amount=amount, available_points=available, cap_percent=cap, point_value=program.point_value
        ),
        earn_points=rules.earn_points(paid=amount, cashback_percent=cashback, point_value=program.point_value),
        cashback_percent=cashback,
        redeem_cap_percent=cap,
    )


def ledger_for_customer(customer_id: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(customer_id=customer_id).select_related("actor", "purchase")


def lots_for_customer(customer_id: int) -> QuerySet[PointsLot]:
    return PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0).order_by("expires_at", "id")


def purchases_for_customer(customer_id: int) -> QuerySet[Purchase]:
    return Purchase.objects.filter(customer_id=customer_id).prefetch_related("refunds")


def balance_mismatches(*, limit: int = 100) -> list[tuple[int, int, int]]:
    """Accounts whose cached balance differs from the sum of their entries: (customer id, cached, Σ entries).

    Empty when the ledger is healthy; the daily job reports it. One query, no per-row Python.
    """
    entry_sum = (
        LedgerEntry.objects.filter(customer_id=OuterRef("pk"))
        .values("customer_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return list(
        PointsAccount.objects.annotate(expected=Coalesce(Subquery(entry_sum), 0))
        .exclude(balance=F("expected"))
        .values_list("customer_id", "balance", "expected")[:limit]
    )


@dataclass(frozen=True)
class ProgramOverview:
    members: int
    points_outstanding: int
    points_outstanding_value: Decimal
    purchases_this_month: int
    revenue_this_month: Decimal


def program_overview(*, now: dt.datetime | None = None) -> ProgramOverview:
    now = timezone.localtime(now or timezone.now())
    month_start = rules.local_midnight(now.date().replace(day=1))
    program = program_settings_get()
    outstanding = PointsAccount.objects.aggregate(s=Sum("balance"))["s"] or 0
    month = Purchase.objects.filter(created_at__gte=month_start, created_at__lte=now).aggregate(
        n=Count("id"), revenue=Sum("amount")
    )
    return ProgramOverview(
        members=Customer.objects.count(),
        points_outstanding=outstanding,
        points_outstanding_value=rules.points_to_money(outstanding, program.point_value),
        purchases_this_month=month["n"],
        # SQLite sums decimals as floats: round to kopecks so the figure is what PostgreSQL would say.
        revenue_this_month=(month["revenue"] or Decimal("0")).quantize(rules.CENT),
    )


# --- tiers -----------------------------------------------------------------------------------------


def tiers_list() -> list[Tier]:
    return list(Tier.objects.order_by("order"))


def tier_rules(tiers: list[Tier]) -> list[rules.TierRule]:
    return [
        rules.TierRule(key=t.pk, order=t.order, threshold=t.threshold, min_purchases=t.min_purchases) for t in tiers
    ]


def tier_current(customer_id: int, *, tiers: list[Tier] | None = None) -> Tier | None:
    """The customer's tier; one who has no status yet holds the entry tier (threshold met with no spend)."""
    status = TierStatus.objects.filter(pk=customer_id).select_related("tier").first()
    if status is not None:
        return status.tier
    tiers = tiers_list() if tiers is None else tiers
    entry = rules.tier_for(tier_rules(tiers), spend=Decimal("0"), purchases=0)
    return next((t for t in tiers if entry and t.pk == entry.key), None)


def customer_terms(
    customer_id: int, *, program: ProgramSettings | None = None, tiers: list[Tier] | None = None
) -> tuple[Tier | None, Decimal, Decimal]:
    """(tier, cashback %, redemption cap %) that apply to the customer's next purchase."""
    program = program or program_settings_get()
    tier = tier_current(customer_id, tiers=tiers)
    if tier is None:
        return None, program.base_cashback_percent, program.redeem_cap_percent
    return tier, tier.cashback_percent, tier.redeem_cap_percent


def qualifying_spend(
    customer_id: int, *, now: dt.datetime | None = None, program: ProgramSettings | None = None
) -> tuple[Decimal, int]:
    """(money spent, purchases) that count towards tiers over the window ending now."""
    now = now or timezone.now()
    program = program or program_settings_get()
    start = rules.tier_window_start(moment=now, window_days=program.tier_window_days)
    window = Q(customer_id=customer_id, created_at__lte=now)
    if start is not None:
        window &= Q(created_at__gte=start)
    totals = Purchase.objects.filter(window).aggregate(
        spend=Sum("qualifying_amount"), n=Count("id", filter=Q(qualifying_amount__gt=0))
    )
    return totals["spend"] or Decimal("0.00"), totals["n"]


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    spend: Decimal
    purchases: int
    spend_needed: Decimal  # money still to spend for the next tier (0 when only purchases are missing)
    purchases_needed: int
    percent: int  # of the way from the current tier's threshold to the next one


def tier_progress(customer_id: int, *, now: dt.datetime | None = None) -> TierProgress:
    tiers = tiers_list()
    tier = tier_current(customer_id, tiers=tiers)
    spend, purchases = qualifying_spend(customer_id, now=now)
    higher = [t for t in tiers if tier is None or t.order > tier.order]
    next_tier = higher[0] if higher else None
    if next_tier is None:
        return TierProgress(tier, None, spend, purchases, Decimal("0.00"), 0, 100)
    base = tier.threshold if tier else Decimal("0")
    return TierProgress(
        tier=tier,
        next_tier=next_tier,
        spend=spend,
        purchases=purchases,
        spend_needed=max(Decimal("0.00"), next_tier.threshold - spend),
        purchases_needed=max(0, (next_tier.min_purchases or 0) - purchases),
        percent=rules.tier_progress_percent(spend=spend, current_threshold=base, next_threshold=next_tier.threshold),
    )


def tier_distribution() -> list[tuple[Tier | None, int]]:
    """How many customers hold each tier (customers never reviewed count in the entry tier)."""
    tiers = tiers_list()
    counts = dict(TierStatus.objects.values("tier_id").annotate(n=Count("pk")).values_list("tier_id", "n"))
    unreviewed = Customer.objects.filter(tier_status__isnull=True).count()
    entry = tier_current(-1, tiers=tiers)  # the tier of a customer with no status
    rows = []
    for tier in tiers:
        rows.append((tier, counts.get(tier.pk, 0) + (unreviewed if entry and entry.pk == tier.pk else 0)))
    none_count = counts.get(None, 0) + (0 if entry else unreviewed)
    if none_count:
        rows.insert(0, (None, none_count))
    return rows


def tier_preview(
    *, tiers: list[rules.TierRule], as_of: dt.date | None = None, window_days: Any = "program", grace_days: Any = None
) -> dict[Any, int]:
    """How many customers would hold each tier (by `key`, None = no tier) after saving `tiers` and
    running the daily review as of `as_of` (default today). The same SQL as the review itself."""
    from .tier_sql import tier_decisions_sql

    program = program_settings_get()
    as_of = as_of or timezone.localdate()
    counts: dict[Any, int] = {t.key: 0 for t in tiers}
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return counts
    if not tiers:
        counts[None] = Customer.objects.count()
        return counts
    sql, params = tier_decisions_sql(
        tiers=tiers,
        as_of=as_of,
        window_days=program.tier_window_days if window_days == "program" else window_days,
        grace_days=program.tier_grace_days if grace_days is None else grace_days,
        lo=bounds["lo"],
        hi=bounds["hi"],
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT new_id, COUNT(*) FROM ({sql}) decisions GROUP BY new_id", params)  # noqa: S608
        for key, n in cursor.fetchall():
            counts[key] = n
    return counts


# --- the till --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burn:
    expires_at: dt.datetime
    points: int


def points_burning(customer_id: int, *, now: dt.datetime | None = None, limit: int = 3) -> list[Burn]:
    """The next dates on which points burn, with how many ("300 points burn on 12 Dec")."""
    now = now or timezone.now()
    rows = (
        PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0, expires_at__gt=now)
        .values("expires_at")
        .annotate(points=Sum("remaining"))
        .order_by("expires_at")[:limit]
    )
    return [Burn(expires_at=row["expires_at"], points=row["points"]) for row in rows]


def bonus_lots(customer_id: int, *, now: dt.datetime | None = None) -> QuerySet[PointsLot]:
    """Campaign and other bonus points still held, with their own deadlines."""
    now = now or timezone.now()
    return (
        PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0, entry__kind=LedgerEntry.Kind.BONUS)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("entry")
        .order_by(F("expires_at").asc(nulls_last=True))
    )


def balance_after_entry(customer_id: int, entry_id: int) -> int:
    """The customer's balance right after a given ledger entry (entries are append-only, ids increase)."""
    return LedgerEntry.objects.filter(customer_id=customer_id, id__lte=entry_id).aggregate(s=Sum("points"))["s"] or 0


def balance_after_purchase(purchase: Purchase) -> int:
    """The balance right after a purchase was recorded (not counting what happened since)."""
    last = (
        LedgerEntry.objects.filter(purchase=purchase, refund__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if last is None:  # moved no points: the balance as of the last entry before it
        last = (
            LedgerEntry.objects.filter(customer_id=purchase.customer_id, created_at__lte=purchase.created_at)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
    return balance_after_entry(purchase.customer_id, last) if last else 0


def balance_after_refund(refund: Refund) -> int:
    last = LedgerEntry.objects.filter(refund=refund).order_by("-id").values_list("id", flat=True).first()
    if last is None:
        last = (
            LedgerEntry.objects.filter(customer_id=refund.purchase.customer_id, created_at__lte=refund.created_at)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
    return balance_after_entry(refund.purchase.customer_id, last) if last else 0


def purchase_find(receipt: str) -> list[Purchase]:
    """Purchases by receipt / external number, or by our own number (`#123` or `123`)."""
    text = (receipt or "").strip()
    if not text:
        return []
    found = list(Purchase.objects.filter(external_id=text).select_related("customer").order_by("-created_at")[:10])
    number = text.lstrip("#")
    if not found and number.isdigit() and len(number) < 18:
        found = list(Purchase.objects.filter(pk=int(number)).select_related("customer"))
    return found


def purchase_get(purchase_id: int) -> Purchase | None:
    return (
        Purchase.objects.filter(pk=purchase_id)
        .select_related("customer", "created_by")
        .prefetch_related("refunds")
        .first()
    )


# --- the console's customer list -------------------------------------------------------------------


def customers_with_program_data() -> QuerySet[Customer]:
    """Customers with their balance and tier, for lists, filters and exports."""
    return Customer.objects.select_related("tier_status__tier").annotate(
        balance=Coalesce(F("points_account__balance"), 0)
    )
