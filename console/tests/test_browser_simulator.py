"""The what-if simulator in a real browser (headless Chromium): a marketer opens it from the analytics
page, changes a threshold, replays, and sees the result beside today's rules in a link they can share;
nothing the Content Security Policy blocks, no console error."""

import re

import pytest

from analytics.tests.test_simulator import sim_story  # noqa: F401 - the replay's story (figures worked out there)
from conftest import browser_login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_marketer_tries_a_lower_gold_threshold(page, marketing_user, sim_story):  # noqa: F811
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(page, "marketing")
    page.goto(f"{page.base_url}/analytics/")
    page.click("text=What-if simulator")
    page.wait_for_load_state()
    assert page.input_value("#id_gold_threshold") == "50000.00"  # prefilled with today's rules
    page.fill("#id_gold_threshold", "40 000")
    page.click("button:has-text('Replay')")
    page.wait_for_load_state()
    assert re.search(r"[?&]gold_threshold=40\+000", page.url)  # the scenario is in the link
    cells = page.locator('tr[data-figure="customers.gold"] td').all_inner_texts()
    assert [c.strip() for c in cells[1:]] == ["0", "1", "+1"]  # C (46 000 spent) moves up to Gold
    cells = page.locator('tr[data-figure="points_issued"] td').all_inner_texts()
    assert [c.strip() for c in cells[1:]] == ["806", "836", "+30"]  # C's purchase of 1 000.00 at 10 % not 7 %
    assert errors == []
    screenshot(page, "console-simulator")
