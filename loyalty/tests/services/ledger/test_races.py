"""Races and hostile input found by trying to break the ledger: each one surfaced a raw database error
(a 500) or silently dropped work before it was fixed."""

import datetime as dt
import threading
import time
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from core.exceptions import DomainError
from customers.exceptions import CustomerError
from customers.models import Customer
from customers.services import customer_enrol
from loyalty import services
from loyalty.exceptions import InvalidInput
from loyalty.models import DailyRun, PointsAccount, ProgramSettings, TierStatus

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep tiers and roles


def race(*fns, timeout=60):
    """Start every fn behind a barrier on its own thread and connection: [(result, exception)] in order."""
    barrier = threading.Barrier(len(fns))
    out: list = [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait(timeout=timeout)
            out[i] = (fn(), None)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            out[i] = (None, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout + 30)
    return out


@transactional
def test_a_first_purchase_while_the_tier_review_creates_statuses_is_recorded():
    # The review INSERTs statuses for never-reviewed customers and keeps its transaction open while it waits
    # for another row; a till's first purchase creating the same customer's status used to hit the key.
    today = timezone.localdate()
    busy = customer_enrol(name="Busy", phone="+79125550001")
    services.purchase_record(customer_id=busy.pk, amount=D("20000.00"), now=timezone.now() - dt.timedelta(days=400))
    fresh = customer_enrol(name="Fresh", phone="+79125550002")
    holding = threading.Event()

    def till_for_busy():  # a slow operation on `busy` holding its status row
        with transaction.atomic():
            TierStatus.objects.select_for_update().get(pk=busy.pk)
            holding.set()
            time.sleep(2)

    def review():
        holding.wait(10)
        return services.daily_run(as_of=today)

    def till_for_fresh():
        holding.wait(10)
        time.sleep(0.7)  # the review has inserted fresh's status and waits for busy's row
        return services.purchase_record(customer_id=fresh.pk, amount=D("100.00"))

    out = race(till_for_busy, review, till_for_fresh)
    assert [error for _result, error in out] == [None, None, None]
    assert out[2][0].purchase.earned_points == 5
    assert TierStatus.objects.get(pk=fresh.pk).tier.code == "bronze"


@transactional
def test_an_enrolment_retried_while_the_first_is_in_flight_returns_the_same_customer(monkeypatch):
    # The retry looks its key up before the first enrolment commits and checks the phone after it did.
    first_done = threading.Event()
    original = Customer.objects.filter

    def filter_seen_by_the_retry(*args, **kwargs):
        if threading.current_thread().name == "retry" and "enrol_key" in kwargs and not first_done.is_set():
            row = original(*args, **kwargs).first()  # evaluated now: the first has not committed yet
            first_done.wait(10)

            class Evaluated:
                def first(self):
                    return row

            return Evaluated()
        return original(*args, **kwargs)

    monkeypatch.setattr(Customer.objects, "filter", filter_seen_by_the_retry)
    result = {}

    def retry():
        try:
            result["retry"] = customer_enrol(name="X", phone="+79126660001", idempotency_key="det-1")
        except BaseException as exc:  # noqa: BLE001 - asserted below
            result["retry"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=retry, name="retry")
    thread.start()
    time.sleep(0.5)
    first = customer_enrol(name="X", phone="+79126660001", idempotency_key="det-1")
    first_done.set()
    thread.join(20)
    assert getattr(result["retry"], "pk", result["retry"]) == first.pk


@transactional
def test_todays_run_waits_for_a_replay_in_progress_instead_of_being_dropped():
    from core.jobs import job_lock

    today = timezone.localdate()
    released = threading.Event()

    def replay_holding_the_lock():
        with job_lock("loyalty.daily_run") as got:
            assert got
            released.wait(10)

    holder = threading.Thread(target=replay_holding_the_lock)
    holder.start()
    time.sleep(0.3)
    threading.Timer(1.0, released.set).start()
    result = services.daily_run(as_of=today, wait_seconds=30)
    holder.join()
    assert "skipped" not in result
    assert DailyRun.objects.filter(as_of=today).exists()


@pytest.mark.django_db
class TestHostileInput:
    @pytest.mark.parametrize("path", ["purchase", "adjust"])
    def test_a_form_key_too_long_is_a_form_error_not_a_500(self, client, customer, cashier_user, marketing_user, path):
        key = "k" * 100
        if path == "purchase":
            client.force_login(cashier_user)
            url, form = f"/cashier/customer/{customer.pk}/purchase/", {"amount": "100.00", "redeem_points": "0"}
        else:
            client.force_login(marketing_user)
            url, form = f"/customers/{customer.pk}/adjust/", {"points": "5", "reason": "x"}
        response = client.post(url, form | {"idempotency_key": key})
        assert response.status_code == 400
        assert not PointsAccount.objects.filter(pk=customer.pk, balance__gt=0).exists()

    def test_a_service_key_too_long_is_a_domain_error(self, customer):
        with pytest.raises(DomainError, match="at most 100 characters"):
            services.points_award(customer_id=customer.pk, points=5, reason="x", idempotency_key="k" * 101)

    def test_an_email_longer_than_an_address_can_be(self, program):
        email = "a" * 250 + "@example.com"
        with pytest.raises(CustomerError, match="at most 254 characters") as exc:
            customer_enrol(name="Long", phone="+79120000009", email=email)
        assert exc.value.field == "email" and not Customer.objects.exists()

    def test_an_email_too_long_over_the_api_is_400(self, program):
        from django.core.cache import cache
        from rest_framework.test import APIClient

        from api.services import api_client_create

        cache.clear()
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='shop').key}")
        body = {"name": "Long", "phone": "+79120000009", "email": "a" * 250 + "@example.com"}
        response = api.post("/api/v1/customers/", body, format="json")
        assert response.status_code == 400 and "email" in response.json()

    def test_a_forged_ledger_cursor_is_404(self, customer, program):
        import base64

        from django.core.cache import cache
        from rest_framework.test import APIClient

        from api.services import api_client_create

        cache.clear()
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='shop').key}")
        cursor = base64.b64encode(b"p=garbage").decode()
        response = api.get(f"/api/v1/customers/{customer.pk}/ledger/", {"cursor": cursor})
        assert response.status_code == 404 and response.json() == {"detail": "Invalid cursor", "code": "not_found"}

    def test_reasons_and_sources_longer_than_an_entry_holds(self, customer):
        with pytest.raises(InvalidInput, match="at most 300 characters"):
            services.points_adjust(customer_id=customer.pk, points=5, reason="r" * 301, actor=None)
        with pytest.raises(InvalidInput, match="at most 300 characters"):
            services.points_award(customer_id=customer.pk, points=5, reason="r" * 301)
        with pytest.raises(InvalidInput, match="at most 100 characters"):
            services.points_award(customer_id=customer.pk, points=5, reason="r", source="s" * 101)

    @pytest.mark.parametrize(("field", "value"), [("max_purchase_amount", "1e30"), ("points_lifetime_days", "abc")])
    def test_settings_that_are_not_numbers(self, program, marketing_user, field, value):
        with pytest.raises(InvalidInput):
            services.program_settings_update(actor=marketing_user, **{field: value})
        assert ProgramSettings.objects.get().points_lifetime_days == 365

    def test_a_date_at_the_start_of_the_calendar(self, program):
        with pytest.raises(InvalidInput, match="too far in the past"):
            services.daily_run(as_of=dt.date(1, 1, 1))
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="too far in the past"):
            call_command("run_daily", "--date", "0001-01-02")
