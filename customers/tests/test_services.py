import datetime as dt
import re

import pytest

from core.models import AuditEntry
from customers.exceptions import CustomerError, DuplicateEmail, DuplicatePhone, InvalidPhone, UnknownReferralCode
from customers.models import Customer
from customers.services import customer_enrol, customer_update

pytestmark = pytest.mark.django_db


def test_enrol_normalises_phone_gives_card_and_referral_code_and_audits():
    customer = customer_enrol(name="  Ivan Ivanov ", phone="8 (912) 345 67 89", email="Ivan@Example.COM")
    assert customer.name == "Ivan Ivanov"
    assert customer.phone == "+79123456789"
    assert customer.email == "ivan@example.com"
    assert len(customer.card_number) == 13
    assert len(customer.referral_code) == 8
    entry = AuditEntry.objects.get(action="customer.enrol")
    assert entry.object_id == str(customer.pk)


@pytest.mark.parametrize("other_format", ["+7 912 345-67-89", "8 (912) 345 67 89", "+79123456789"])
def test_duplicate_phone_in_any_format_is_refused_and_changes_nothing(other_format):
    customer_enrol(name="First", phone="+79123456789")
    with pytest.raises(DuplicatePhone) as exc:
        customer_enrol(name="Second", phone=other_format)
    assert "+79123456789" in exc.value.message
    assert exc.value.field == "phone"
    assert Customer.objects.count() == 1
    assert AuditEntry.objects.count() == 1


def test_duplicate_email_is_refused():
    customer_enrol(name="First", phone="+79123456789", email="a@example.com")
    with pytest.raises(DuplicateEmail):
        customer_enrol(name="Second", phone="+79123456780", email="A@example.com")
    assert Customer.objects.count() == 1


def test_bad_input_says_why_and_changes_nothing():
    with pytest.raises(InvalidPhone):
        customer_enrol(name="X", phone="12")
    with pytest.raises(CustomerError) as exc:
        customer_enrol(name="   ", phone="+79123456789")
    assert exc.value.field == "name"
    with pytest.raises(UnknownReferralCode):
        customer_enrol(name="X", phone="+79123456789", referral_code="NOPE1234")
    assert Customer.objects.count() == 0


def test_referral_code_links_the_new_customer_to_the_referrer():
    referrer = customer_enrol(name="Referrer", phone="+79123456789")
    friend = customer_enrol(name="Friend", phone="+79123456780", referral_code=referrer.referral_code.lower())
    assert friend.referred_by == referrer


def test_enrol_with_the_same_key_returns_the_same_customer():
    first = customer_enrol(name="Anna", phone="+79123456789", idempotency_key="till-1-0001")
    again = customer_enrol(name="Anna", phone="+79123456789", idempotency_key="till-1-0001")
    assert again.pk == first.pk
    assert Customer.objects.count() == 1


def test_update_records_old_and_new_values():
    customer = customer_enrol(name="Anna", phone="+79123456789")
    customer_update(customer=customer, name="Anna P.", birthday=dt.date(1990, 5, 17))
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.changes == {"name": ["Anna", "Anna P."], "birthday": [None, "1990-05-17"]}


def test_update_to_another_customers_phone_is_refused():
    customer_enrol(name="Anna", phone="+79123456789")
    boris = customer_enrol(name="Boris", phone="+79123456780")
    with pytest.raises(DuplicatePhone):
        customer_update(customer=boris, phone="8 912 345 67 89")
    boris.refresh_from_db()
    assert boris.phone == "+79123456780"


@pytest.mark.parametrize(("day", "message"), [
    (dt.date(9999, 12, 30), "Birthday 30 Dec 9999 is in the future."),
    (dt.date(1899, 12, 31), "Birthday 31 Dec 1899 is before 1900."),
])  # fmt: skip
def test_a_birthday_outside_1900_to_today_is_refused_everywhere(program, customer, day, message):
    from customers.exceptions import InvalidBirthday

    with pytest.raises(InvalidBirthday, match=message):
        customer_enrol(name="Boris", phone="+7 900 111-22-33", birthday=day)
    with pytest.raises(InvalidBirthday, match=message):
        customer_update(customer=customer, birthday=day)
    assert Customer.objects.count() == 1
    customer.refresh_from_db()
    assert customer.birthday is None


def test_a_new_customer_writes_in_the_shops_language_unless_another_is_given(settings):
    settings.LANGUAGE_CODE = "ru"
    assert customer_enrol(name="Анна", phone="+79123456789").language == "ru"
    assert customer_enrol(name="Anna", phone="+79123456780", language="en").language == "en"
    settings.LANGUAGE_CODE = "en"
    assert customer_enrol(name="Boris", phone="+79123456781").language == "en"
    assert customer_enrol(name="Борис", phone="+79123456782", language=" RU ").language == "ru"
    assert list(Customer.objects.order_by("pk").values_list("language", flat=True)) == ["ru", "en", "en", "ru"]


def test_a_language_not_in_the_settings_is_refused_and_changes_nothing():
    from customers.exceptions import InvalidLanguage

    message = re.escape("“de” is not one of the languages: en (English), ru (Russian).")
    with pytest.raises(InvalidLanguage, match=message) as exc:
        customer_enrol(name="Anna", phone="+79123456789", language="de")
    assert exc.value.field == "language"
    assert not Customer.objects.exists()
    customer = customer_enrol(name="Anna", phone="+79123456789", language="ru")
    with pytest.raises(InvalidLanguage, match=message):
        customer_update(customer=customer, name="Anna P.", language="de")
    customer.refresh_from_db()
    assert (customer.name, customer.language) == ("Anna", "ru")
    assert not AuditEntry.objects.filter(action="customer.update").exists()


def test_a_change_of_language_is_audited_old_and_new():
    customer = customer_enrol(name="Anna", phone="+79123456789")
    customer_update(customer=customer, language="ru")
    customer_update(customer=customer, language="ru")  # no change: nothing written
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.changes == {"language": ["en", "ru"]}
    assert Customer.objects.get().language == "ru"


def test_the_same_enrolment_key_with_another_language_is_a_conflict():
    from core.exceptions import IdempotencyConflict

    customer_enrol(name="Anna", phone="+79123456789", language="ru", idempotency_key="till-1-0002")
    with pytest.raises(IdempotencyConflict):
        customer_enrol(name="Anna", phone="+79123456789", language="en", idempotency_key="till-1-0002")
    assert (
        customer_enrol(name="Anna", phone="+79123456789", language="ru", idempotency_key="till-1-0002").language == "ru"
    )
    assert Customer.objects.count() == 1
