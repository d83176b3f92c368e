"""Factories for customers: enrolled through the public service, as the till, the console and the API do."""

import factory

from customers.models import Customer
from customers.services import customer_enrol


def _phone(n: int) -> str:
    """The n-th test phone, written as people type it: 1 → "+7 900 000-00-01" (+79000000001)."""
    digits = f"{n:07d}"
    return f"+7 900 {digits[:3]}-{digits[3:5]}-{digits[5:]}"


class CustomerFactory(factory.django.DjangoModelFactory):
    """`customer_enrol` with a name and a unique valid Russian mobile number; any other field of the service
    (email, birthday, referral_code, card_number, actor, now…) can be passed."""

    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n + 1}")
    phone = factory.Sequence(lambda n: _phone(n + 1))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return customer_enrol(*args, **kwargs)
