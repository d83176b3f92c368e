"""The bounds of every number a campaign stores, in one place: the console's forms take their min and max
from here, the services refuse a value outside them (campaigns.services.changes.fields), and the runs skip a
stored row outside them instead of failing on it.

Each bound is what the column can hold narrowed by what date arithmetic and the shop can use: points of
one grant within an `integer` column (INT_MAX, below loyalty.rules.MAX_POINTS), days of a validity or
period like the program's point lifetime (loyalty.models.MAX_DAYS, 36 500 = 100 years: a date further out
overflows Python's dates), a birthday grant at most a month ahead, an absence step at most ten years.

A row saved before a bound existed (or written around the services) may still hold a value outside it.
Such a campaign is left out of every run — `campaigns_within_bounds` is part of `campaigns_running` and of
the boosts' load — and its page says which value is wrong (`campaign_bounds_problems`), so a date
overflow never fails a page, a purchase or the daily run of the other campaigns.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from core.formatting import points_format
from loyalty.models import MAX_DAYS
from loyalty.rules import MAX_POINTS

from .models import Campaign, CampaignVariant

# The largest value of an `integer` column (PositiveIntegerField on PostgreSQL).
INT_MAX = 2**31 - 1
# The most points one grant may give (a campaign's points, a variant's, an action's grant): settings
# CAMPAIGN_POINTS_MAX, 10 000 by default. A typo of a few zeros would otherwise hand out a fortune to every
# customer of the target; a row saved before the bound with more is left out of the runs (see above).
GRANT_POINTS_MAX = int(getattr(settings, "CAMPAIGN_POINTS_MAX", 10_000))
# The most days before the birthday a grant may come: a month ahead (docs/campaigns.md). Further ahead the
# gift stops reading as a birthday gift, and the occasion's year ("birthday:2027") would be a year off.
DAYS_BEFORE_MAX = 31
# A win-back's absence step: at most ten years of absence.
ABSENCE_DAYS_MAX = 3650
# The results' "bought within N days" window.
RESPONSE_DAYS_MAX = 365
# Every integer a campaign stores, with its bounds (inclusive; a field that may be empty may also be None):
# see the module's docstring. A per-customer limit is at least 1 (empty = no limit).
INTEGER_BOUNDS: dict[str, tuple[int, int]] = {
    "points": (0, min(INT_MAX, MAX_POINTS, GRANT_POINTS_MAX)),
    "points_valid_days": (1, MAX_DAYS),
    "budget_points": (0, MAX_POINTS),
    "per_customer_limit": (1, INT_MAX),
    "days_before": (0, DAYS_BEFORE_MAX),
    "boost_hour_from": (0, 23),
    "boost_hour_to": (1, 24),
    "action_limit": (1, INT_MAX),
    "action_period_days": (1, MAX_DAYS),
    "response_days": (1, RESPONSE_DAYS_MAX),
}
# Every decimal a campaign stores (percent and factors), with its bounds (inclusive).
DECIMAL_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "holdout_percent": (Decimal(0), Decimal(90)),
    "boost_multiplier": (Decimal(1), Decimal(100)),
    "boost_extra_percent": (Decimal(0), Decimal(100)),
}
VARIANT_POINTS_MAX = min(INT_MAX, MAX_POINTS, GRANT_POINTS_MAX)
VARIANT_WEIGHT_MAX = 1000


@dataclass(frozen=True)
class BoundsProblem:
    """A stored value outside its bounds: the field's name and a sentence for staff."""

    field: str
    message: str


def absence_steps_valid(steps: Any) -> bool:
    """Whether a win-back's `absence_days` are whole days 1 … ABSENCE_DAYS_MAX, strictly ascending."""
    if not isinstance(steps, list):
        return False
    if not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= ABSENCE_DAYS_MAX for s in steps):
        return False
    return steps == sorted(set(steps))


def value_within_bounds(name: str, value: Any) -> bool:
    """Whether `value` may be stored in the campaign's field `name` (a key of INTEGER_BOUNDS or
    DECIMAL_BOUNDS): None where the field may be empty; else an int (not a bool) for an integer field, a
    number Decimal() reads for a decimal one, within the field's bounds (inclusive)."""
    if value is None and Campaign._meta.get_field(name).null:
        return True
    if name in INTEGER_BOUNDS:
        low, high = INTEGER_BOUNDS[name]
        return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high
    low, high = DECIMAL_BOUNDS[name]
    try:
        return low <= Decimal(value) <= high
    except (InvalidOperation, TypeError, ValueError):
        return False


def _outside(label: str, value: Any, low: Any, high: Any, number=points_format) -> str:
    return _("“%(field)s” is %(value)s, outside %(low)s to %(high)s.") % {
        "field": label,
        "value": number(value) if isinstance(value, int | Decimal) else value,
        "low": number(low),
        "high": number(high),
    }


def campaign_bounds_problems(campaign: Campaign, variants: Iterable[CampaignVariant] = ()) -> list[BoundsProblem]:
    """The stored values of `campaign` (and of its `variants`, when given) outside their bounds, in the
    fields' order; empty when all hold. Reads no database (the caller passes the variants)."""
    problems = []
    for name, (low, high) in (*INTEGER_BOUNDS.items(), *DECIMAL_BOUNDS.items()):
        value = getattr(campaign, name)
        if not value_within_bounds(name, value):
            label = str(Campaign._meta.get_field(name).verbose_name).capitalize()
            number = points_format if name in INTEGER_BOUNDS else str
            problems.append(BoundsProblem(name, _outside(label, value, low, high, number=number)))
    if not absence_steps_valid(campaign.absence_days):
        problems.append(
            BoundsProblem(
                "absence_days",
                _("The absence steps (%(steps)s) are not whole days from 1 to %(max)s in ascending order.")
                % {"steps": campaign.absence_days, "max": points_format(ABSENCE_DAYS_MAX)},
            )
        )
    for variant in variants:
        if not 0 <= variant.points <= VARIANT_POINTS_MAX or not 1 <= variant.weight <= VARIANT_WEIGHT_MAX:
            problems.append(
                BoundsProblem(
                    "variants",
                    _(
                        "Variant %(code)s: points %(points)s (0 to %(points_max)s), weight %(weight)s (1 to %(weight_max)s)."
                    )
                    % {
                        "code": variant.code,
                        "points": points_format(variant.points),
                        "points_max": points_format(VARIANT_POINTS_MAX),
                        "weight": points_format(variant.weight),
                        "weight_max": points_format(VARIANT_WEIGHT_MAX),
                    },
                )
            )
    return problems


def campaigns_within_bounds() -> Q:
    """A filter on Campaign: its integers, decimals and variants within their bounds (SQL). The absence
    steps, a JSON list, are checked in Python (`absence_steps_valid`) by the win-back's caller."""
    condition = Q()
    for name, (low, high) in (*INTEGER_BOUNDS.items(), *DECIMAL_BOUNDS.items()):
        inside = Q(**{f"{name}__gte": low, f"{name}__lte": high})
        if Campaign._meta.get_field(name).null:
            inside |= Q(**{f"{name}__isnull": True})
        condition &= inside
    bad_variant = CampaignVariant.objects.filter(campaign=OuterRef("pk")).exclude(
        points__lte=VARIANT_POINTS_MAX, weight__gte=1, weight__lte=VARIANT_WEIGHT_MAX
    )
    return condition & ~Exists(bad_variant)
