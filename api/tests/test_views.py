"""The REST API v1: every endpoint, status code and error shape, authentication, idempotency, throttling,
the request log and the docs pages."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from api.services import api_client_create, api_client_revoke
from core.models import AuditEntry
from customers.models import Customer
from customers.services import customer_enrol
from loyalty import services
from loyalty.models import LedgerEntry, PointsAccount, ProgramSettings, Purchase, PurchaseLine, Refund, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # throttle counters live in the cache; keep tests independent
    yield
    cache.clear()


@pytest.fixture
def client_key(program):
    created = api_client_create(name="web-shop")
    return created.client, created.key


@pytest.fixture
def api(client_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {client_key[1]}")
    return client


def post(api: APIClient, url: str, body: dict, key: str | None = "k-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(url, body, format="json", headers=headers)


def balance(customer) -> int:
    return PointsAccount.objects.get(pk=customer.pk).balance


# --- authentication ------------------------------------------------------------------------------


class TestAuthentication:
    def test_no_key_is_401_json(self, program):
        response = APIClient().get("/api/v1/customers/lookup/", {"q": "+79123456789"})
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == "Token"

    def test_unknown_key_is_401(self, program):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-key")
        response = client.get("/api/v1/customers/lookup/", {"q": "+79123456789"})
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid API key."}

    def test_revoked_key_is_401(self, api, client_key, customer):
        assert api.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200
        api_client_revoke(client_id=client_key[0].pk)
        response = api.get("/api/v1/customers/lookup/", {"q": customer.phone})
        assert response.status_code == 401
        assert response.json() == {"detail": "This API key has been revoked."}

    def test_a_revoked_key_cannot_write(self, api, client_key, customer):
        api_client_revoke(client_id=client_key[0].pk)
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "100.00"})
        assert response.status_code == 401
        assert Purchase.objects.count() == 0

    @pytest.mark.parametrize("header", ["Token", "Token a b", "Bearer x"])
    def test_malformed_header_is_401(self, program, header):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/v1/customers/lookup/", {"q": "1"})
        assert response.status_code == 401
        assert "detail" in response.json()

    def test_a_staff_session_is_not_an_api_key(self, client, marketing_user, customer):
        client.force_login(marketing_user)
        response = client.get("/api/v1/customers/lookup/", {"q": customer.phone})
        assert response.status_code == 401


# --- customers -----------------------------------------------------------------------------------


class TestEnrol:
    def test_created_customer_object(self, api):
        response = api.post(
            "/api/v1/customers/",
            {
                "phone": "8 (912) 345 67 89",
                "name": "Anna Petrova",
                "email": "Anna@Example.com",
                "birthday": "1990-05-17",
            },
            format="json",
        )
        assert response.status_code == 201
        customer = Customer.objects.get()
        assert response.json() == {
            "id": customer.pk,
            "name": "Anna Petrova",
            "phone": "+79123456789",
            "card_number": customer.card_number,
            "balance": 0,
            "available_points": 0,
            "pending_points": 0,
            "points_owed": 0,
            "tier": {"code": "bronze", "name": "Bronze", "cashback_percent": "5.00", "redeem_cap_percent": "30.00"},
            "next_tier": {"code": "silver", "name": "Silver", "spend_needed": "15000.00"},
        }
        assert len(customer.card_number) == 13
        assert customer.email == "anna@example.com" and customer.birthday == dt.date(1990, 5, 17)

    def test_enrolment_is_audited_with_the_client_as_origin(self, api):
        api.post("/api/v1/customers/", {"phone": "+79123456789", "name": "Anna"}, format="json")
        audit = AuditEntry.objects.get(action="customer.enrol")
        assert audit.origin == "api:web-shop" and audit.actor is None

    def test_duplicate_phone_is_400_under_phone(self, api, customer):
        response = api.post("/api/v1/customers/", {"phone": "89123456789", "name": "Someone"}, format="json")
        assert response.status_code == 400
        message = "A customer with phone +79123456789 already exists."
        assert response.json() == {"detail": message, "code": "duplicate_phone", "phone": [message]}

    def test_missing_fields_are_400_per_field(self, api):
        response = api.post("/api/v1/customers/", {}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["phone"] == ["This field is required."] and body["name"] == ["This field is required."]
        assert body["detail"] == "phone: This field is required."

    def test_bad_phone_is_400_under_phone(self, api):
        response = api.post("/api/v1/customers/", {"phone": "12", "name": "Anna"}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["detail", "code", "phone"]

    def test_referral_code(self, api, customer):
        response = api.post(
            "/api/v1/customers/",
            {"phone": "+79001112233", "name": "Boris", "referral_code": customer.referral_code.lower()},
            format="json",
        )
        assert response.status_code == 201
        assert Customer.objects.get(pk=response.json()["id"]).referred_by == customer

    def test_unknown_referral_code_is_400(self, api, program):
        response = api.post(
            "/api/v1/customers/", {"phone": "+79001112233", "name": "Boris", "referral_code": "NOPE"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["referral_code"] == ["Referral code “NOPE” is unknown."]

    def test_bad_email_and_birthday(self, api, program):
        response = api.post(
            "/api/v1/customers/",
            {"phone": "+79001112233", "name": "Boris", "email": "no", "birthday": "17.05.1990"},
            format="json",
        )
        assert response.status_code == 400
        assert set(response.json()) == {"detail", "email", "birthday"}


class TestLookup:
    @pytest.mark.parametrize("query", ["+7 912 345-67-89", "8 (912) 345 67 89", "+79123456789", " 89123456789 "])
    def test_phone_in_any_format(self, api, customer, query):
        response = api.get("/api/v1/customers/lookup/", {"q": query})
        assert response.status_code == 200
        assert response.json()["id"] == customer.pk and response.json()["phone"] == "+79123456789"

    def test_card_number(self, api, customer):
        response = api.get("/api/v1/customers/lookup/", {"q": customer.card_number})
        assert response.status_code == 200 and response.json()["card_number"] == customer.card_number

    @pytest.mark.parametrize("query", ["Anna", "Anna Petrova", "+79990000000", "2700000000000"])
    def test_names_and_unknown_numbers_are_404(self, api, customer, query):
        response = api.get("/api/v1/customers/lookup/", {"q": query})
        assert response.status_code == 404
        assert response.json() == {"detail": f"No customer has the phone or card number “{query}”."}

    def test_email_is_not_a_lookup_key(self, api, program):
        customer_enrol(name="Boris", phone="+79001112233", email="boris@example.com")
        assert api.get("/api/v1/customers/lookup/", {"q": "boris@example.com"}).status_code == 404

    @pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 65}])
    def test_missing_query_is_400(self, api, program, params):
        response = api.get("/api/v1/customers/lookup/", params)
        assert response.status_code == 400
        assert "q" in response.json() and response.json()["detail"].startswith("q: ")

    def test_nul_characters_are_400_not_a_database_error(self, api, program):
        assert api.get("/api/v1/customers/lookup/", {"q": "89\x00"}).status_code == 400
        response = api.post("/api/v1/customers/", {"phone": "+79001112233", "name": "A\x00"}, format="json")
        assert response.status_code == 400 and "name" in response.json()


class TestCustomerObject:
    def test_points_and_tier_after_purchases(self, api, customer, t0):
        program = ProgramSettings.objects.get()
        program.activation_delay_days = 14
        program.save()
        services.points_award(customer_id=customer.pk, points=300, reason="Welcome")
        services.purchase_record(customer_id=customer.pk, amount="16000.00")  # 800 pending, crosses Silver
        body = api.get("/api/v1/customers/lookup/", {"q": customer.phone}).json()
        assert (body["balance"], body["available_points"], body["pending_points"]) == (1100, 300, 800)
        assert body["tier"] == {
            "code": "silver",
            "name": "Silver",
            "cashback_percent": "7.00",
            "redeem_cap_percent": "30.00",
        }
        assert body["next_tier"] == {"code": "gold", "name": "Gold", "spend_needed": "34000.00"}

    def test_top_tier_has_no_next_tier(self, api, customer):
        services.purchase_record(customer_id=customer.pk, amount="60000.00")
        body = api.get("/api/v1/customers/lookup/", {"q": customer.phone}).json()
        assert body["tier"]["code"] == "gold" and body["next_tier"] is None

    def test_no_tiers_means_null_tier(self, api, customer):
        Tier.objects.all().delete()
        body = api.get("/api/v1/customers/lookup/", {"q": customer.phone}).json()
        assert body["tier"] is None and body["next_tier"] is None


# --- quote ---------------------------------------------------------------------------------------


class TestQuote:
    def test_quote(self, api, customer):
        services.points_award(customer_id=customer.pk, points=1000, reason="Welcome")
        response = api.post("/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "1000.00"}, format="json")
        assert response.status_code == 200
        assert response.json() == {"max_redeem_points": 300, "earn_points": 50}

    def test_quote_is_limited_by_the_balance(self, api, customer):
        services.points_award(customer_id=customer.pk, points=120, reason="Welcome")
        body = api.post("/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "999.99"}, format="json").json()
        assert body == {"max_redeem_points": 120, "earn_points": 49}

    def test_quote_records_nothing(self, api, customer):
        api.post("/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "1000.00"}, format="json")
        assert Purchase.objects.count() == 0 and LedgerEntry.objects.count() == 0

    def test_unknown_customer_is_400(self, api, program):
        response = api.post("/api/v1/purchases/quote/", {"customer": 999999, "amount": "1000.00"}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "Customer 999999 does not exist.",
            "code": "unknown_customer",
            "customer": ["Customer 999999 does not exist."],
        }

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("10.001", "Amount can have at most 2 decimal places."),
            ("0", "Amount must be greater than zero."),
            ("-5", "Amount must be greater than zero."),
            ("abc", "Enter the amount as a decimal string such as “1000.00”."),
            ("1e3", "Enter the amount as a decimal string such as “1000.00”."),
            (None, "This field may not be null."),
            ("10000000000.00", "Amount is too large."),
        ],
    )
    def test_bad_amounts_are_400(self, api, customer, amount, message):
        response = api.post("/api/v1/purchases/quote/", {"customer": customer.pk, "amount": amount}, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": f"amount: {message}", "amount": [message]}


# --- purchases -----------------------------------------------------------------------------------


class TestPurchase:
    def test_purchase_with_points(self, api, customer, client_key):
        services.points_award(customer_id=customer.pk, points=500, reason="Welcome")
        response = post(
            api,
            "/api/v1/purchases/",
            {"customer": customer.pk, "amount": "1000.00", "redeem_points": 200, "external_id": "R-1"},
        )
        assert response.status_code == 201
        purchase = Purchase.objects.get()
        assert response.json() == {
            "id": purchase.pk,
            "amount": "1000.00",
            "redeemed_points": 200,
            "paid_amount": "800.00",
            "earned_points": 40,
            "points_owed_settled": 0,
            "balance_after": 340,
        }
        assert "Idempotent-Replayed" not in response
        assert purchase.origin == "api:web-shop" and purchase.external_id == "R-1"
        assert purchase.idempotency_key == f"api:{client_key[0].pk}:k-1"
        assert balance(customer) == 340

    def test_redeem_points_defaults_to_zero_and_lines_are_stored(self, api, customer):
        lines = [{"sku": "A-1", "category": "shoes", "amount": "600.00"}, {"category": "socks", "amount": "400.00"}]
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00", "lines": lines})
        assert response.status_code == 201 and response.json()["earned_points"] == 50
        stored = list(PurchaseLine.objects.order_by("id").values_list("sku", "category", "amount"))
        assert stored == [("A-1", "shoes", Decimal("600.00")), ("", "socks", Decimal("400.00"))]

    def test_missing_idempotency_key_is_400(self, api, customer):
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"}, key=None)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The Idempotency-Key header is required")
        assert Purchase.objects.count() == 0

    @pytest.mark.parametrize("key", ["", "x" * 65, "with space"])
    def test_malformed_idempotency_key_is_400(self, api, customer, key):
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"}, key=key)
        assert response.status_code == 400

    def test_replay_returns_the_first_response_and_records_nothing(self, api, customer):
        services.points_award(customer_id=customer.pk, points=500, reason="Welcome")
        body = {"customer": customer.pk, "amount": "1000.00", "redeem_points": 100}
        first = post(api, "/api/v1/purchases/", body)
        services.purchase_record(customer_id=customer.pk, amount="500.00")  # the balance moves on meanwhile
        again = post(api, "/api/v1/purchases/", {**body, "amount": "1000"})  # the same request, written otherwise
        assert again.status_code == 201 == first.status_code
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert Purchase.objects.filter(origin="api:web-shop").count() == 1
        assert LedgerEntry.objects.filter(purchase_id=first.json()["id"]).count() == 2

    def test_same_key_other_body_is_409(self, api, customer):
        post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"})
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "999.00"})
        assert response.status_code == 409
        assert response.json() == {
            "detail": "This key was already used for a request with different details. Nothing was recorded; "
            "start a new operation.",
            "code": "idempotency_conflict",
        }
        assert Purchase.objects.count() == 1

    def test_two_clients_can_use_the_same_key(self, api, customer):
        other = APIClient()
        other.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='till-2').key}")
        body = {"customer": customer.pk, "amount": "1000.00"}
        assert post(api, "/api/v1/purchases/", body, key="order-1").status_code == 201
        response = post(other, "/api/v1/purchases/", {**body, "amount": "10.00"}, key="order-1")
        assert response.status_code == 201
        assert Purchase.objects.count() == 2

    def test_redeeming_above_the_maximum_is_400_with_the_maximum(self, api, customer):
        services.points_award(customer_id=customer.pk, points=500, reason="Welcome")
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00", "redeem_points": 301})
        assert response.status_code == 400
        message = "Cannot redeem 301 points: at most 300 can be redeemed on this purchase."
        assert response.json() == {
            "detail": message,
            "code": "redeem_too_much",
            "redeem_points": [message],
            "max_redeem_points": 300,
        }
        assert Purchase.objects.count() == 0 and balance(customer) == 500

    def test_unknown_customer_is_400(self, api, program):
        response = post(api, "/api/v1/purchases/", {"customer": 424242, "amount": "1000.00"})
        assert response.status_code == 400
        assert response.json()["customer"] == ["Customer 424242 does not exist."]

    def test_amount_as_a_json_number_is_read_exactly(self, api, customer):
        response = api.post(
            "/api/v1/purchases/",
            b'{"customer": %d, "amount": 1234.56}' % customer.pk,
            content_type="application/json",
            headers={"Idempotency-Key": "n-1"},
        )
        assert response.status_code == 201
        assert response.json()["amount"] == "1234.56" and Purchase.objects.get().amount == Decimal("1234.56")

    @pytest.mark.parametrize("raw", [b"12.345", b"1e30", b"true", b"[1]"])
    def test_inexact_or_odd_json_amounts_are_400(self, api, customer, raw):
        response = api.post(
            "/api/v1/purchases/",
            b'{"customer": %d, "amount": %s}' % (customer.pk, raw),
            content_type="application/json",
            headers={"Idempotency-Key": "n-1"},
        )
        assert response.status_code == 400 and "amount" in response.json()

    @pytest.mark.parametrize("points", ["10", 1.5, True, -1])
    def test_points_must_be_a_non_negative_json_integer(self, api, customer, points):
        response = post(
            api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "10.00", "redeem_points": points}
        )
        assert response.status_code == 400 and "redeem_points" in response.json()

    def test_bad_line_is_400_with_its_position(self, api, customer):
        body = {"customer": customer.pk, "amount": "10.00", "lines": [{"amount": "5.00"}, {"amount": "x"}]}
        response = post(api, "/api/v1/purchases/", body)
        assert response.status_code == 400
        assert response.json()["detail"] == "lines[1].amount: Enter the amount as a decimal string such as “1000.00”."

    def test_invalid_json_is_400(self, api, customer):
        response = api.post(
            "/api/v1/purchases/", b"{nope", content_type="application/json", headers={"Idempotency-Key": "j"}
        )
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The request body is not valid JSON")

    def test_form_data_is_415(self, api, customer):
        response = api.post(
            "/api/v1/purchases/", {"customer": customer.pk, "amount": "1.00"}, headers={"Idempotency-Key": "f"}
        )
        assert response.status_code == 415
        assert "detail" in response.json()

    def test_get_is_405(self, api, program):
        response = api.get("/api/v1/purchases/")
        assert response.status_code == 405 and response.json() == {"detail": 'Method "GET" not allowed.'}


# --- refunds -------------------------------------------------------------------------------------


class TestRefund:
    @pytest.fixture
    def purchase(self, customer, client_key):
        services.points_award(customer_id=customer.pk, points=500, reason="Welcome")
        return services.purchase_record(
            customer_id=customer.pk, amount="1000.00", redeem_points=200, api_client=client_key[0]
        ).purchase

    def test_full_refund_when_amount_is_absent(self, api, purchase, customer):
        response = post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {}, key="r-1")
        assert response.status_code == 201
        assert response.json() == {
            "refunded_amount": "1000.00",
            "points_reversed": 40,
            "points_returned": 200,
            "points_shortfall": 0,
            "points_expired": 0,
            "points_returned_expired": 0,
            "points_owed_settled": 0,
            "balance_after": 500,
        }
        refund = Refund.objects.get()
        assert refund.origin == "api:web-shop" and balance(customer) == 500

    def test_partial_then_the_rest(self, api, purchase):
        first = post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {"amount": "250.00"}, key="r-1")
        assert first.status_code == 201
        assert first.json() == {
            "refunded_amount": "250.00",
            "points_reversed": 10,
            "points_returned": 50,
            "points_shortfall": 0,
            "points_expired": 0,
            "points_returned_expired": 0,
            "points_owed_settled": 0,
            "balance_after": 380,
        }
        rest = post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {"amount": None}, key="r-2")
        assert rest.json()["refunded_amount"] == "750.00" and rest.json()["balance_after"] == 500

    def test_more_than_remains_is_400(self, api, purchase):
        post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {"amount": "900.00"}, key="r-1")
        response = post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {"amount": "100.01"}, key="r-2")
        assert response.status_code == 400
        message = "Cannot refund 100.01\u00a0₽: only 100.00\u00a0₽ of this purchase remains to refund."
        assert response.json() == {
            "detail": message,
            "code": "refund_too_much",
            "amount": [message],
            "refundable_amount": "100.00",
        }

    def test_fully_refunded_purchase_cannot_be_refunded_again(self, api, purchase):
        post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {}, key="r-1")
        response = post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {}, key="r-2")
        assert response.status_code == 400 and response.json()["refundable_amount"] == "0.00"

    def test_missing_idempotency_key_is_400(self, api, purchase):
        response = post(api, f"/api/v1/purchases/{purchase.pk}/refund/", {}, key=None)
        assert response.status_code == 400 and Refund.objects.count() == 0

    def test_replay_and_conflict(self, api, purchase):
        url = f"/api/v1/purchases/{purchase.pk}/refund/"
        first = post(api, url, {"amount": "100.00"}, key="r-1")
        again = post(api, url, {"amount": "100.00"}, key="r-1")
        assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
        conflict = post(api, url, {"amount": "200.00"}, key="r-1")
        assert conflict.status_code == 409
        assert Refund.objects.count() == 1

    def test_unknown_purchase_is_404(self, api, program):
        response = post(api, "/api/v1/purchases/999999/refund/", {}, key="r-1")
        assert response.status_code == 404
        assert response.json() == {"detail": "Purchase 999999 does not exist.", "code": "not_found"}

    def test_huge_purchase_id_is_404(self, api, program):
        response = post(api, f"/api/v1/purchases/{10**30}/refund/", {}, key="r-1")
        assert response.status_code == 404


# --- ledger --------------------------------------------------------------------------------------


class TestLedger:
    def test_entries_newest_first_paginated(self, api, customer, t0):
        services.points_award(customer_id=customer.pk, points=300, reason="Welcome", now=t0)
        services.purchase_record(
            customer_id=customer.pk, amount="1000.00", redeem_points=100, now=t0 + dt.timedelta(hours=1)
        )
        response = api.get(f"/api/v1/customers/{customer.pk}/ledger/", {"page_size": 2})
        assert response.status_code == 200
        body = response.json()
        assert [(e["kind"], e["points"]) for e in body["results"]] == [("earn", 45), ("redeem", -100)]
        earn = body["results"][0]
        assert set(earn) == {"created_at", "kind", "points", "reason", "expires_at"}
        assert earn["reason"] == f"Cashback 5% on purchase #{Purchase.objects.get().pk}"
        assert dt.datetime.fromisoformat(earn["created_at"]) == t0 + dt.timedelta(hours=1)
        assert earn["expires_at"] is not None and body["results"][1]["expires_at"] is None
        assert body["previous"] is None and body["next"]
        rest = api.get(body["next"]).json()
        assert [(e["kind"], e["points"]) for e in rest["results"]] == [("bonus", 300)]
        assert rest["next"] is None

    def test_unknown_customer_is_404(self, api, program):
        response = api.get("/api/v1/customers/999999/ledger/")
        assert response.status_code == 404 and response.json() == {"detail": "Customer 999999 does not exist."}

    def test_huge_or_malformed_ids_are_json_404(self, api, program):
        assert api.get(f"/api/v1/customers/{10**30}/ledger/").status_code == 404
        response = api.get("/api/v1/customers/abc/ledger/")
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no API endpoint at /api/v1/customers/abc/ledger/."}

    def test_bad_cursor_is_404(self, api, customer):
        response = api.get(f"/api/v1/customers/{customer.pk}/ledger/", {"cursor": "garbage"})
        assert response.status_code == 404 and response.json() == {"detail": "Invalid cursor"}


# --- throttling, the request log, docs -----------------------------------------------------------


@override_settings(API_THROTTLE_RATE="3/min")
def test_requests_are_throttled_per_client(api, customer):
    for _ in range(3):
        assert api.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200
    response = api.get("/api/v1/customers/lookup/", {"q": customer.phone})
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_client_create(name='till-2').key}")
    assert other.get("/api/v1/customers/lookup/", {"q": customer.phone}).status_code == 200


def test_every_request_is_logged_with_client_path_status_and_time(api, customer, caplog):
    with caplog.at_level(logging.INFO, logger="loyalty.api.requests"):
        api.get("/api/v1/customers/lookup/", {"q": customer.phone})
        APIClient().get("/api/v1/customers/lookup/", {"q": customer.phone})
    ok, denied = [r for r in caplog.records if r.name == "loyalty.api.requests"]
    assert (ok.api_client, ok.method, ok.path, ok.status) == ("web-shop", "GET", "/api/v1/customers/lookup/", 200)
    assert ok.duration_ms >= 0 and ok.getMessage().startswith("api web-shop GET /api/v1/customers/lookup/ 200 ")
    assert (denied.api_client, denied.status) == ("-", 401)


def test_schema_is_public_openapi_3(client, program):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/customers/", "/api/v1/purchases/", "/api/v1/purchases/{purchase_id}/refund/"} <= set(
        schema["paths"]
    )


def test_docs_page_uses_no_cdn(client, program):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
