"""The results page (treated vs holdout and each variant, every figure with its definition) and its CSV."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from campaigns.results import campaign_results
from campaigns.stats import MIN_GROUP, MIN_GROUP_MEAN
from core.formatting import decimal_format, decimal_machine, money_format, percent_format
from core.permissions import permission_required
from core.spreadsheet import csv_response

from .common import VIEW, _campaign_or_404, money_uplift_text, uplift_text

# Decimal places of the CSV's figures (rounded half up): money, rates (fractions: 0.1234 = 12.34 %),
# incremental returning customers, return on points.
MONEY_PLACES = 2
RATE_PLACES = 4
INCREMENTAL_PLACES = 2
RETURN_PLACES = 2


def _when_computable(uplift, value, places: int) -> str:
    """A figure that rests on an uplift: "not enough data" while the uplift cannot be computed (`uplift`
    None), "—" when it has no value (e.g. no incremental customer to divide by), else `value` with
    `places` decimals (core.formatting.decimal_format: half up, "−")."""
    if uplift is None:
        return _("not enough data")
    return "—" if value is None else decimal_format(value, places)


BOOST_REDEEMED_HELP = gettext_lazy(
    "A boost's points are part of each purchase's points; their redemption is not counted apart."
)
BOOST_COST_HELP = gettext_lazy("Not measured for a boost: it rests on the points redeemed.")


def _result_rows(results) -> list[dict]:
    """One row per figure: its label, definition, and value per column (treated, holdout, variants). For a
    boost, the figures built on the points redeemed (not measured: campaigns.results) show "—" and say why."""
    groups = [results.treated, results.holdout, *results.variants]
    comparisons = {c.group.key: c for c in results.comparisons}
    currency = results.currency
    measured = results.redemption_measured

    def money(value):
        return "—" if value is None else money_format(value, currency)

    def rate(value):
        return "—" if value is None else percent_format(value, 1)

    def count(value):
        return number_format(value, 0, force_grouping=True)

    def per_group(fn):
        return [fn(group) for group in groups]

    def compared(fn):
        return [fn(comparisons[g.key]) if g.key in comparisons else "" for g in groups]

    def statuses(group):
        return ", ".join(f"{_status_label(s)} {count(n)}" for s, n in sorted(group.messages.items())) or "—"

    rows = [
        (
            "customers",
            _("Customers"),
            _("Customers with a grant row of the campaign (any occasion)."),
            per_group(lambda g: count(g.customers)),
        ),
        (
            "grants",
            _("Grants"),
            _("Grant rows: one per customer and occasion (holdout rows alike)."),
            per_group(lambda g: count(g.grants)),
        ),
        (
            "points_granted",
            _("Points granted"),
            _("Points of the grants' ledger entries.")
            if measured
            else _("Points the boost added to purchases' points, less the share their refunds took back."),
            per_group(lambda g: count(g.points_granted)),
        ),
        (
            "points_redeemed",
            _("Points redeemed"),
            _("Points that purchases took from the grants' own lots.") if measured else BOOST_REDEEMED_HELP,
            per_group(lambda g: "—" if g.points_redeemed is None else count(g.points_redeemed)),
        ),
        ("messages", _("Messages"), _("The campaign's messages by status."), per_group(statuses)),
        (
            "opened",
            _("Opened / clicked"),
            _("Messages opened at least once / with a link clicked."),
            per_group(lambda g: f"{count(g.opened)} / {count(g.clicked)}"),
        ),
        (
            "buyers",
            _("Bought within the window"),
            _("Customers with a purchase (not wholly refunded) within the response window after a grant."),
            per_group(lambda g: count(g.buyers)),
        ),
        (
            "response_rate",
            _("Response rate"),
            _("Bought within the window ÷ customers."),
            per_group(lambda g: rate(g.response_rate)),
        ),
        (
            "revenue",
            _("Revenue in the window"),
            _("Amounts of those purchases less everything refunded of them so far."),
            per_group(lambda g: money(g.revenue)),
        ),
        (
            "revenue_per_customer",
            _("Revenue per customer"),
            _("Revenue in the window ÷ customers (those who bought nothing count as 0)."),
            per_group(lambda g: money(g.revenue_per_customer)),
        ),
        (
            "uplift",
            _("Uplift of the response rate"),
            _(
                "Group's rate − holdout's rate, in percentage points, with its 95 %% confidence interval (normal approximation); “not enough data” below %(n)s customers in either group."
            )
            % {"n": MIN_GROUP},
            compared(lambda c: uplift_text(c.rate_uplift)),
        ),
        (
            "revenue_uplift",
            _("Uplift of revenue per customer"),
            _(
                "Difference of the means with its 95 %% interval (Welch); “not enough data” below %(n)s customers in either group."
            )
            % {"n": MIN_GROUP_MEAN},
            compared(lambda c: money_uplift_text(c.revenue_uplift, currency)),
        ),
        (
            "incremental",
            _("Incremental returning customers"),
            _("Uplift × the group's customers."),
            compared(lambda c: _when_computable(c.rate_uplift, c.incremental_customers, INCREMENTAL_PLACES)),
        ),
        (
            "cost",
            _("Cost of the points"),
            _("Points redeemed × the point value.") if measured else BOOST_COST_HELP,
            compared(lambda c: money(c.cost)),
        ),
        (
            "cost_per_returning",
            _("Cost per returning customer"),
            _(
                "Cost of the points ÷ incremental returning customers (none when the uplift is not above 0); “not enough data” while the uplift of the response rate cannot be computed (below %(n)s customers in either group)."
            )
            % {"n": MIN_GROUP}
            if measured
            else BOOST_COST_HELP,
            compared(
                lambda c: (
                    "—"
                    if not measured
                    else _("not enough data")
                    if c.rate_uplift is None
                    else money(c.cost_per_returning)
                )
            ),
        ),
        (
            "return_on_points",
            _("Return on points spent"),
            _(
                "Incremental revenue ((group's − holdout's revenue per customer) × the group's customers) ÷ cost of the points; “not enough data” while the uplift of revenue per customer cannot be computed (below %(n)s customers in either group)."
            )
            % {"n": MIN_GROUP_MEAN}
            if measured
            else BOOST_COST_HELP,
            compared(lambda c: _when_computable(c.revenue_uplift, c.return_on_points, 2) if measured else "—"),
        ),
    ]
    return [{"key": key, "label": label, "help": help_text, "values": values} for key, label, help_text, values in rows]


def _status_label(code: str) -> str:
    from messaging.models import Message

    return str(dict(Message.Status.choices).get(code, code))


@permission_required(VIEW)
@require_safe
def campaign_results_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/results/: treated vs holdout and each variant, every figure with its definition
    (docs/campaigns.md, "Results")."""
    campaign = _campaign_or_404(campaign_id)
    results = campaign_results(campaign)
    groups = [results.treated, results.holdout, *results.variants]
    context = {"campaign": campaign, "results": results, "groups": groups, "rows": _result_rows(results)}
    return render(request, "console/campaign_results.html", context)


@permission_required(VIEW)
@require_safe
def campaign_results_csv(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """/campaigns/<id>/results.csv: the results table, machine values, one row per group: decimals with a
    point and a plain minus, each rounded once, half up, to its figure's places (money 0.01; rates and the
    uplift of the response rate as fractions to 0.0001; incremental customers and return on points to
    0.01), never the raw quotient ("-81.76", not "-81.76000000000000000000000004")."""
    campaign = _campaign_or_404(campaign_id)
    results = campaign_results(campaign)
    comparisons = {c.group.key: c for c in results.comparisons}
    header = [
        "group",
        "customers",
        "grants",
        "points_granted",
        "points_redeemed",
        "messages",
        "opened",
        "clicked",
        "buyers",
        "response_rate",
        "revenue",
        "revenue_per_customer",
        "uplift",
        "uplift_low",
        "uplift_high",
        "revenue_uplift",
        "revenue_uplift_low",
        "revenue_uplift_high",
        "incremental_customers",
        "cost",
        "cost_per_returning",
        "return_on_points",
    ]

    def money(value):
        return "" if value is None else decimal_machine(value, MONEY_PLACES)

    def rate(value):
        return "" if value is None else decimal_machine(value, RATE_PLACES)

    def est(e, fn):
        return ["", "", ""] if e is None else [fn(e.value), fn(e.low), fn(e.high)]

    rows = [header]
    for group in [results.treated, results.holdout, *results.variants]:
        c = comparisons.get(group.key)
        rows.append(
            [
                group.key,
                group.customers,
                group.grants,
                group.points_granted,
                "" if group.points_redeemed is None else group.points_redeemed,
                group.messages_total,
                group.opened,
                group.clicked,
                group.buyers,
                rate(group.response_rate),
                money(group.revenue),
                money(group.revenue_per_customer),
                *(est(c.rate_uplift, rate) if c else ["", "", ""]),
                *(est(c.revenue_uplift, money) if c else ["", "", ""]),
                *(
                    [
                        ""
                        if c.incremental_customers is None
                        else decimal_machine(c.incremental_customers, INCREMENTAL_PLACES),
                        money(c.cost),
                        money(c.cost_per_returning),
                        "" if c.return_on_points is None else decimal_machine(c.return_on_points, RETURN_PLACES),
                    ]
                    if c
                    else ["", "", "", ""]
                ),
            ]
        )
    return csv_response(
        ([("" if v is None else v) for v in row] for row in rows), filename=f"campaign-{campaign.pk}-results.csv"
    )
