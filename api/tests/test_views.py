"""The REST API v1 views: every endpoint, status code and error shape, and idempotency; and the ledger's
hand-worked stories of issue #9 as the API tells them. (Authentication, throttling, the request log and the
schema have modules of their own.)"""

import datetime as dt
from decimal import Decimal

import pytest

from api.tests.helpers import post, token_client
from core.models import AuditEntry
from customers.models import Customer
from loyalty import services
from loyalty.models import LedgerEntry, ProgramSettings, Purchase, PurchaseLine, Refund, Tier
from loyalty.rules import local_midnight
from loyalty.tests.helpers import T, balance, bonus, buy, refund

pytestmark = pytest.mark.django_db


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
            "language": "en",  # none given: the shop's (settings.LANGUAGE_CODE)
            "balance": 0,
            "available_points": 0,
            "pending_points": 0,
            "points_owed": 0,
            "tier": {"code": "bronze", "name": "Bronze", "cashback_percent": "5.00", "redeem_cap_percent": "30.00"},
            "next_tier": {"code": "silver", "name": "Silver", "spend_needed": "15000.00"},
        }
        assert len(customer.card_number) == 13
        assert customer.email == "anna@example.com" and customer.birthday == dt.date(1990, 5, 17)

    def test_the_language_given_is_the_customers_and_is_in_the_answer(self, api, settings):
        settings.LANGUAGE_CODE = "en"
        response = api.post(
            "/api/v1/customers/", {"phone": "+79123456789", "name": "Анна", "language": "ru"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["language"] == "ru"
        assert Customer.objects.get().language == "ru"
        found = api.post("/api/v1/customers/lookup/", {"q": "+79123456789"}, format="json")
        assert found.json()["language"] == "ru"

    @pytest.mark.parametrize(
        ("language", "reason"),
        [
            ("de", '"de" is not a valid choice.'),
            ("RU", '"RU" is not a valid choice.'),
            ("", '"" is not a valid choice.'),
            (None, "This field may not be null."),
            (1, '"1" is not a valid choice.'),
        ],
    )
    def test_a_language_other_than_en_or_ru_is_400_with_the_reason_and_enrols_nobody(
        self, api, program, language, reason
    ):
        response = api.post(
            "/api/v1/customers/", {"phone": "+79123456789", "name": "Anna", "language": language}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"detail": f"language: {reason}", "code": "invalid", "language": [reason]}
        assert not Customer.objects.exists()

    def test_a_retry_with_another_language_is_a_conflict(self, api, program):
        body = {"phone": "+79123456789", "name": "Anna", "language": "ru"}
        headers = {"Idempotency-Key": "enrol-anna"}
        assert api.post("/api/v1/customers/", body, format="json", headers=headers).status_code == 201
        assert api.post("/api/v1/customers/", body, format="json", headers=headers).status_code == 201  # replayed
        again = api.post("/api/v1/customers/", body | {"language": "en"}, format="json", headers=headers)
        assert again.status_code == 409
        assert Customer.objects.get().language == "ru"

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
        assert set(response.json()) == {"detail", "code", "email", "birthday"}
        assert response.json()["code"] == "invalid"

    def test_a_birthday_in_other_digits_is_refused(self, api, program):
        """ "١٩٩٠-٠٥-١٧" (Arabic-Indic digits) is not read as 17 May 1990: the forms refuse it too."""
        response = api.post(
            "/api/v1/customers/", {"phone": "+79001112244", "name": "Boris", "birthday": "١٩٩٠-٠٥-١٧"}, format="json"
        )
        assert response.status_code == 400 and "birthday" in response.json()


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
        assert response.json() == {
            "detail": f"No customer has the phone or card number “{query}”.",
            "code": "not_found",
        }

    @pytest.mark.parametrize("query", ["²", "²²²²", "٢٧٠٠٠٠٠٠٠٠٠٠٠", "#²"])
    def test_non_ascii_digits_are_not_a_server_error(self, api, customer, query):
        """ "²".isdigit() is True but int("²") raises: such a query finds nobody, it does not break."""
        response = api.get("/api/v1/customers/lookup/", {"q": query})
        assert response.status_code in (400, 404) and response.json()["detail"]

    def test_email_is_not_a_lookup_key(self, api, program, customer_factory):
        customer_factory(name="Boris", email="boris@example.com")
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
        assert response.json() == {
            "max_redeem_points": 300,
            "earn_points": 50,
            "earned_breakdown": [{"part": "base", "points": 50}],
        }

    def test_quote_is_limited_by_the_balance(self, api, customer):
        services.points_award(customer_id=customer.pk, points=120, reason="Welcome")
        body = api.post("/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "999.99"}, format="json").json()
        assert body == {
            "max_redeem_points": 120,
            "earn_points": 49,
            "earned_breakdown": [{"part": "base", "points": 49}],
        }

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
        assert response.json() == {"detail": f"amount: {message}", "code": "invalid", "amount": [message]}


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
            "earned_breakdown": [{"part": "base", "points": 40}],
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

    @pytest.mark.parametrize("line_amounts", [["5000.00"], ["600.00", "300.00"], ["999.99", "0.02"]])
    def test_lines_that_do_not_add_up_to_the_amount_are_400_and_record_nothing(self, api, customer, line_amounts):
        """Tester finding (#15): a 1 000.00 check with a 5 000.00 "shoes" line was recorded, its category
        boosted on a split nobody could check. The purchase, the quote and the batch refuse it."""
        lines = [{"category": "shoes", "amount": amount} for amount in line_amounts]
        total = f"{sum(Decimal(a) for a in line_amounts):.2f}"
        body = {"customer": customer.pk, "amount": "1000.00", "lines": lines}
        response = post(api, "/api/v1/purchases/", body)
        assert response.status_code == 400
        assert response.json()["detail"] == (
            f"The lines add up to {total}, but the purchase amount is 1000.00: they must be equal."
        )
        quote = api.post("/api/v1/purchases/quote/", body, format="json")
        assert quote.status_code == 400 and "they must be equal" in quote.json()["detail"]
        item = {**body, "idempotency_key": "b-1", "occurred_at": dt.datetime.now(dt.UTC).isoformat()}
        batch = api.post("/api/v1/purchases/batch/", {"purchases": [item]}, format="json")
        assert batch.status_code == 200
        (result,) = batch.json()["results"]
        assert result["result"] == "error" and "they must be equal" in result["error"]["detail"]
        assert Purchase.objects.count() == 0 and not LedgerEntry.objects.filter(customer=customer).exists()

    def test_missing_idempotency_key_is_400(self, api, customer):
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"}, key=None)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The Idempotency-Key header is required")
        assert Purchase.objects.count() == 0

    @pytest.mark.parametrize(
        ("key", "code"),
        [
            ("", "idempotency_key_missing"),
            ("x" * 65, "idempotency_key_invalid"),
            ("with space", "idempotency_key_invalid"),
        ],
    )
    def test_malformed_idempotency_key_is_400(self, api, customer, key, code):
        response = post(api, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"}, key=key)
        assert response.status_code == 400 and response.json()["code"] == code
        assert Purchase.objects.count() == 0

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

    def test_two_clients_can_use_the_same_key(self, api, customer, api_client_factory):
        other = token_client(api_client_factory(name="till-2").key)
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
        assert response.status_code == 405 and response.json() == {
            "detail": 'Method "GET" not allowed.',
            "code": "method_not_allowed",
        }


# --- refunds -------------------------------------------------------------------------------------


class TestRefund:
    @pytest.fixture
    def purchase(self, customer, client_key, purchase_factory):
        services.points_award(customer_id=customer.pk, points=500, reason="Welcome")
        return purchase_factory(customer=customer, amount="1000.00", redeem_points=200, api_client=client_key[0])

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

    @pytest.mark.parametrize("size", ["\u0661", "\uff11", "abc"])
    def test_a_page_size_in_other_digits_is_ignored_as_any_non_number(self, api, customer, t0, size):
        """ "١" (Arabic-Indic one) and "１" (fullwidth) are not read as 1: the default page, as for "abc"."""
        for hour in range(3):
            services.points_award(customer_id=customer.pk, points=10, reason="x", now=t0 + dt.timedelta(hours=hour))
        body = api.get(f"/api/v1/customers/{customer.pk}/ledger/", {"page_size": size}).json()
        assert len(body["results"]) == 3 and body["next"] is None

    def test_unknown_customer_is_404(self, api, program):
        response = api.get("/api/v1/customers/999999/ledger/")
        assert response.status_code == 404 and response.json() == {
            "detail": "Customer 999999 does not exist.",
            "code": "not_found",
        }

    def test_huge_or_malformed_ids_are_json_404(self, api, program):
        assert api.get(f"/api/v1/customers/{10**30}/ledger/").status_code == 404
        response = api.get("/api/v1/customers/abc/ledger/")
        assert response.status_code == 404
        assert response.json() == {
            "detail": "There is no API endpoint at /api/v1/customers/abc/ledger/.",
            "code": "not_found",
        }
        # An id with a line break (schemathesis found it): "." of the catch-all did not match it, so
        # Django answered its HTML page.
        broken = api.post("/api/v1/customers/1%0A2/actions/", {}, format="json")
        assert broken.status_code == 404 and broken.json()["code"] == "not_found"

    def test_bad_cursor_is_404(self, api, customer):
        response = api.get(f"/api/v1/customers/{customer.pk}/ledger/", {"cursor": "garbage"})
        assert response.status_code == 404 and response.json() == {"detail": "Invalid cursor", "code": "not_found"}


# --- the ledger's stories of issue #9 over the API ------------------------------------------------


class TestOverTheApi:
    @pytest.fixture
    def clients(self, api, api_client_factory):
        return {"web-shop": api, "till-2": token_client(api_client_factory(name="till-2").key)}

    def test_a_receipt_retried_with_a_new_key_is_409_with_the_purchase_id(self, clients, customer):
        shop = clients["web-shop"]
        body = {"customer": customer.pk, "amount": "1000.00", "external_id": "R-000123"}
        first = post(shop, "/api/v1/purchases/", body, "k-1")
        assert first.status_code == 201
        retry = post(shop, "/api/v1/purchases/", body, "k-2")
        assert retry.status_code == 409
        assert retry.json()["id"] == first.json()["id"] and retry.json()["code"] == "duplicate_receipt"
        replay = post(shop, "/api/v1/purchases/", body, "k-1")
        assert (replay.status_code, replay.json(), replay.headers["Idempotent-Replayed"]) == (201, first.json(), "true")
        other_client = post(clients["till-2"], "/api/v1/purchases/", body, "k-1")  # its own receipt numbers
        assert other_client.status_code == 201
        assert balance(customer) == 100

    def test_another_clients_purchase_is_404_for_refunds(self, clients, customer):
        shop, till = clients["web-shop"], clients["till-2"]
        created = post(shop, "/api/v1/purchases/", {"customer": customer.pk, "amount": "1000.00"}, "k-1").json()
        response = post(till, f"/api/v1/purchases/{created['id']}/refund/", {}, "r-1")
        assert response.status_code == 404
        assert response.json() == {"detail": f"Purchase {created['id']} does not exist.", "code": "not_found"}
        counter = buy(customer, "500.00", now=T).purchase  # recorded at the till, outside the API
        assert post(shop, f"/api/v1/purchases/{counter.pk}/refund/", {}, "r-2").status_code == 404
        assert balance(customer) == 75
        assert post(shop, f"/api/v1/purchases/{created['id']}/refund/", {}, "r-3").status_code == 201

    def test_enrolment_with_a_key_is_replayed_or_409(self, clients):
        shop = clients["web-shop"]
        first = post(shop, "/api/v1/customers/", {"name": "Anna", "phone": "+79120000001"}, "e-1")
        again = post(shop, "/api/v1/customers/", {"name": "Anna", "phone": "+79120000001"}, "e-1")
        assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
        other = post(shop, "/api/v1/customers/", {"name": "Boris", "phone": "+79120000002"}, "e-1")
        assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
        assert Customer.objects.count() == 1

    def test_an_amount_above_the_largest_purchase_is_400(self, clients, customer):
        response = post(
            clients["web-shop"], "/api/v1/purchases/", {"customer": customer.pk, "amount": "9999999999.99"}, "k-1"
        )
        assert response.status_code == 400
        assert response.json()["amount"] == [
            "Amount is above the largest purchase the program accepts (10,000,000.00\u00a0₽)."
        ]
        too_many = post(
            clients["web-shop"],
            "/api/v1/purchases/",
            {"customer": customer.pk, "amount": "100.00", "redeem_points": 10**19},
            "k-2",
        )
        assert too_many.status_code == 400 and "redeem_points" in too_many.json()


class TestTheApiSaysItToo:
    def test_refund_body_counts_dead_returns_and_debt_payments(self, api, client_key, customer):
        burn = local_midnight(dt.date(2026, 3, 5))
        bonus(customer, 100, now=T, expires_at=burn)
        purchase = buy(customer, "400.00", redeem=100, now=T, api_client=client_key[0]).purchase
        response = api.post(
            f"/api/v1/purchases/{purchase.pk}/refund/", {}, format="json", headers={"Idempotency-Key": "r-1"}
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["points_returned"], body["points_returned_expired"], body["points_reversed"]) == (100, 100, 15)
        assert (body["points_owed_settled"], body["balance_after"]) == (0, 0)

    def test_the_quote_refuses_what_the_purchase_would_refuse(self, api, customer):
        response = api.post(
            "/api/v1/purchases/quote/", {"customer": customer.pk, "amount": "10000000.01"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid" and "largest purchase" in response.json()["detail"]

    def test_purchase_body_says_how_much_cashback_paid_what_was_owed_and_a_replay_says_the_same(self, api, customer):
        first = buy(customer, "1000.00", now=T).purchase
        buy(customer, "200.00", redeem=50, now=T)
        refund(first, now=T)  # owes 43
        body = {"customer": customer.pk, "amount": "1000.00"}
        response = api.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "p-1"})
        again = api.post("/api/v1/purchases/", body, format="json", headers={"Idempotency-Key": "p-1"})
        assert response.status_code == again.status_code == 201
        assert (response.json()["earned_points"], response.json()["points_owed_settled"]) == (50, 43)
        assert response.json()["balance_after"] == 7
        assert again.json() == response.json() and again.headers["Idempotent-Replayed"] == "true"


class TestLookupByPost:
    """The lookup with the query in the body, so that a phone never travels in a URL (issue #11)."""

    def test_same_answer_as_the_get_form(self, api, customer):
        by_get = api.get("/api/v1/customers/lookup/", {"q": "+7 912 345-67-89"})
        by_post = api.post("/api/v1/customers/lookup/", {"q": "+7 912 345-67-89"}, format="json")
        assert by_post.status_code == 200 and by_post.json() == by_get.json()

    def test_unknown_and_missing_queries(self, api, customer):
        unknown = api.post("/api/v1/customers/lookup/", {"q": "+7 999 000-00-00"}, format="json")
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
        missing = api.post("/api/v1/customers/lookup/", {}, format="json")
        assert missing.status_code == 400 and missing.json()["q"] == ["This field is required."]


def test_enrolment_with_a_birthday_in_the_future_is_400(api, program):
    response = api.post("/api/v1/customers/", {"phone": "+79160007003", "name": "A", "birthday": "9999-12-31"},
                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Birthday 31 Dec 9999 is in the future.",
        "code": "invalid_birthday",
        "birthday": ["Birthday 31 Dec 9999 is in the future."],
    }
