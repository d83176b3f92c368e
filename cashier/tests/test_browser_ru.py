"""A Russian cashier's day in a real browser: amounts typed the Russian way ("999,90", "1 000"), enrolment
from a search for a Belarusian number, and a refund that says how much money to hand back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import browser_login
from customers.models import Customer
from loyalty import services
from loyalty.models import Purchase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NBSP = "\u00a0"


def in_russian(page) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "ru", "url": page.base_url}])


def test_amounts_typed_the_russian_way_are_quoted_and_recorded_as_typed(page, cashier_user, customer):
    in_russian(page)
    browser_login(page, "cashier")
    page.goto(f"{page.base_url}/cashier/customer/{customer.pk}/")
    assert page.input_value("#id_redeem_points") == ""  # nothing to select and delete before typing
    page.fill("#id_amount", "999,90")
    # The live quote reads the amount as Confirm will: 5 % of 999,90 → 49 points.
    page.wait_for_selector("#redeem-help >> text=Без баллов эта покупка принесёт 49 баллов.")
    page.click("#purchase-form button[type=submit]")
    page.wait_for_url("**/cashier/purchase/*/")
    assert page.inner_text("#paid") == f"999,90{NBSP}₽"
    page.goto(f"{page.base_url}/cashier/customer/{customer.pk}/")
    page.fill("#id_amount", "1 000")
    page.wait_for_selector("#redeem-help >> text=Без баллов эта покупка принесёт 50 баллов.")
    page.click("#purchase-form button[type=submit]")
    page.wait_for_url("**/cashier/purchase/*/")
    assert page.inner_text("#paid") == f"1{NBSP}000,00{NBSP}₽"
    assert list(Purchase.objects.order_by("pk").values_list("amount", flat=True)) == [
        Decimal("999.90"),
        Decimal("1000.00"),
    ]


def test_enrolment_from_a_search_keeps_the_plus_of_a_foreign_number(page, cashier_user, program):
    in_russian(page)
    browser_login(page, "cashier")
    # The search field has the focus once the page is ready; wait for that before typing (under load the
    # first keys could go nowhere, leaving "+375 29 123-45-6", no valid phone, and an empty enrol form).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_q'")
    page.keyboard.type("+375 29 123-45-67")
    assert page.input_value("#id_q") == "+375 29 123-45-67"
    page.keyboard.press("Enter")
    page.click("text=Зарегистрировать нового клиента")
    page.wait_for_url("**/cashier/enrol/**")
    assert page.input_value("#id_phone") == "+375291234567"
    # The phone is filled: the first empty field, the name, has the focus.
    assert page.evaluate("document.activeElement.id") == "id_name"
    page.keyboard.type("Валерия Степанова")
    page.click("#enrol-form button[type=submit]")
    page.wait_for_url("**/cashier/customer/*/")
    assert Customer.objects.get().phone == "+375291234567"


def test_a_refund_says_how_much_money_to_hand_back(page, cashier_user, customer):
    services.points_award(
        customer_id=customer.pk, points=300, reason="bonus", now=timezone.now() - dt.timedelta(minutes=1)
    )
    purchase = services.purchase_record(customer_id=customer.pk, amount=Decimal("1000.00"), redeem_points=300).purchase
    in_russian(page)
    browser_login(page, "cashier")
    page.goto(f"{page.base_url}/cashier/purchase/{purchase.pk}/")
    page.fill("#id_refund_amount", "500")
    page.click("#refund-amount")
    page.wait_for_selector(".alert-success")
    assert page.inner_text(".alert-success") == (
        f"Возвращено 500,00{NBSP}₽. Отдайте покупателю 350,00{NBSP}₽ деньгами. "
        f"150 баллов, которыми заплачено 150,00{NBSP}₽, возвращаются на карту."
    )
    page.click("#refund-rest")
    page.wait_for_selector("text=Покупка возвращена полностью.")
    assert (
        page.locator(".alert-success").inner_text().startswith(f"Возвращено 500,00{NBSP}₽. Отдайте покупателю 350,00")
    )
