import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import connections

from api.tests.factories import ApiClientFactory
from core.tests.factories import PASSWORD, UserFactory
from customers.tests.factories import CustomerFactory
from loyalty.models import ProgramSettings
from loyalty.tests.factories import PurchaseFactory


def pytest_configure(config):
    # The test database must be dropped at the end of the run. A connection left open (by a thread, or by a
    # browser test's ORM calls while Playwright's loop runs: see `page`) would stop that, and pytest-django
    # only warns "Error when trying to teardown test databases"; here that fails the run instead.
    config.addinivalue_line("filterwarnings", "error:Error when trying to teardown test databases:pytest.PytestWarning")


# --- factories (factory_boy), one module per app: <app>/tests/factories.py ------------------------------


@pytest.fixture
def user_factory(db) -> type[UserFactory]:
    return UserFactory


@pytest.fixture
def customer_factory(db) -> type[CustomerFactory]:
    return CustomerFactory


@pytest.fixture
def purchase_factory(db) -> type[PurchaseFactory]:
    return PurchaseFactory


@pytest.fixture
def api_client_factory(db) -> type[ApiClientFactory]:
    return ApiClientFactory


# --- the program and the people in it ---------------------------------------------------------------


@pytest.fixture
def program(db) -> ProgramSettings:
    """The default program: 5 % cashback, 30 % cap, 1 point = 1.00, 365-day lifetime, no delay."""
    row, _ = ProgramSettings.objects.get_or_create(pk=1)
    return row


@pytest.fixture
def customer(db, program):
    return CustomerFactory(name="Anna Petrova", phone="+7 912 345-67-89")


@pytest.fixture
def t0() -> dt.datetime:
    """A fixed moment for tests that move through time (noon, shop time zone)."""
    from loyalty.rules import local_midnight

    return local_midnight(dt.date(2026, 3, 1)) + dt.timedelta(hours=12)


@pytest.fixture
def marketing_user(db):
    return UserFactory(username="marketing", groups=["Marketing"])


@pytest.fixture
def cashier_user(db):
    return UserFactory(username="cashier", groups=["Cashiers"])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", superuser=True)


# --- browser tests (Playwright for Python driving Debian's /usr/bin/chromium) -------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS_DIR = Path(__file__).resolve().parent / "docs" / "screenshots"


def _playwright_or_skip():
    """Outside CI the browser tests skip when Playwright or Chromium is missing; with CI=true they must
    run, so a missing piece is an error there."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            raise
        pytest.skip("Playwright for Python is not installed (scripts/test installs it)")
    if not Path(CHROMIUM).exists():
        if in_ci:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    return sync_playwright


@pytest.fixture
def page(live_server):
    """A page in headless Chromium, started per test AFTER the database is set up: Playwright's sync API
    runs an event loop, and Django's per-context connections would not see the restored migration data
    (roles, tiers) if the loop were already running when a transactional test sets up.

    While the loop runs (from `sync_playwright()` until its block ends), Django keeps the connections of
    this thread apart from the ones it had before (asgiref's Local: per context when a loop is running),
    so the ORM calls of the test open a second connection. It is closed before the loop stops: closed
    after, `connections.close_all()` would only see the first set, and the second would stay open to the
    end of the run ("database … is being accessed by other users" when the test database is dropped)."""
    sync_playwright = _playwright_or_skip()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls from the test while the loop runs
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        # Anything the Content Security Policy blocks (an inline script or style) fails the test.
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            connections.close_all()  # the ones the test opened while the loop runs (see above)
            context.close()
            browser.close()
    assert blocked == [], f"the Content Security Policy blocked: {blocked}"


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    # wait_for_load_state() alone may answer for the login page itself, before the redirect: a test that
    # then types at once lost its first keys under load (the cashier's search got "+375 2…"). Wait until
    # the browser has left the login page and the next one has loaded.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state()


def screenshots_wanted() -> bool:
    """True when the run was asked to rewrite the README's screenshots: `SCREENSHOTS=1 scripts/test`."""
    return os.environ.get("SCREENSHOTS", "").strip().lower() in {"1", "true", "yes"}


def screenshot(page, name: str) -> Path | None:
    """Save the whole page as docs/screenshots/<name>.png, only when screenshots_wanted(): otherwise a
    test run would rewrite the committed images (a pixel differs from run to run) and leave the git tree
    changed. Returns the file written, or None."""
    if not screenshots_wanted():
        return None
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request in Russian (LocaleMiddleware) leaves Russian
    active in the thread, which would otherwise leak into the next test's service calls."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
