"""Idempotency keys (core.idempotency) as every service checks them: the same key with the same request
returns the first result, with another request it is a conflict, also said in words on the pages.

The TestCase… classes are issue #9's hand-worked stories (their default settings: loyalty/tests/helpers.py).
"""

import datetime as dt

import pytest

from core.exceptions import IdempotencyConflict
from customers.models import Customer
from customers.services import customer_enrol
from loyalty import services
from loyalty.models import PointsAccount
from loyalty.tests.helpers import T, balance, bonus

pytestmark = pytest.mark.django_db


class TestCase7OneWayToCheckIdempotencyKeys:
    def test_adjustment_key_for_another_customer_is_a_conflict(self, customer, marketing_user, customer_factory):
        other = customer_factory(name="Boris")
        first = services.points_adjust(
            customer_id=customer.pk, points=10, reason="x", actor=marketing_user, idempotency_key="adj-1"
        )
        again = services.points_adjust(
            customer_id=customer.pk, points=10, reason="x", actor=marketing_user, idempotency_key="adj-1"
        )
        assert again.pk == first.pk
        with pytest.raises(IdempotencyConflict):
            services.points_adjust(
                customer_id=other.pk, points=10, reason="x", actor=marketing_user, idempotency_key="adj-1"
            )
        with pytest.raises(IdempotencyConflict):
            services.points_adjust(
                customer_id=customer.pk, points=11, reason="x", actor=marketing_user, idempotency_key="adj-1"
            )
        assert (balance(customer), PointsAccount.objects.filter(pk=other.pk).exists()) == (10, False)

    def test_award_key(self, customer, customer_factory):
        other = customer_factory(name="Boris")
        first = bonus(customer, 10, now=T, idempotency_key="welcome-1")
        assert bonus(customer, 10, now=T + dt.timedelta(hours=1), idempotency_key="welcome-1").pk == first.pk
        with pytest.raises(IdempotencyConflict):
            bonus(other, 10, now=T, idempotency_key="welcome-1")
        with pytest.raises(IdempotencyConflict):
            bonus(customer, 20, now=T, idempotency_key="welcome-1")
        assert balance(customer) == 10

    def test_enrolment_key(self, program):
        first = customer_enrol(name="Anna", phone="+79120000001", idempotency_key="enrol-1")
        assert customer_enrol(name="Anna", phone="8 912 000-00-01", idempotency_key="enrol-1").pk == first.pk
        with pytest.raises(IdempotencyConflict):
            customer_enrol(name="Anna", phone="+79120000002", idempotency_key="enrol-1")
        assert Customer.objects.count() == 1

    def test_the_console_says_so_in_words(self, customer, client, marketing_user):
        client.force_login(marketing_user)
        url = f"/customers/{customer.pk}/adjust/"
        assert client.post(url, {"points": "10", "reason": "x", "idempotency_key": "k1"}).status_code == 302
        response = client.post(url, {"points": "20", "reason": "x", "idempotency_key": "k1"})
        assert response.status_code == 400
        assert "This key was already used for a request with different details." in response.content.decode()
        assert balance(customer) == 10
