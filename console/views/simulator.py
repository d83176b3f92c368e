"""The what-if simulator page (/analytics/simulator/, issue #13): a GET form prefilled with today's rules,
so that a scenario is a link to share; the replay of the last 90 days under both (analytics.simulator)
beside each other with the difference; the comparison as CSV. It changes no live setting."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from analytics.simulator import Comparison, Rules, TierTerms, rules_check, rules_current, simulate
from core.formatting import money_format, points_format
from core.forms import EmptyChoiceDashMixin, LocalDecimalField, LocalIntegerField
from core.permissions import permission_required
from core.spreadsheet import csv_response
from loyalty.selectors import program_settings_get, tiers_list

MINUS = "\u2212"


def _percent_field(label) -> LocalDecimalField:
    return LocalDecimalField(label=label, max_digits=5, decimal_places=2)


class SimulatorForm(EmptyChoiceDashMixin, forms.Form):
    """A scenario: the base rates, the point lifetime, and each live tier's threshold and rates. Bounds and
    their messages are analytics.simulator.rules_check's; the fields only read the numbers."""

    base_cashback_percent = _percent_field(gettext_lazy("Base cashback, %"))
    # xgettext:no-python-format
    base_redeem_cap_percent = _percent_field(gettext_lazy("Base redemption cap, % of the check"))
    points_lifetime_days = LocalIntegerField(
        label=gettext_lazy("Point lifetime, days"),
        required=False,
        help_text=gettext_lazy("Empty: points never expire."),
    )

    def __init__(self, *args, current: Rules, activation_delay_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.current, self.activation_delay_days = current, activation_delay_days
        if current.tiers and min(t.threshold for t in current.tiers) == 0:
            for name in ("base_cashback_percent", "base_redeem_cap_percent"):
                self.fields[name].help_text = _(
                    "For customers without a tier only: nobody today, since a tier starts at 0 (a scenario "
                    "where none does uses them)."
                )
        for tier in current.tiers:
            self.fields[f"{tier.code}_threshold"] = LocalDecimalField(
                label=_("%(tier)s: threshold") % {"tier": tier.name}, max_digits=12, decimal_places=2
            )
            self.fields[f"{tier.code}_cashback"] = _percent_field(_("%(tier)s: cashback, %%") % {"tier": tier.name})
            self.fields[f"{tier.code}_cap"] = _percent_field(
                _("%(tier)s: redemption cap, %% of the check") % {"tier": tier.name}
            )

    @staticmethod
    def initial_for(rules: Rules) -> dict:
        """The form's values for `rules` (today's, to prefill it)."""
        initial = {
            "base_cashback_percent": rules.base_cashback_percent,
            "base_redeem_cap_percent": rules.base_redeem_cap_percent,
            "points_lifetime_days": rules.points_lifetime_days,
        }
        for tier in rules.tiers:
            initial |= {
                f"{tier.code}_threshold": tier.threshold,
                f"{tier.code}_cashback": tier.cashback_percent,
                f"{tier.code}_cap": tier.redeem_cap_percent,
            }
        return initial

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.scenario = Rules(
            base_cashback_percent=data["base_cashback_percent"],
            base_redeem_cap_percent=data["base_redeem_cap_percent"],
            points_lifetime_days=data["points_lifetime_days"],
            tiers=tuple(
                TierTerms(
                    code=t.code,
                    name=t.name,
                    order=t.order,
                    threshold=data[f"{t.code}_threshold"],
                    cashback_percent=data[f"{t.code}_cashback"],
                    redeem_cap_percent=data[f"{t.code}_cap"],
                    min_purchases=t.min_purchases,
                )
                for t in self.current.tiers
            ),
        )
        for name, message in rules_check(self.scenario, activation_delay_days=self.activation_delay_days).items():
            self.add_error(name, message)
        return data


@dataclass(frozen=True)
class Row:
    """One line of the comparison: machine values (for the CSV) and how the page writes them."""

    key: str
    label: str
    help: str
    kind: str  # "points", "money" or "count"
    today: int | Decimal | None
    scenario: int | Decimal | None

    @property
    def difference(self) -> int | Decimal | None:
        return None if self.today is None or self.scenario is None else self.scenario - self.today

    def shown(self, value, currency: str, *, signed: bool = False) -> str:
        if value is None:
            return "—"
        text = money_format(abs(value), currency) if self.kind == "money" else points_format(abs(value))
        if value < 0:
            return MINUS + text
        return ("+" if signed and value > 0 else "") + text


def _rows(result: Comparison, tier_names: dict[str, str], point_value: str) -> list[Row]:
    today, scenario = result.today, result.scenario
    end = date_format(result.last_day, "SHORT_DATE_FORMAT")
    rows = [
        Row("points_issued", _("Points issued"), _(
            "Cashback on the replayed purchases at the rate of the tier each was made in, on the part paid in "
            "money, rounded down; less what refunds took back."), "points", today.points_issued, scenario.points_issued),
        Row("points_redeemed", _("Points redeemed"), _(
            "What the purchases paid in points, within the cap on each check. A purchase that used the whole of "
            "today's cap redeems up to a higher cap, within the points the customer held then. Less points burnt "
            "first (below) and what refunds returned."), "points", today.points_redeemed, scenario.points_redeemed),
        Row("points_burnt", _("Points burnt before being spent"), _(
            "Points the purchases paid with that came from lots the point lifetime would have expired by then: "
            "taken off the points redeemed."), "points", today.points_burnt, scenario.points_burnt),
        Row("redeemed_value", _("Cost: points redeemed × point value"), _(
            "What points paid at the tills, in money (1 point = %(value)s).") % {"value": point_value},
            "money", today.redeemed_value, scenario.redeemed_value),
        Row("liability_added", _("Liability added"), _(
            "(Points issued − points redeemed) × point value: what the window's points add to what the program "
            "owes its customers; negative when customers spent more than they earned."),
            "money", today.liability_added, scenario.liability_added),
    ]  # fmt: skip
    for code in [*result.tier_codes, None]:
        if code not in today.customers_by_tier and code not in scenario.customers_by_tier:
            continue
        name = tier_names[code] if code else _("Without a tier")
        rows.append(
            Row(
                f"customers.{code or 'none'}",
                _("Customers: %(tier)s") % {"tier": name},
                _(
                    "Members whose qualifying spend over the tier window ending %(date)s meets the threshold "
                    "(the daily review's target, without the grace period)."
                )
                % {"date": end},
                "count",
                today.customers_by_tier.get(code, 0),
                scenario.customers_by_tier.get(code, 0),
            )
        )
    rows += [
        Row("customers_up", _("Customers in a higher tier"), _(
            "Members the scenario's thresholds put in a higher tier than today's do."), "count", None, result.moved_up),
        Row("customers_down", _("Customers in a lower tier"), _(
            "Members the scenario's thresholds put in a lower tier than today's do."), "count", None, result.moved_down),
    ]  # fmt: skip
    return rows


SCENARIO_FIELDS = ("base_cashback_percent", "base_redeem_cap_percent", "points_lifetime_days")


@permission_required("console.view_dashboard")
@require_safe
def analytics_simulator(request: HttpRequest) -> HttpResponse:
    """GET with the scenario's fields (none: today's rules, prefilled); `&export=csv` for the comparison.
    A scenario that does not pass rules_check is the form with its errors, status 400. Writes nothing;
    GET and HEAD only (another method: 405, after the permission check)."""
    program = program_settings_get()
    current = rules_current(program, tiers_list())
    options = {"current": current, "activation_delay_days": program.activation_delay_days}
    asked = any(name in request.GET for name in SCENARIO_FIELDS) or any(
        name.startswith(f"{t.code}_") for t in current.tiers for name in request.GET
    )
    if asked:
        form = SimulatorForm(request.GET, **options)
        if not form.is_valid():
            return render(request, "console/analytics_simulator.html", _context(form, current), status=400)
        scenario = form.scenario
    else:
        form = SimulatorForm(initial=SimulatorForm.initial_for(current), **options)
        scenario = current
    result = simulate(scenario=scenario, program=program)
    tier_names = {t.code: t.name for t in current.tiers}
    rows = _rows(result, tier_names, money_format(program.point_value, program.currency))
    if request.GET.get("export") == "csv":
        header = [_("Figure"), _("Key"), _("Today's rules"), _("Scenario"), _("Difference")]
        lines = [[r.label, r.key, _raw(r.today), _raw(r.scenario), _raw(r.difference)] for r in rows]
        name = f"simulator-{result.first_day.isoformat()}-{result.last_day.isoformat()}.csv"
        return csv_response([header, *lines], filename=name)
    context = _context(form, current) | {
        "result": result,
        "rows": [
            {
                "row": r,
                "today": r.shown(r.today, program.currency),
                "scenario": r.shown(r.scenario, program.currency),
                "difference": r.shown(r.difference, program.currency, signed=True),
                "changed": bool(r.difference),
            }
            for r in rows
        ],
        "summary": ngettext(
            "%(start)s – %(end)s: %(count)s purchase replayed, revenue %(revenue)s.",
            "%(start)s – %(end)s: %(count)s purchases replayed, revenue %(revenue)s.",
            result.purchases,
        )
        % {
            "start": date_format(result.first_day, "SHORT_DATE_FORMAT"),
            "end": date_format(result.last_day, "SHORT_DATE_FORMAT"),
            "count": points_format(result.purchases),
            "revenue": money_format(result.revenue, program.currency),
        },
        "recorded": _(
            "Recorded in the ledger for these purchases — points issued: %(issued)s; points redeemed: "
            "%(redeemed)s. Today's column replays them by today's rules."
        )
        % {"issued": points_format(result.recorded_issued), "redeemed": points_format(result.recorded_redeemed)},
        "query": request.GET.urlencode(),
    }
    return render(request, "console/analytics_simulator.html", context)


def _raw(value):
    """A machine value for the CSV: the number itself (csv_safe_cell leaves numbers alone, so a negative
    one stays a number), "" for none."""
    return "" if value is None else value


def _context(form: SimulatorForm, current: Rules) -> dict:
    """The form laid out as rows: (label, today's value as people read it, the scenario's field)."""
    base = [(form[name], _today_value(form, name)) for name in SCENARIO_FIELDS]
    tiers = [
        (tier.name, [(form[f"{tier.code}_{part}"], _today_value(form, f"{tier.code}_{part}")) for part in
                     ("threshold", "cashback", "cap")])
        for tier in current.tiers
    ]  # fmt: skip
    return {"form": form, "base_fields": base, "tier_fields": tiers}


def _today_value(form: SimulatorForm, name: str) -> str:
    value = SimulatorForm.initial_for(form.current)[name]
    return _("never") if value is None else points_format(value)
