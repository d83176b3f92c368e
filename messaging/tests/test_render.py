"""Templates rendered for a real customer (messaging.services.render): every placeholder's value in the
customer's language, with Russian plural forms, money in the program's currency, dates as each language
writes them, the next tier worked out by hand; the template of a kind and its language fallback."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.services import customer_update
from loyalty.models import Tier
from loyalty.rules import local_midnight
from loyalty.services import points_award
from messaging.services import template_save
from messaging.services.render import message_render, placeholder_values, template_render

NBSP = "\u00a0"


def award(customer, points, *, at, expires_at=None):
    points_award(customer_id=customer.pk, points=points, reason="Welcome", expires_at=expires_at, now=at)


@pytest.mark.parametrize(
    ("points", "ru", "en"),
    [
        (1, "1 балл", "1 point"),
        (2, "2 балла", "2 points"),
        (5, "5 баллов", "5 points"),
        (21, "21 балл", "21 points"),
        (1000, f"1{NBSP}000 баллов", "1,000 points"),
    ],
)
def test_points_and_balance_in_russian_plural_forms(customer, t0, points, ru, en):
    award(customer, points, at=t0)
    values = placeholder_values(customer, language="ru", now=t0)
    assert values["balance"] == ru
    assert values["points"] == ru  # no points given: the balance
    assert placeholder_values(customer, language="en", now=t0)["balance"] == en


def test_every_placeholder_for_a_customer_in_russian_and_english(customer, t0, settings):
    settings.MESSAGING_SHOP_NAME = "Ромашка"
    award(customer, 300, at=t0, expires_at=local_midnight(dt.date(2026, 12, 12)))
    award(customer, 50, at=t0)  # the program's lifetime: 365 days, burns on 1 March 2027
    ru = placeholder_values(customer, language="ru", now=t0)
    assert ru == {
        "name": "Anna",
        "points": "350 баллов",
        "balance": "350 баллов",
        "expires_on": "12 декабря 2026 г.",  # the soonest-burning points
        "valid_through": "11 декабря 2026 г.",  # they burn at the start of the 12th: the 11th is their last day
        "tier": "Bronze",
        "next_tier": "Silver",
        "spend_needed": f"15{NBSP}000,00{NBSP}₽",
        "card_number": customer.card_number,
        "shop": "Ромашка",
    }
    en = placeholder_values(customer, language="en", now=t0)
    assert (en["expires_on"], en["spend_needed"], en["balance"]) == (
        "12 December 2026",
        f"15,000.00{NBSP}₽",
        "350 points",
    )
    # After the first lot burnt: the next date; after all burnt: nothing left, no date.
    later = placeholder_values(customer, language="en", now=local_midnight(dt.date(2026, 12, 12)))
    assert (later["balance"], later["expires_on"], later["valid_through"]) == (
        "50 points",
        "1 March 2027",
        "28 February 2027",
    )
    gone = placeholder_values(customer, language="ru", now=local_midnight(dt.date(2027, 3, 2)))
    assert (gone["balance"], gone["expires_on"], gone["valid_through"]) == ("0 баллов", "", "")


def test_extra_values_are_formatted_in_the_language(customer, t0):
    extra = {"points": 120, "expires_on": dt.date(2027, 1, 31), "spend_needed": Decimal("1500.5"), "tier": "Gold"}
    ru = placeholder_values(customer, language="ru", extra=extra, now=t0)
    assert (ru["points"], ru["expires_on"], ru["spend_needed"], ru["tier"]) == (
        "120 баллов",
        "31 января 2027 г.",
        f"1{NBSP}500,50{NBSP}₽",
        "Gold",
    )
    en = placeholder_values(customer, language="en", extra=extra, now=t0)
    assert (en["points"], en["expires_on"], en["spend_needed"]) == ("120 points", "31 January 2027", f"1,500.50{NBSP}₽")
    assert ru["balance"] == "0 баллов"  # the rest still come from the customer
    with pytest.raises(ValueError, match="not placeholders: discount"):
        placeholder_values(customer, language="ru", extra={"discount": 5}, now=t0)
    with pytest.raises(TypeError):
        placeholder_values(customer, language="ru", extra={"spend_needed": 1.5}, now=t0)  # money is never a float
    with pytest.raises(ValueError, match="unknown language"):
        placeholder_values(customer, language="de", now=t0)


def test_a_gold_customer_and_the_spend_to_the_next_tier(customer_factory, purchase_factory, program, t0):
    Tier.objects.create(
        name="Platinum",
        code="platinum",
        order=4,
        colour="#e5e4e2",
        threshold=Decimal("120000.00"),
        cashback_percent=Decimal("12.00"),
        redeem_cap_percent=Decimal("30.00"),
    )
    gold = customer_factory(name="Boris Ivanov")
    purchase_factory(customer=gold, amount="30000.00", now=t0)
    purchase_factory(customer=gold, amount="25000.50", now=t0 + dt.timedelta(days=1))
    # 55 000.50 spent: Gold from 50 000; Platinum needs 120 000 − 55 000.50 = 64 999.50 more.
    values = placeholder_values(gold, language="ru", now=t0 + dt.timedelta(days=2))
    assert (values["name"], values["tier"], values["next_tier"], values["spend_needed"]) == (
        "Boris",
        "Gold",
        "Platinum",
        f"64{NBSP}999,50{NBSP}₽",
    )
    # A purchase more than the tier window (365 days) ago no longer counts towards the next tier.
    year_on = placeholder_values(gold, language="en", now=t0 + dt.timedelta(days=365, hours=1))
    assert year_on["spend_needed"] == f"94,999.50{NBSP}₽"  # only the 25 000.50 counts; still Gold until a review


def test_at_the_top_tier_next_tier_and_spend_needed_are_empty(customer, purchase_factory, t0):
    purchase_factory(customer=customer, amount="50000.00", now=t0)
    values = placeholder_values(customer, language="en", now=t0 + dt.timedelta(hours=1))
    assert (values["tier"], values["next_tier"], values["spend_needed"]) == ("Gold", "", "")


def test_an_erased_customer_is_addressed_neutrally(customer, t0):
    from customers.services import customer_erase

    customer_erase(customer=customer, actor=None)
    customer.refresh_from_db()
    # (Russian: "уважаемый клиент", from the catalogue once the merge compiles it.)
    assert placeholder_values(customer, language="en", now=t0)["name"] == "dear customer"


def test_placeholder_values_takes_three_queries_whatever_the_history(customer, purchase_factory, t0):
    for day in range(5):
        purchase_factory(customer=customer, amount="1000.00", now=t0 + dt.timedelta(days=day))
    with CaptureQueriesContext(connection) as queries:
        placeholder_values(customer, language="ru", now=t0 + dt.timedelta(days=6))
    assert len(queries) == 3


def test_template_render_keeps_literal_braces():
    values = {"name": "Анна", "points": "50 баллов"}
    assert template_render("{name}: +{points} {{бонус}}", values) == "Анна: +50 баллов {бонус}"
    with pytest.raises(KeyError):
        template_render("{tier}", values)


def test_message_render_in_the_customers_language_with_a_fallback(customer, t0, settings, marketing_user):
    award(customer, 2, at=t0)
    template_save(kind="points_earned", channel="sms", language="ru", body="{name}, +{points}. Баланс: {balance}.")
    template_save(
        kind="points_earned", channel="email", language="en", subject="{name}, you earned {points}", body="Hi {name}"
    )
    settings.LANGUAGE_CODE = "en"
    customer_update(customer=customer, language="ru")  # the customer's language, not the shop's
    sms = message_render(customer=customer, kind="points_earned", channel="sms", extra={"points": 21}, now=t0)
    assert (sms.text, sms.subject, sms.language, sms.template.language) == (
        "Anna, +21 балл. Баланс: 2 балла.",
        "",
        "ru",
        "ru",
    )
    # No Russian email template: the English one, rendered in English.
    email = message_render(customer=customer, kind="points_earned", channel="email", now=t0)
    assert (email.subject, email.text, email.language) == ("Anna, you earned 2 points", "Hi Anna", "en")
    # English asked for, only Russian exists on SMS: the Russian one.
    assert (
        message_render(customer=customer, kind="points_earned", channel="sms", language="en", now=t0).language == "ru"
    )
    assert message_render(customer=customer, kind="points_earned", channel="messenger", now=t0) is None
    assert message_render(customer=customer, kind="tier_upgrade", channel="sms", now=t0) is None
    with CaptureQueriesContext(connection) as queries:
        message_render(customer=customer, kind="points_earned", channel="sms", now=t0)
    assert len(queries) == 4


@pytest.mark.parametrize(
    ("points", "balance", "ru"),
    [(1, 21, "Анна, +1 балл. Баланс: 21 балл."), (2, 22, "Анна, +2 балла. Баланс: 22 балла."),
     (5, 25, "Анна, +5 баллов. Баланс: 25 баллов."), (11, 1011, f"Анна, +11 баллов. Баланс: 1{NBSP}011 баллов.")],
)  # fmt: skip
def test_each_customer_gets_the_template_of_their_own_language_whatever_the_shops(
    customer_factory, t0, settings, points, balance, ru
):
    settings.LANGUAGE_CODE = "en"  # the shop's default
    template_save(kind="points_earned", channel="sms", language="en", body="{name}, +{points}. Balance: {balance}.")
    template_save(kind="points_earned", channel="sms", language="ru", body="{name}, +{points}. Баланс: {balance}.")
    anna = customer_factory(name="Анна Петрова", phone="+7 912 345-67-89", language="ru")
    john = customer_factory(name="John Smith", phone="+7 912 345-67-80")  # none given: the shop's, English
    for someone in (anna, john):
        award(someone, balance, at=t0)
    rendered = message_render(customer=anna, kind="points_earned", channel="sms", extra={"points": points}, now=t0)
    assert (rendered.text, rendered.language, rendered.template.language) == (ru, "ru", "ru")
    rendered = message_render(customer=john, kind="points_earned", channel="sms", extra={"points": points}, now=t0)
    english = f"John, +{points} point{'s' if points != 1 else ''}. Balance: {balance:,} points."
    assert (rendered.text, rendered.language) == (english, "en")
