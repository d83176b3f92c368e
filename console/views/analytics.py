"""The console's analytics dashboard (issue #13): the period's figures beside the previous period's, each
with its definition, two charts, and the figures as CSV. The figures come from analytics.selectors."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from analytics.figures import FIGURES, SECTIONS, Figure
from analytics.key_metric import KeyMetricStatus, key_metric_status
from analytics.rfm import rfm_grid, rfm_movement_since_previous, rfm_snapshot_latest
from analytics.rules import KEY_METRIC_LOWER_IS_BETTER
from analytics.selectors import analytics_settings_get
from analytics.snapshots import cohorts_answer, economics_answer, period_kpis_answer, preset_periods
from core.formatting import decimal_format, money_format, percent_format, points_format
from core.forms import BoundedDateField, EmptyChoiceDashMixin
from core.permissions import permission_required
from core.spreadsheet import csv_response
from loyalty.selectors import program_settings_get, tiers_list

DEFAULT_DAYS = 30  # the period shown when none is chosen: the 30 days ending yesterday (a nightly snapshot's)
PRESET_LABELS = {
    "7d": gettext_lazy("Last 7 days"),
    "30d": gettext_lazy("Last 30 days"),
    "90d": gettext_lazy("Last 90 days"),
    "month": gettext_lazy("Last month"),
}


class PeriodForm(EmptyChoiceDashMixin, forms.Form):
    """The period: two calendar days in the shop's time zone, both included (analytics.rules.period_check)."""

    start = BoundedDateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        """The rules of analytics.rules.period_check, said in the reader's language."""
        data = super().clean()
        start, end, today = data.get("start"), data.get("end"), timezone.localdate()
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        if end and end > today:
            raise forms.ValidationError(
                _("The period cannot end after today (%(today)s).") % {"today": date_format(today, "SHORT_DATE_FORMAT")}
            )
        return data


def _shown(value, kind: str, currency: str) -> str:
    """A figure's value for people: money with the currency, points and counts grouped, rates as
    percentages, days and other numbers with the language's decimal mark; "—" when there is none."""
    if value is None:
        return "—"
    if kind == "money":
        return money_format(value, currency)
    if kind in ("points", "count"):
        return points_format(int(value))  # whole numbers, even when stored with places (a key metric's baseline)
    if kind == "rate":
        return percent_format(value, 1)  # half up, never "−0,0 %", the minus sign U+2212
    return decimal_format(value, 2)


def _raw(value) -> str:
    return "" if value is None else str(value)


def _rows(kpis: dict, currency: str) -> list[dict]:
    figures, before = kpis["period"]["figures"], kpis["previous_period"]["figures"]
    sections = []
    for title, members in SECTIONS:
        rows = []
        for figure in members:
            change = kpis["change"].get(figure.key)
            rows.append(
                {
                    "figure": figure,
                    "now": _shown(figures.get(figure.key), figure.kind, currency),
                    "before": _shown(before.get(figure.key), figure.kind, currency),
                    "change": None if change is None else _shown(change, "rate", currency),
                    "up": change is not None and change > 0,
                    # Good news is green: a rise, or a fall of a figure where lower is better (churn); no
                    # change is neither.
                    "tone": "" if not change else ("success" if (change < 0) == figure.lower_is_better else "danger"),
                }
            )
        if any(figure.key == "avg_check" for figure in members):  # the average check's section
            rows += _rows_by_tier(
                figures.get("avg_check_by_tier") or {}, before.get("avg_check_by_tier") or {}, currency
            )
        sections.append({"title": title, "rows": rows})
    return sections


def _rows_by_tier(now: dict, before: dict, currency: str) -> list[dict]:
    """The average check by the tier held at the purchase (keys: tier codes, "none" for no tier), in the
    tiers' order; a tier without purchases in either period is left out."""
    names = {tier.code: tier.name for tier in tiers_list()}
    order = [*names, "none"]
    rows = []
    for code in sorted(set(now) | set(before), key=lambda c: order.index(c) if c in order else len(order)):
        label = names.get(code) or _("Without a tier")
        figure = Figure(
            f"avg_check_by_tier.{code}",
            _("Average check, %(tier)s") % {"tier": label},
            "money",
            _("Purchases made while holding this tier."),
        )
        rows.append(
            {
                "figure": figure,
                "now": _shown(now.get(code), "money", currency),
                "before": _shown(before.get(code), "money", currency),
                "change": None,
                "up": False,
            }
        )
    return rows


def _charts(kpis: dict) -> dict:
    figures, before = kpis["period"]["figures"], kpis["previous_period"]["figures"]
    this, previous = _("This period"), _("Previous period")
    checks = ("avg_check", "avg_check_first", "avg_check_repeat")
    returns = ("second_purchase_30d_rate", "second_purchase_60d_rate", "second_purchase_90d_rate")

    def values(source, keys, scale=1):
        return [float(source[k] * scale) if source.get(k) is not None else None for k in keys]

    return {
        "checks": {
            "type": "bar",
            "labels": [str(FIGURES[k].label) for k in checks],
            "datasets": [{"label": str(this), "data": values(figures, checks)},
                         {"label": str(previous), "data": values(before, checks)}],
        },
        "returns": {
            "type": "bar",
            "percent": True,
            "labels": [str(FIGURES[k].label) for k in returns],
            "datasets": [{"label": str(this), "data": values(figures, returns, 100)},
                         {"label": str(previous), "data": values(before, returns, 100)}],
        },
    }  # fmt: skip


def key_metric_context(status: KeyMetricStatus | None, currency: str) -> dict | None:
    """The key metric's block of the dashboard (templates/console/partials/analytics_key_metric.html):
    values formatted as the figure's kind, progress and time as percentages, the bar's width (0–100)."""
    if status is None:
        return None
    figure = FIGURES[status.key]
    progress = status.progress
    return {
        "status": status,
        "label": figure.label,
        "help": figure.help,
        "baseline": _shown(status.baseline, figure.kind, currency),
        "current": _shown(status.current, figure.kind, currency),
        "target": _shown(status.target, figure.kind, currency),
        "progress": _shown(progress, "rate", currency),
        "time_elapsed": _shown(status.time_elapsed, "rate", currency),
        "bar": 0 if progress is None else int(min(max(progress, Decimal(0)), Decimal(1)) * 100),
        "lower_is_better": status.key in KEY_METRIC_LOWER_IS_BETTER,
        "target_percent": _shown(status.target_percent / 100, "rate", currency),
        "days_left": points_format(status.days_left),  # grouped: "1 234 days left"
    }


@permission_required("console.view_dashboard")
@require_safe
def analytics_dashboard(request: HttpRequest) -> HttpResponse:
    """GET ?start=YYYY-MM-DD&end=YYYY-MM-DD (dates are no personal data); `&export=csv` for the figures.
    Without a period: the 30 days ending yesterday. The figures come from the latest nightly snapshot that
    holds the period (analytics.snapshots), otherwise they are computed live; the page says which."""
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    initial = {"start": yesterday - dt.timedelta(days=DEFAULT_DAYS - 1), "end": yesterday}
    form = PeriodForm(request.GET if "start" in request.GET or "end" in request.GET else initial)
    presets = [
        {"label": PRESET_LABELS[key], "start": period.start.isoformat(), "end": period.end.isoformat()}
        for key, period in preset_periods(today).items()
    ]
    if not form.is_valid():
        currency = program_settings_get().currency
        context = {"form": form, "presets": presets, "key_metric": key_metric_context(key_metric_status(), currency)}
        return render(request, "console/analytics.html", context, status=400)
    answer = period_kpis_answer(form.cleaned_data["start"], form.cleaned_data["end"])
    kpis = answer.value
    currency = program_settings_get().currency
    sections = _rows(kpis, currency)
    if request.GET.get("export") == "csv":
        # Machine values for a spreadsheet (as analytics_report prints them): money and rates as decimals.
        header = [_("Figure"), _("Key"), _("This period"), _("Previous period"), _("Change")]
        now, before = kpis["period"]["figures"], kpis["previous_period"]["figures"]
        lines = [
            [str(figure.label), key, _raw(now.get(key)), _raw(before.get(key)), _raw(kpis["change"].get(key))]
            for key, figure in FIGURES.items()
        ]
        now_by_tier, before_by_tier = now.get("avg_check_by_tier") or {}, before.get("avg_check_by_tier") or {}
        for tier_row in _rows_by_tier(now_by_tier, before_by_tier, currency):  # one line per tier, as on the page
            code = tier_row["figure"].key.split(".", 1)[1]
            lines.append(
                [str(tier_row["figure"].label), tier_row["figure"].key, _raw(now_by_tier.get(code)),
                 _raw(before_by_tier.get(code)), ""]
            )  # fmt: skip
        name = f"analytics-{kpis['period']['start']}-{kpis['period']['end']}.csv"
        return csv_response([header, *lines], filename=name)
    context = {
        "form": form,
        # The dashboard leads with the key metric: the latest window, whatever period is chosen below it.
        "key_metric": key_metric_context(key_metric_status(), currency),
        "kpis": kpis,
        "sections": sections,
        "charts": _charts(kpis),
        "query": request.GET.urlencode(),
        "presets": presets,
        "snapshot": answer.snapshot,
    }
    return render(request, "console/analytics.html", context)


ECONOMICS_MONTHS = 12


@permission_required("console.view_dashboard")
@require_safe
def analytics_economics(request: HttpRequest) -> HttpResponse:
    """The program's cost against members' revenue and the liability, month by month (the last 12 months,
    analytics.economics) from the latest nightly snapshot, or live without one; `?export=csv` for the table."""
    answer = economics_answer(months=ECONOMICS_MONTHS)
    rows = answer.value
    currency = program_settings_get().currency
    if request.GET.get("export") == "csv":
        header = [
            _("Month"), _("Revenue"), _("Points redeemed"), _("Redeemed value"), _("Points outstanding"),
            _("Liability"), _("Liability change"), _("Cost"), _("Returning customers"), _("Cost per returning customer"),
        ]  # fmt: skip
        lines = [
            [r.month.strftime("%Y-%m"), r.revenue, r.points_redeemed, r.redeemed_value, r.points_outstanding,
             r.liability_value, r.liability_change, r.cost, r.returning_customers, _raw(r.cost_per_returning)]
            for r in rows
        ]  # fmt: skip
        return csv_response([header, *lines], filename="analytics-economics.csv")
    labels = [date_format(r.month, "YEAR_MONTH_FORMAT") for r in rows]
    chart = {
        "type": "line",
        "labels": labels,
        "datasets": [
            {"label": str(_("Revenue")), "data": [float(r.revenue) for r in rows]},
            {"label": str(_("Cost")), "data": [float(r.cost) for r in rows]},
            {"label": str(_("Liability")), "data": [float(r.liability_value) for r in rows]},
        ],
    }
    table = [
        {
            "month": label,
            "revenue": money_format(r.revenue, currency),
            "redeemed": points_format(r.points_redeemed),
            "redeemed_value": money_format(r.redeemed_value, currency),
            "liability": money_format(r.liability_value, currency),
            "liability_change": money_format(r.liability_change, currency).replace("-", "\u2212"),
            "cost": money_format(r.cost, currency).replace("-", "\u2212"),
            "returning": points_format(r.returning_customers),
            "cost_per_returning": "—"
            if r.cost_per_returning is None
            else money_format(r.cost_per_returning, currency).replace("-", "\u2212"),
        }
        for label, r in zip(labels, rows, strict=True)
    ]
    return render(
        request, "console/analytics_economics.html", {"chart": chart, "table": table, "snapshot": answer.snapshot}
    )


COHORT_MONTHS = 12


@permission_required("console.view_dashboard")
@require_safe
def analytics_cohorts(request: HttpRequest) -> HttpResponse:
    """Cohort retention as two heat maps (analytics.cohorts): the share of each cohort that bought in each
    month since its first purchase, and revenue per cohort member; `?export=csv` for both as rows. From the
    latest nightly snapshot, or live without one."""
    answer = cohorts_answer(months=COHORT_MONTHS)
    cohorts = answer.value
    currency = program_settings_get().currency
    if request.GET.get("export") == "csv":
        header = [_("Cohort"), _("Customers"), _("Months since"), _("Buyers"), _("Share"), _("Revenue per member")]
        lines = [
            [c.month.strftime("%Y-%m"), c.size, m.offset, m.buyers, m.share, m.revenue_per_member]
            for c in cohorts
            for m in c.months
        ]
        return csv_response([header, *lines], filename="analytics-cohorts.csv")
    width = max((len(c.months) for c in cohorts), default=0)
    rows = [
        {
            "month": date_format(c.month, "YEAR_MONTH_FORMAT"),
            "size": points_format(c.size),
            "cells": [
                {
                    "share": _shown(m.share, "rate", currency),
                    "revenue": money_format(m.revenue_per_member, currency),
                    # The heat: the cell's background, its opacity the share (static/js/boomerang.js data-bg).
                    "bg": f"rgba(13, 110, 253, {float(m.share or 0) * 0.85:.2f})",
                    "dark": (m.share or 0) > Decimal("0.5"),
                }
                for m in c.months
            ],
        }
        for c in cohorts
    ]
    context = {"rows": rows, "offsets": range(width), "snapshot": answer.snapshot}
    return render(request, "console/analytics_cohorts.html", context)


@permission_required("console.view_dashboard")
@require_safe
def analytics_segments(request: HttpRequest) -> HttpResponse:
    """The latest RFM snapshot (analytics.rfm): the 5×5 recency × frequency grid with each cell's segment,
    customers, revenue and average check, and the movement between segments since the previous snapshot."""
    snapshot = rfm_snapshot_latest()
    context: dict = {"snapshot": snapshot}
    if snapshot is not None:
        currency = program_settings_get().currency
        cells = rfm_grid(snapshot)
        context["grid"] = [
            {
                "recency": row[0].recency_score,
                "cells": [
                    {
                        "cell": cell,
                        "customers": points_format(cell.customers),
                        "revenue": money_format(cell.revenue, currency),
                        "average": "—" if cell.average_check is None else money_format(cell.average_check, currency),
                    }
                    for cell in row
                ],
            }
            for row in (cells[i : i + 5] for i in range(0, len(cells), 5))
        ]
        # scores no customer holds: equal values share a score (analytics.rfm_rules), so when most buyers
        # bought once they are all F1 and F2, F3… stay empty; the page says so rather than look broken
        context["empty_frequency"] = [
            f for f in range(1, 6) if not any(c.customers for c in cells if c.frequency_score == f)
        ]
        context["empty_recency"] = [
            r for r in range(1, 6) if not any(c.customers for c in cells if c.recency_score == r)
        ]
        context["window_setting"] = analytics_settings_get().rfm_window_days
        previous, moves = rfm_movement_since_previous(snapshot)
        context["previous"] = previous
        context["moves"] = [m for m in moves if m.from_segment != m.to_segment and previous is not None][:20]
    return render(request, "console/analytics_segments.html", context)
