import datetime as dt
import os
from pathlib import Path

import pytest

from api.tests.factories import ApiClientFactory
from core.tests.factories import PASSWORD, UserFactory
from customers.tests.factories import CustomerFactory
from loyalty.models import ProgramSettings
from loyalty.tests.factories import PurchaseFactory

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
SCREENSHOTS = Path(__file__).resolve().parent / "docs" / "screenshots"


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
    (roles, tiers) if the loop were already running when a transactional test sets up."""
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
        yield page
        assert blocked == [], f"the Content Security Policy blocked: {blocked}"
        context.close()
        browser.close()
    from django.db import connections

    connections.close_all()  # the connection opened from inside the loop's context, so teardown can drop the DB


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request in Russian (LocaleMiddleware) leaves Russian
    active in the thread, which would otherwise leak into the next test's service calls."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
