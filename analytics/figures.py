"""The period figures as the console shows them: each key of `analytics.selectors.period_figures` with its
label, its kind (how its value is written) and a one-line definition; docs/analytics.md has the precise,
SQL-level definitions under the same keys. Grouped into the dashboard's sections, in the order shown."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Figure:
    """One figure: `key` in period_figures, `label`, `kind` ("count", "money", "points", "rate" — a
    Decimal fraction shown as a percentage —, "days" or "number") and `help`, its definition in a line."""

    key: str
    label: str
    kind: str
    help: str
    lower_is_better: bool = False  # a fall is good news (customers asleep, days to come back): shown green


SECTIONS: tuple[tuple[str, tuple[Figure, ...]], ...] = (
    (
        _("Members"),
        (
            Figure("members", _("Members"), "count", _("Customers enrolled by the end of the period.")),
            Figure("new_members", _("New members"), "count", _("Customers enrolled in the period.")),
            Figure(
                "active_members",
                _("Active members"),
                "count",
                _("Members with a purchase in the 90 days before the end of the period."),
            ),
            Figure("buyers", _("Buyers"), "count", _("Members with a purchase in the period.")),
            Figure("purchases", _("Purchases"), "count", _("Purchases in the period, wholly refunded ones left out.")),
            Figure("revenue", _("Revenue"), "money", _("Net amount of the period's purchases (refunds deducted).")),
        ),
    ),
    (
        _("Return"),
        (
            Figure(
                "repeat_rate",
                _("Repeat rate"),
                "rate",
                _("Of the customers who ever bought by the end, the share who bought twice or more."),
            ),
            Figure(
                "first_time_buyers",
                _("First-time buyers"),
                "count",
                _("Customers whose first purchase fell in the period."),
            ),
            Figure(
                "second_purchase_30d_rate",
                _("Came back within 30 days"),
                "rate",
                _("Of the first-time buyers, the share whose second purchase came within 30 days."),
            ),
            Figure(
                "second_purchase_60d_rate",
                _("Came back within 60 days"),
                "rate",
                _("Of the first-time buyers, the share whose second purchase came within 60 days."),
            ),
            Figure(
                "second_purchase_90d_rate",
                _("Came back within 90 days"),
                "rate",
                _("Of the first-time buyers, the share whose second purchase came within 90 days."),
            ),
            Figure("purchase_frequency", _("Purchase frequency"), "number", _("Purchases per buyer in the period.")),
            Figure(
                "second_purchases",
                _("Second purchases"),
                "count",
                _("Customers whose second purchase fell in the period."),
            ),
            Figure(
                "days_to_second_purchase_mean",
                _("Days to the second purchase"),
                "days",
                _("Mean days from the first to the second purchase, for second purchases in the period."),
                lower_is_better=True,
            ),
        ),
    ),
    (
        _("Average check"),
        (
            Figure("avg_check", _("Average check"), "money", _("Revenue divided by purchases.")),
            Figure("avg_check_first", _("First purchases"), "money", _("Average check of customers' first purchases.")),
            Figure("avg_check_repeat", _("Repeat purchases"), "money", _("Average check of every later purchase.")),
        ),
    ),
    (
        _("Spend or hoard"),
        (
            Figure(
                "points_issued",
                _("Points issued"),
                "points",
                _("Points credited in the period: cashback, bonuses, imports and added points."),
            ),
            Figure(
                "points_redeemed", _("Points redeemed"), "points", _("Points that paid for purchases in the period.")
            ),
            Figure(
                "redemption_rate", _("Redemption rate"), "rate", _("Points redeemed per point issued in the period.")
            ),
            Figure(
                "members_ever_redeemed_share",
                _("Members who ever redeemed"),
                "rate",
                _("Share of members who paid with points at least once by the end."),
            ),
            Figure("avg_balance", _("Average balance"), "number", _("Points outstanding per member at the end.")),
            Figure(
                "points_expired", _("Points expired"), "points", _("Points that burnt unused in the period (breakage).")
            ),
            Figure(
                "breakage_rate",
                _("Breakage rate"),
                "rate",
                _("Points expired per point expired or redeemed in the period."),
            ),
        ),
    ),
    (
        _("Liability"),
        (
            Figure("points_outstanding", _("Points outstanding"), "points", _("Points held by customers at the end.")),
            Figure(
                "points_pending",
                _("Points pending"),
                "points",
                _("Of them, points not yet spendable (activation delay)."),
            ),
            Figure("liability_value", _("Value"), "money", _("Points outstanding × the point value.")),
            Figure(
                "liability_expiry_rate",
                _("Observed expiry rate"),
                "rate",
                _("Of all points ever spent or burnt by the end of the period, the share that burnt."),
            ),
            Figure(
                "liability_expected_cost",
                _("Expected cost"),
                "money",
                _("The value less what is expected to expire, at the expiry rate observed so far."),
            ),
        ),
    ),
    (
        _("Churn"),
        (
            Figure(
                "asleep_30d",
                _("Asleep 30 days"),
                "count",
                _("Customers who have bought, but not in the last 30 days of the period."),
                lower_is_better=True,
            ),
            Figure(
                "asleep_60d",
                _("Asleep 60 days"),
                "count",
                _("Customers who have bought, but not in the last 60 days of the period."),
                lower_is_better=True,
            ),
            Figure(
                "asleep_90d",
                _("Asleep 90 days"),
                "count",
                _("Customers who have bought, but not in the last 90 days of the period."),
                lower_is_better=True,
            ),
            Figure(
                "woke_up_30d",
                _("Woke up after 30 days"),
                "count",
                _("Buyers of the period who had not bought for 30 days before it."),
            ),
            Figure(
                "woke_up_60d",
                _("Woke up after 60 days"),
                "count",
                _("Buyers of the period who had not bought for 60 days before it."),
            ),
            Figure(
                "woke_up_90d",
                _("Woke up after 90 days"),
                "count",
                _("Buyers of the period who had not bought for 90 days before it."),
            ),
        ),
    ),
)

FIGURES: dict[str, Figure] = {figure.key: figure for _section, figures in SECTIONS for figure in figures}
