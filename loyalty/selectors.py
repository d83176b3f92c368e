"""Reads for the loyalty program."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer

from . import rules
from .models import LedgerEntry, PointsAccount, PointsLot, ProgramSettings, Purchase


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
    cashback, cap = program.base_cashback_percent, program.redeem_cap_percent
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
        revenue_this_month=month["revenue"] or Decimal("0.00"),
    )
