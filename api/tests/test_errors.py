"""Every API error body carries "detail" (for a person) and "code" (for a program), whatever raised it:
a domain error of a service, DRF's own checks (authentication, throttling, parsing, methods) or a field
validation (api.errors.exception_handler)."""

import pytest
from django.test import override_settings

from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_a_purchase_without_an_idempotency_key_says_which_header_is_missing(api, customer):
    response = api.post("/api/v1/purchases/", {"customer": customer.pk, "amount": "10.00"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The Idempotency-Key header is required (1–64 visible ASCII characters, unique per request).",
        "code": "idempotency_key_missing",
    }


def test_a_body_that_is_not_json_is_a_parse_error(api, customer):
    response = api.post("/api/v1/purchases/quote/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_form_body_is_refused_with_its_media_type(api, customer):
    response = api.post("/api/v1/purchases/quote/", "amount=10", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.',
        "code": "unsupported_media_type",
    }


@override_settings(API_THROTTLE_RATE="1/min")
def test_throttled_requests_say_so_in_the_code(api, customer):
    assert api.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200
    response = api.get("/api/v1/customers/lookup/", {"q": customer.phone})
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_field_errors_keep_their_lists_under_the_code_invalid(api, customer):
    response = api.post("/api/v1/purchases/quote/", {"customer": customer.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "amount: This field is required.",
        "code": "invalid",
        "amount": ["This field is required."],
    }


def test_text_fields_take_json_strings_only(api, customer):
    """A phone sent as a JSON number has lost its "+" (and any leading zero): refused, nothing enrolled."""
    before = Customer.objects.count()
    response = api.post("/api/v1/customers/", {"phone": 79123456789, "name": "Anna"}, format="json")
    assert response.status_code == 400
    assert response.json()["phone"] == ["Not a valid string."]
    assert Customer.objects.count() == before
    response = api.post(
        "/api/v1/purchases/",
        {"customer": customer.pk, "amount": "10.00", "external_id": 123},
        format="json",
        HTTP_IDEMPOTENCY_KEY="strict-strings-1",
    )
    assert response.status_code == 400
    assert response.json()["external_id"] == ["Not a valid string."]
    assert not customer.purchases.exists()
