"""The API's documentation pages in a real browser: they render the schema with nothing blocked by the
Content Security Policy (the `page` fixture fails a test on any CSP message) and no web font requested."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize(
    ("path", "ready"),
    [("/api/docs/", "text=/api/v1/purchases/"), ("/api/redoc/", "h2:has-text('Record a purchase')")],
)
def test_docs_pages_render_offline_and_within_the_policy(page, path, ready):
    fonts = []
    page.on("request", lambda request: fonts.append(request.url) if request.resource_type == "font" else None)
    page.goto(f"{page.base_url}{path}")
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    assert fonts == []
