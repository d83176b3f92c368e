"""The navbar at 1280 and 1024 px, in English and Russian, for a user who sees every item: one row, nothing
wraps inside an item, the page does not scroll sideways (issue #15, tester: the Russian navbar wrapped)."""

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_navbar_keeps_one_row(page, superuser, language):
    browser_login(page, superuser.get_username())
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{page.base_url}/campaigns/")
        geometry = page.evaluate(
            """() => {
              const items = [...document.querySelectorAll('#mainnav .navbar-nav > .nav-item')];
              const nav = document.querySelector('nav.navbar');
              return {
                count: items.length,
                tops: items.map(i => Math.round(i.getBoundingClientRect().top)),
                heights: items.map(i => Math.round(i.getBoundingClientRect().height)),
                navHeight: Math.round(nav.getBoundingClientRect().height),
                scroll: document.documentElement.scrollWidth,
                language: Math.round(document.querySelector('nav select[name=language]').getBoundingClientRect().width),
              };
            }"""
        )
        assert geometry["count"] >= 10, geometry  # the superuser sees every item
        assert len(set(geometry["tops"])) == 1, (language, width, geometry)  # one row
        assert max(geometry["heights"]) < 50, (language, width, geometry)  # no label wraps inside its item
        assert geometry["navHeight"] < 80, (language, width, geometry)
        assert geometry["scroll"] <= width, (language, width, geometry)
        # the language select keeps room for "RU" and its arrow (tester: squeezed to "R" as admin)
        assert geometry["language"] >= 56, (language, width, geometry)
