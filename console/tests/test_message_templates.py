"""Message templates in the console (issue #14): the list of every kind × channel × language, the editor
(unknown placeholders refused, nothing saved), the live preview for a real customer found by phone or card
number (by POST), in English and Russian, and an SMS's length and segments. Marketing only."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from core.models import AuditEntry
from loyalty.models import Tier, TierStatus
from loyalty.rules import local_midnight
from loyalty.services import points_award, purchase_record
from messaging.models import MessageTemplate
from messaging.services import template_save

from .test_messages import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]

EDIT = "/messages/templates/points_earned/sms/ru/"
PREVIEW = EDIT + "preview/"
NBSP = "\u00a0"


@pytest.fixture
def anna(customer_factory):
    anna = customer_factory(name="Anna Petrova", phone="+7 912 345-67-89", email="anna@example.com")
    points_award(customer_id=anna.pk, points=21, reason="Welcome", use_lifetime=False)
    return anna


def test_the_list_shows_every_built_in_kind_on_every_channel_and_language(console, marketing_user):
    template_save(kind="points_earned", channel="sms", language="ru", body="{name}: +{points}", actor=marketing_user)
    template_save(kind="spring_sale", channel="email", language="en", subject="Sale", body="Hi {name}")
    response = console.get("/messages/templates/")
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page, flags=re.S)
    kinds = [text(kind).strip() for kind, _channel in rows]
    # 5 built-in notices and the campaign's kind, each on 3 channels.
    assert len(rows) == 18
    # Each kind by its name only: no code such as points_earned beside it (a kind of no name reads as stored).
    assert list(dict.fromkeys(kinds)) == [
        "Points earned", "Points about to burn", "Tier upgrade", "Tier at risk", "Balance reminder", "spring_sale",
    ]  # fmt: skip
    console.cookies["django_language"] = "ru"
    russian = text(console.get("/messages/templates/").content.decode())
    assert "Начисление баллов" in russian and "points_earned" not in russian and "tier_upgrade" not in russian
    console.cookies["django_language"] = "en"
    written = re.search(r'data-slot="points_earned/sms/ru">(.*?)</td>', page, flags=re.S).group(1)
    assert "Edit" in text(written) and "by marketing" in text(written)
    missing = re.search(r'data-slot="points_earned/sms/en">(.*?)</td>', page, flags=re.S).group(1)
    assert "No template" in text(missing)
    assert f'href="{EDIT}"' in page
    assert page.count("No template") == 18 * 2 - 2


def test_saving_a_template_is_audited_and_unknown_placeholders_are_a_form_error(console, marketing_user):
    page = console.get(EDIT)
    assert page.status_code == 200
    assert 'name="subject"' not in page.content.decode()  # SMS: no subject
    assert "{spend_needed}" in text(page.content.decode())  # the placeholders are listed with their meaning
    refused = console.post(EDIT, {"body": "{name}, +{pointz}"})
    assert refused.status_code == 400
    assert "Unknown placeholders: {pointz}." in text(refused.content.decode())
    assert not MessageTemplate.objects.exists() and not AuditEntry.objects.exists()
    braces = console.post(EDIT, {"body": "50% off {"})
    assert braces.status_code == 400 and "write {{ and }} for a brace itself" in text(braces.content.decode())
    saved = console.post(EDIT, {"body": "{name}, +{points}. Баланс: {balance}."}, follow=True)
    assert saved.status_code == 200 and "Template saved." in text(saved.content.decode())
    template = MessageTemplate.objects.get()
    assert (template.kind, template.channel, template.language, template.updated_by) == (
        "points_earned",
        "sms",
        "ru",
        marketing_user,
    )
    assert AuditEntry.objects.filter(action="message_template.save").count() == 1
    assert "{name}, +{points}. Баланс: {balance}." in console.get(EDIT).content.decode()


def test_an_email_template_has_a_subject_and_an_empty_text_is_refused(console):
    url = "/messages/templates/tier_upgrade/email/en/"
    assert 'name="subject"' in console.get(url).content.decode()
    refused = console.post(url, {"subject": "Hi {user}", "body": ""})
    assert refused.status_code == 400
    assert not MessageTemplate.objects.exists()
    assert console.post(url, {"subject": "Welcome to {tier}", "body": "Hi {name}"}).status_code == 302
    assert MessageTemplate.objects.get().subject == "Welcome to {tier}"


def test_unknown_kind_channel_or_language_is_404(console):
    assert console.get("/messages/templates/no_such_kind/sms/en/").status_code == 404
    assert console.get("/messages/templates/points_earned/fax/en/").status_code == 404
    assert console.get("/messages/templates/points_earned/sms/de/").status_code == 404
    assert console.post("/messages/templates/points_earned/sms/de/preview/", {"body": "x"}).status_code == 404


def test_the_preview_renders_for_a_customer_found_by_phone_in_russian(console, anna):
    response = console.post(
        PREVIEW, {"body": "{name}, у вас {balance}. Карта {card_number}", "customer": "89123456789"}
    )
    assert response.status_code == 200
    shown = text(response.content.decode())
    assert f"Anna, у вас 21 балл. Карта {anna.card_number}" in shown
    assert "For Anna Petrova · +7 912 ***-**-89" in shown
    assert "89123456789" not in response.content.decode() and "345-67" not in shown  # the phone stays masked


def test_the_preview_renders_in_english_for_a_customer_found_by_card_number(console, anna):
    response = console.post(
        "/messages/templates/points_earned/email/en/preview/",
        {
            "subject": "{name}: {balance}",
            "body": "Hello {name}, you have {balance} ({tier}).",
            "customer": anna.card_number,
        },
    )
    shown = text(response.content.decode())
    assert "Anna: 21 points" in shown
    assert "Hello Anna, you have 21 points (Bronze)." in shown
    assert "segment" not in shown  # an email has no segments


def test_the_preview_says_what_is_wrong(console, anna, customer_factory):
    unknown = text(console.post(PREVIEW, {"body": "{name} {bonus}", "customer": anna.card_number}).content.decode())
    assert "Unknown placeholders: {bonus}." in unknown
    nobody = text(console.post(PREVIEW, {"body": "{name}", "customer": "+7 999 000-00-00"}).content.decode())
    assert "No customer has this phone or card number." in nobody
    customer_factory(name="Anna Sidorova", phone="+7 913 000-67-89")
    several = text(console.post(PREVIEW, {"body": "{name}", "customer": "6789"}).content.decode())
    assert "Several customers match" in several
    nothing = text(console.post(PREVIEW, {"body": "Привет"}).content.decode())
    assert "Type a customer's phone or card number" in nothing


@pytest.mark.parametrize(
    ("body", "length", "segments"),
    [
        ("я" * 71, 71, 2),  # Cyrillic: 70 in one SMS
        ("a" * 160, 160, 1),  # Latin: 160 in one SMS
        ("a" * 161, 161, 2),
        ("я" * 70, 70, 1),
    ],
)
def test_the_preview_counts_an_sms_length_and_segments(console, body, length, segments):
    shown = text(console.post(PREVIEW, {"body": body}).content.decode())
    unit = "segment" if segments == 1 else "segments"
    assert f"{length} characters, {segments} {unit}" in shown


def test_the_segments_count_the_rendered_text(console, anna):
    # As typed: 6 + 66 = 72 characters, 2 segments; rendered, "Anna" is 4: 70 characters, one SMS.
    typed = text(console.post(PREVIEW, {"body": "{name}" + "я" * 66}).content.decode())
    assert "The text as typed (placeholders not filled in): 72 characters, 2 segments" in typed
    shown = text(console.post(PREVIEW, {"body": "{name}" + "я" * 66, "customer": anna.card_number}).content.decode())
    assert "This SMS: 70 characters, 1 segment" in shown


def test_the_preview_is_in_the_templates_language_whatever_the_staff_reads(console, anna):
    console.cookies["django_language"] = "ru"  # the console in Russian
    assert console.get(EDIT).status_code == 200
    english = "/messages/templates/points_earned/sms/en/preview/"
    assert "21 points" in text(
        console.post(english, {"body": "{balance}", "customer": anna.card_number}).content.decode()
    )
    assert "21 балл" in text(
        console.post(PREVIEW, {"body": "{balance}", "customer": anna.card_number}).content.decode()
    )


def test_a_text_too_long_is_said_in_the_preview(console):
    shown = text(console.post(PREVIEW, {"body": "a" * 5001}).content.decode())
    assert "Ensure this value has at most 5000 characters (it has 5001)." in shown
    assert "5000 characters, 33 segments" in shown  # what would be saved at most


def test_the_preview_is_post_only(console):
    assert console.get(PREVIEW, {"body": "x", "customer": "+79123456789"}).status_code == 405


@pytest.mark.parametrize("url", ["/messages/templates/", EDIT])
def test_cashiers_get_403_and_anonymous_people_go_to_the_login_page(client, cashier_user, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(cashier_user)
    assert client.get(url).status_code == 403
    assert client.post(PREVIEW, {"body": "x"}).status_code == 403
    assert client.post(EDIT, {"body": "x"}).status_code == 403
    assert not MessageTemplate.objects.exists()


def test_the_preview_needs_the_csrf_token(marketing_user, anna):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(marketing_user)
    assert strict.post(PREVIEW, {"body": "{name}", "customer": anna.card_number}).status_code == 403


def test_the_navigation_links_to_templates_and_channels(console, client, cashier_user):
    page = console.get("/messages/").content.decode()
    assert 'href="/messages/templates/"' in page and 'href="/messages/channels/"' in page
    client.force_login(cashier_user)
    assert 'href="/messages/templates/"' not in client.get("/cashier/").content.decode()


def _menu_and_tabs(page: str) -> tuple[list[str], list[str]]:
    menu = re.search(r'id="messages-menu">(.*?)</ul>', page, flags=re.S).group(1)
    tabs = re.search(r'id="messages-tabs">(.*?)</ul>', page, flags=re.S).group(1)
    return [text(a).strip() for a in re.findall(r"<a[^>]*>.*?</a>", menu)], [
        text(a).strip() for a in re.findall(r"<a[^>]*>.*?</a>", tabs)
    ]


def test_the_messages_menu_lists_the_same_pages_as_the_tabs(console, client, user_factory):
    """Issue #14 (tester): the menu lacked "Results by kind" and "Notices"; it lists what the tabs list,
    each page for those who may open it (a user who may only read the outbox gets a menu too)."""
    menu, tabs = _menu_and_tabs(console.get("/messages/").content.decode())
    assert menu == tabs == ["Outbox", "Templates", "Results by kind", "Notices", "Channels"]
    reader = user_factory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_message", content_type__app_label="messaging"))
    client.force_login(reader)
    menu, tabs = _menu_and_tabs(client.get("/messages/").content.decode())
    assert menu == tabs == ["Outbox", "Results by kind", "Channels"]


def test_a_fields_error_is_the_element_its_aria_describedby_names(console):
    """Issue #14 (tester): the text's aria-describedby named id_body_error while its error had the id
    body-error, so a screen reader read no error; the same for an email's subject."""
    url = "/messages/templates/tier_upgrade/email/en/"
    for field, data, error in (
        ("body", {"subject": "Hi", "body": "{pointz}"}, "Unknown placeholders: {pointz}."),
        ("subject", {"subject": "Hi {user}", "body": "Hi"}, "Unknown placeholders: {user}."),
    ):
        refused = console.post(url, data)
        assert refused.status_code == 400
        page = refused.content.decode()
        described = re.search(rf'<[^>]*name="{field}"[^>]*aria-describedby="([^"]+)"', page).group(1)
        target = re.search(rf'<div[^>]*id="{described}"[^>]*>(.*?)</div>\s*</div>', page, flags=re.S)
        assert target and error in text(target.group(1)), field


def _day(date) -> str:
    return f"{date.day} {date:%B %Y}"


@pytest.fixture
def at_risk(customer_factory):
    """Boris holds Gold (threshold 10 000.00) but spent 6 800.00 in the window; found under the threshold
    23 days ago, so with the 30-day grace the review in 7 days moves him down: the tier-at-risk notice
    would ask for 3 200.00 more by the day before that review (the job's own test works the same case,
    messaging/tests/test_notices.py)."""
    Tier.objects.all().delete()
    Tier.objects.create(name="Silver", code="silver", order=1, threshold=Decimal("0.00"),
                        cashback_percent=Decimal("5.00"), redeem_cap_percent=Decimal("30.00"))  # fmt: skip
    gold = Tier.objects.create(name="Gold", code="gold", order=2, threshold=Decimal("10000.00"),
                               cashback_percent=Decimal("7.00"), redeem_cap_percent=Decimal("30.00"))  # fmt: skip
    boris = customer_factory(name="Boris Ivanov", phone="+7 926 111-22-33")
    now = timezone.now()
    purchase_record(customer_id=boris.pk, amount="6800.00", now=now - dt.timedelta(days=100))
    today = timezone.localdate()
    TierStatus.objects.update_or_create(
        customer=boris, defaults={"tier": gold, "below_since": today - dt.timedelta(days=23), "changed_at": now}
    )
    return boris, today + dt.timedelta(days=6)


def test_the_placeholders_mean_what_the_notice_passes(console):
    """Issue #14 (tester): the editor said {spend_needed} was the money to reach the next tier and
    {expires_on} the date the points burn, also for the tier-at-risk notice, which passes other values."""
    at_risk = text(console.get("/messages/templates/tier_at_risk/sms/en/").content.decode())
    assert "{spend_needed} the money still to spend to keep the current tier" in at_risk
    assert "{expires_on} the last day a purchase counts towards keeping the tier" in at_risk
    burning = text(console.get("/messages/templates/points_burning/sms/en/").content.decode())
    assert "{points} the points that burn on that date" in burning
    assert "{expires_on} the date those points burn" in burning
    assert "{valid_through} the last day those points can be spent (the day before they burn)" in burning
    upgrade = text(console.get("/messages/templates/tier_upgrade/sms/en/").content.decode())
    assert "{spend_needed} the money still to spend to reach the next tier" in upgrade


def test_the_tier_at_risk_preview_shows_what_the_notice_would_say(console, at_risk, anna):
    _boris, last_day = at_risk
    url = "/messages/templates/tier_at_risk/sms/en/preview/"
    body = "Spend {spend_needed} more by {expires_on} to keep {tier}."
    shown = text(console.post(url, {"body": body, "customer": "+79261112233"}).content.decode())
    assert f"Spend 3,200.00 ₽ more by {_day(last_day)} to keep Gold." in shown, shown
    assert "Example values" not in shown
    # Anna's tier is not at risk: example values, and the preview says so.
    shown = text(console.post(url, {"body": body, "customer": "89123456789"}).content.decode())
    assert "Example values: this customer's tier is not at risk." in shown


def test_the_points_burning_preview_shows_the_points_of_the_next_burning_date(console, anna, customer_factory):
    """Anna (21 points that never burn) gets 30 and 12 points burning on one day and 50 on a later one:
    the notice would say 42 points and that day; a customer with nothing burning gets example values."""
    url = "/messages/templates/points_burning/sms/en/preview/"
    body = "{points} burn on {expires_on}."
    shown = text(console.post(url, {"body": body, "customer": "89123456789"}).content.decode())
    assert "Example values: none of this customer's points burn." in shown, shown
    soon = timezone.localdate() + dt.timedelta(days=10)
    at = local_midnight(soon)
    points_award(customer_id=anna.pk, points=30, reason="Spring", expires_at=at + dt.timedelta(hours=10))
    points_award(customer_id=anna.pk, points=12, reason="Spring", expires_at=at + dt.timedelta(hours=20))
    points_award(customer_id=anna.pk, points=50, reason="Summer", expires_at=at + dt.timedelta(days=5))
    shown = text(console.post(url, {"body": body, "customer": "89123456789"}).content.decode())
    assert f"42 points burn on {_day(soon)}." in shown, shown
    assert "Example values" not in shown
