import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from customers.services import customer_enrol
from loyalty.models import ProgramSettings


@pytest.fixture
def program(db) -> ProgramSettings:
    """The default program: 5 % cashback, 30 % cap, 1 point = 1.00, 365-day lifetime, no delay."""
    row, _ = ProgramSettings.objects.get_or_create(pk=1)
    return row


@pytest.fixture
def customer(db, program):
    return customer_enrol(name="Anna Petrova", phone="+7 912 345-67-89")


@pytest.fixture
def t0() -> dt.datetime:
    """A fixed moment for tests that move through time (noon, shop time zone)."""
    from loyalty.rules import local_midnight

    return local_midnight(dt.date(2026, 3, 1)) + dt.timedelta(hours=12)


def _user(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw-for-tests-1", **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def marketing_user(db):
    return _user("marketing", "Marketing")


@pytest.fixture
def cashier_user(db):
    return _user("cashier", "Cashiers")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password="pw-for-tests-1")


D = Decimal
