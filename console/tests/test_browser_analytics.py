"""The analytics dashboard in a real browser (headless Chromium), in English and Russian: both charts are
drawn by the vendored Chart.js from the page's data, with no console error."""

import pytest

from analytics.tests.conftest import story  # noqa: F401 - the figures' own story
from conftest import browser_login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_dashboard_draws_its_charts_without_errors(page, marketing_user, story, language):  # noqa: F811
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/analytics/?start=2026-03-01&end=2026-03-31")
    page.wait_for_load_state("networkidle")
    for chart in ("chart-checks", "chart-returns"):
        canvas = page.locator(f'canvas[data-chart="{chart}"]')
        assert canvas.evaluate("c => !!window.Chart.getChart(c)")  # a chart is attached to the canvas
        assert canvas.evaluate("c => c.width > 100 && c.height > 100")
    labels = page.locator('canvas[data-chart="chart-checks"]').evaluate(
        "c => window.Chart.getChart(c).data.datasets.map(d => d.label)"
    )
    assert labels == (["This period", "Previous period"] if language == "en" else ["Этот период", "Прошлый период"])
    assert errors == []
    screenshot(page, f"console-analytics-{language}")
    page.goto(f"{page.base_url}/analytics/economics/")
    page.wait_for_load_state("networkidle")
    assert page.locator('canvas[data-chart="chart-economics"]').evaluate("c => !!window.Chart.getChart(c)")
    page.goto(f"{page.base_url}/analytics/cohorts/")
    # The heat map's cells are coloured by their share (data-bg, applied by static/js/boomerang.js).
    full = page.locator("#cohort-share td[data-bg]").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert full.startswith("rgba(13, 110, 253")
    assert errors == []


def test_the_key_metric_leads_the_dashboard_with_its_bar(page, marketing_user, program, customer_factory):
    """Set on the settings page in the browser, then shown on the dashboard: the bar is as wide as the progress
    (data-width, applied by static/js/boomerang.js under the page's CSP), with no console error."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from analytics.models import AnalyticsSettings
    from loyalty.tests.helpers import at, buy

    today = timezone.localdate()
    w = customer_factory(name="W", now=at(today - dt.timedelta(days=60)))
    buy(w, Decimal("1000.00"), now=at(today - dt.timedelta(days=10)))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/analytics/")
    page.click("#key-metric-prompt a")
    page.select_option("#id_key_metric", "avg_check")
    page.fill("#id_target_percent", "15")
    page.fill("#id_target_date", (today + dt.timedelta(days=30)).isoformat())
    page.fill("#id_key_metric_days", "30")
    page.click("#analytics-settings-form button[type=submit]")
    page.wait_for_url(f"{page.base_url}/analytics/settings/")
    assert "Analytics settings saved." in page.content()
    assert AnalyticsSettings.objects.get().baseline_value == Decimal("1000.00")
    # A purchase after the target was set: now (1 000 + 1 150) ÷ 2 = 1 075.00, half way to 1 150.00.
    buy(w, Decimal("1150.00"), now=at(today - dt.timedelta(days=5)))
    page.goto(f"{page.base_url}/analytics/")
    page.wait_for_load_state("networkidle")
    bar = page.locator("#key-metric .progress-bar")
    assert bar.get_attribute("data-width") == "50"
    ratio = bar.evaluate("b => b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width")
    assert 0.45 < ratio < 0.55
    assert errors == []
    screenshot(page, "console-analytics-key-metric")
