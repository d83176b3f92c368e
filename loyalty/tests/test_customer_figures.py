"""customer_figures (the API's customer object, the till's card): the same figures as points_summary and
tier_progress, in one query; an API lookup in three."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from loyalty import services
from loyalty.selectors import customer_figures, points_summary, tier_progress


def _same_as_the_separate_reads(customer_id: int, now: dt.datetime) -> None:
    figures = customer_figures(customer_id, now=now)
    assert figures.points == points_summary(customer_id, now=now)
    assert figures.progress == tier_progress(customer_id, now=now)


@pytest.mark.django_db
def test_figures_equal_the_separate_reads(program, customer_factory, t0):
    services.program_settings_update(activation_delay_days=3, actor=None)
    new = customer_factory(name="New")
    silver = customer_factory(name="Silver")
    services.points_award(customer_id=silver.pk, points=500, reason="welcome", now=t0)
    services.purchase_record(customer_id=silver.pk, amount=Decimal("16000.00"), redeem_points=200, now=t0)
    services.purchase_record(customer_id=silver.pk, amount=Decimal("999.90"), now=t0 + dt.timedelta(days=1))
    owing = customer_factory(name="Owing")
    first = services.purchase_record(customer_id=owing.pk, amount=Decimal("2000.00"), now=t0)
    services.points_award(customer_id=owing.pk, points=100, reason="bonus", now=t0)
    services.purchase_record(
        customer_id=owing.pk, amount=Decimal("1000.00"), redeem_points=200, now=t0 + dt.timedelta(days=4)
    )
    services.purchase_refund(purchase_id=first.purchase.pk, amount=Decimal("2000.00"), now=t0 + dt.timedelta(days=5))

    for moment in (t0 + dt.timedelta(days=2), t0 + dt.timedelta(days=6), t0 + dt.timedelta(days=400)):
        for c in (new, silver, owing):
            _same_as_the_separate_reads(c.pk, moment)
    assert customer_figures(silver.pk, now=t0 + dt.timedelta(days=2)).progress.tier.code == "silver"
    assert customer_figures(silver.pk, now=t0 + dt.timedelta(days=2)).points.pending > 0
    assert customer_figures(owing.pk, now=t0 + dt.timedelta(days=6)).points.owed > 0


@pytest.mark.django_db
def test_an_unknown_customer_has_nothing(program):
    figures = customer_figures(999_999)
    assert (figures.points.balance, figures.points.owed, figures.progress.spend) == (0, 0, Decimal("0.00"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # requests outside a test transaction
def test_an_api_lookup_takes_three_queries(customer, api_client_factory, django_assert_max_num_queries):
    """The version of the cached rules and clients, the search, the customer's figures (was 8)."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_client_factory(name='till').key}")
    services.points_award(customer_id=customer.pk, points=120, reason="welcome")
    assert api.post("/api/v1/customers/lookup/", {"q": customer.phone}, format="json").status_code == 200
    with django_assert_max_num_queries(3):
        response = api.post("/api/v1/customers/lookup/", {"q": customer.phone}, format="json")
    assert response.status_code == 200
    assert response.json()["balance"] == 120
