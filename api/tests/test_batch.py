"""POST /api/v1/purchases/batch/ (issue #16): an offline till syncs its purchases, each with its own key and
`occurred_at`; results per item and in order, partial failures, replays, the time window, the 500 limit, and
how a late purchase's points are dated."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.models import LedgerEntry, PointsLot, ProgramSettings, Purchase, SpendDay
from loyalty.rules import local_day, points_expiry
from loyalty.selectors import qualifying_spend, spend_day_problems

pytestmark = pytest.mark.django_db
URL = "/api/v1/purchases/batch/"


def item(customer, key, *, amount="1000.00", ago=dt.timedelta(hours=2), **extra):
    occurred = extra.pop("occurred_at", None) or (timezone.now() - ago).isoformat()
    return {"idempotency_key": key, "occurred_at": occurred, "customer": customer.pk, "amount": amount, **extra}


def send(api, purchases):
    return api.post(URL, {"purchases": purchases}, format="json")


class TestResults:
    def test_each_purchase_is_answered_in_order_and_one_bad_item_fails_alone(self, api, customer, customer_factory):
        other = customer_factory()
        response = send(
            api,
            [
                item(customer, "a-1"),
                item(customer, "a-2", amount="-5"),  # invalid: a field error
                item(other, "a-3", redeem_points=10),  # no points yet: the domain's error
                {
                    "idempotency_key": "a-4",
                    "occurred_at": timezone.now().isoformat(),
                    "customer": 999999,
                    "amount": "5",
                },
                item(other, "a-5", amount="200.00"),
            ],
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(r["index"], r["idempotency_key"], r["result"], r["status"]) for r in results] == [
            (0, "a-1", "recorded", 201),
            (1, "a-2", "error", 400),
            (2, "a-3", "error", 400),
            (3, "a-4", "error", 400),
            (4, "a-5", "recorded", 201),
        ]
        assert results[1]["error"]["code"] == "invalid" and "amount" in results[1]["error"]
        assert results[2]["error"]["code"] == "redeem_too_much" and results[2]["error"]["max_redeem_points"] == 0
        assert results[3]["error"]["code"] == "unknown_customer"
        first = Purchase.objects.get(pk=results[0]["purchase"]["id"])
        assert results[0]["purchase"] == {
            "id": first.pk,
            "amount": "1000.00",
            "redeemed_points": 0,
            "paid_amount": "1000.00",
            "earned_points": 50,
            "points_owed_settled": 0,
            "balance_after": 50,
            "earned_breakdown": [{"part": "base", "points": 50}],
        }
        assert Purchase.objects.count() == 2  # the refused ones left nothing behind
        assert results[4]["purchase"]["balance_after"] == 10

    def test_the_same_customer_several_times_in_order(self, api, customer):
        response = send(api, [item(customer, "o-1"), item(customer, "o-2", redeem_points=50)])
        first, second = response.json()["results"]
        assert first["purchase"]["balance_after"] == 50  # earned first, then redeemed by the next one
        assert second["result"] == "recorded" and second["purchase"]["redeemed_points"] == 50

    def test_a_duplicate_receipt_is_the_single_endpoints_409_body(self, api, customer):
        send(api, [item(customer, "r-1", external_id="R-1")])
        result = send(api, [item(customer, "r-2", external_id="R-1")]).json()["results"][0]
        assert (result["result"], result["status"], result["error"]["code"]) == ("error", 409, "duplicate_receipt")


class TestReplays:
    def test_the_whole_batch_again_records_nothing_twice(self, api, customer):
        batch = [item(customer, "w-1"), item(customer, "w-2", amount="300.00"), item(customer, "w-3", amount="0")]
        first = send(api, batch).json()["results"]
        again = send(api, batch).json()["results"]
        assert [r["result"] for r in first] == ["recorded", "recorded", "error"]
        assert [r["result"] for r in again] == ["replayed", "replayed", "error"]
        assert [r.get("purchase") for r in again[:2]] == [r["purchase"] for r in first[:2]]
        assert Purchase.objects.count() == 2
        assert LedgerEntry.objects.count() == 2

    def test_an_item_sent_before_replays_inside_a_new_batch(self, api, customer):
        one = item(customer, "s-1")
        send(api, [one])
        results = send(api, [item(customer, "s-2", amount="20.00"), one]).json()["results"]
        assert [r["result"] for r in results] == ["recorded", "replayed"]
        assert Purchase.objects.count() == 2

    def test_a_key_with_another_purchase_is_a_conflict(self, api, customer):
        send(api, [item(customer, "c-1")])
        result = send(api, [item(customer, "c-1", amount="999.00")]).json()["results"][0]
        assert (result["status"], result["error"]["code"]) == (409, "idempotency_conflict")

    def test_keys_are_per_client_as_the_header_keys(self, api, customer, api_client_factory):
        from api.tests.helpers import token_client

        send(api, [item(customer, "k-1")])
        other = token_client(api_client_factory(name="other-shop").key)
        assert send(other, [item(customer, "k-1")]).json()["results"][0]["result"] == "recorded"

    def test_a_key_first_sent_to_the_single_endpoint_replays_that_purchase(self, api, customer):
        """A till's online request timed out, so it queued the purchase offline under the same key: the batch
        answers the purchase already recorded (replayed), not a conflict that says to start again (tester
        finding: that would record it twice)."""
        online = api.post(
            "/api/v1/purchases/",
            {"customer": customer.pk, "amount": "1000.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="q-1",
        )
        assert online.status_code == 201
        result = send(api, [item(customer, "q-1")]).json()["results"][0]
        assert (result["result"], result["purchase"]["id"]) == ("replayed", online.json()["id"])
        conflict = send(api, [item(customer, "q-1", amount="999.00")]).json()["results"][0]
        assert conflict["error"]["code"] == "idempotency_conflict"  # another purchase under it: still refused
        assert Purchase.objects.count() == 1 and customer.points_account.balance == 50

    def test_a_key_first_recorded_in_a_batch_replays_when_sent_online(self, api, customer):
        """The other way round: the till's batch answer was lost and it sends the purchase online under the
        same key: the purchase recorded late is answered again, not a conflict."""
        late = send(api, [item(customer, "q-2", amount="500.00")]).json()["results"][0]
        assert late["result"] == "recorded"
        online = api.post(
            "/api/v1/purchases/",
            {"customer": customer.pk, "amount": "500.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="q-2",
        )
        assert online.status_code == 201 and online.json()["id"] == late["purchase"]["id"]
        other = api.post(
            "/api/v1/purchases/",
            {"customer": customer.pk, "amount": "501.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="q-2",
        )
        assert other.status_code == 409
        assert Purchase.objects.count() == 1


class TestWindow:
    def test_the_edges_of_the_window(self, api, customer, settings):
        settings.API_BATCH_MAX_AGE_DAYS = 7
        settings.API_BATCH_CLOCK_SKEW_SECONDS = 300
        now = timezone.now()
        results = send(
            api,
            [
                item(customer, "e-1", occurred_at=(now - dt.timedelta(days=7) + dt.timedelta(minutes=1)).isoformat()),
                item(customer, "e-2", occurred_at=(now - dt.timedelta(days=7, minutes=1)).isoformat()),
                item(customer, "e-3", occurred_at=(now + dt.timedelta(seconds=240)).isoformat()),
                item(customer, "e-4", occurred_at=(now + dt.timedelta(seconds=400)).isoformat()),
            ],
        ).json()["results"]
        assert [r["result"] for r in results] == ["recorded", "error", "recorded", "error"]
        assert results[1]["error"] == {
            "detail": "The purchase is older than 7 days: too late to record it.",
            "code": "invalid",
            "occurred_at": ["The purchase is older than 7 days: too late to record it."],
        }
        assert results[3]["error"]["occurred_at"] == ["The purchase time is in the future."]
        ahead = Purchase.objects.get(pk=results[2]["purchase"]["id"])
        assert ahead.created_at <= timezone.now()  # a till running ahead is dated when recorded

    def test_the_window_is_a_setting(self, api, customer, settings):
        settings.API_BATCH_MAX_AGE_DAYS = 30
        result = send(api, [item(customer, "x-1", ago=dt.timedelta(days=20))]).json()["results"][0]
        assert result["result"] == "recorded"

    def test_occurred_at_is_required_and_must_be_a_moment(self, api, customer):
        results = send(
            api,
            [
                {"idempotency_key": "m-1", "customer": customer.pk, "amount": "10.00"},
                item(customer, "m-2", occurred_at="yesterday"),
                {"occurred_at": timezone.now().isoformat(), "customer": customer.pk, "amount": "10.00"},
                item(customer, "bad key with spaces"),
                item(customer, "m-5\n"),  # surrounding whitespace is refused, not trimmed into another key
                item(customer, " m-6"),
                item(customer, "m-7", occurred_at="0001-01-01T00:00:00"),  # before Python's first moment here
                item(customer, "m-8", occurred_at="0001-01-01"),
                item(customer, "m-9", occurred_at="٢٠٢٦-١٢-٠١T١٠:٢٢:٣٠"),  # Arabic-Indic digits: not read as a date
            ],
        ).json()["results"]
        assert [r["status"] for r in results] == [400] * 9
        assert "occurred_at" in results[8]["error"]
        assert results[4]["error"]["idempotency_key"] == ["The idempotency key must be 1–64 visible ASCII characters."]
        assert results[5]["idempotency_key"] == " m-6" and "idempotency_key" in results[5]["error"]
        assert results[6]["error"]["occurred_at"] == ["Datetime value out of range."]
        assert results[7]["error"]["occurred_at"] == ["Datetime value out of range."]
        assert "occurred_at" in results[0]["error"] and "occurred_at" in results[1]["error"]
        assert "idempotency_key" in results[2]["error"] and results[2]["idempotency_key"] is None
        assert "idempotency_key" in results[3]["error"]
        assert not Purchase.objects.exists()


class TestLatePurchaseDating:
    def test_points_are_dated_and_burn_from_occurred_at_while_the_entry_is_written_now(self, api, customer):
        ProgramSettings.objects.filter(pk=1).update(points_lifetime_days=30, activation_delay_days=2)
        occurred = timezone.now() - dt.timedelta(days=5)
        before = timezone.now()
        result = send(api, [item(customer, "d-1", occurred_at=occurred.isoformat())]).json()["results"][0]
        purchase = Purchase.objects.get(pk=result["purchase"]["id"])
        assert purchase.created_at == occurred
        lot = PointsLot.objects.get(customer=customer)
        assert lot.expires_at == points_expiry(credited_at=occurred, lifetime_days=30)
        assert lot.available_at == occurred + dt.timedelta(days=2)  # already available: 5 days ago + 2
        entry = LedgerEntry.objects.get(customer=customer)
        assert entry.created_at >= before  # appended now, after what the ledger holds
        assert SpendDay.objects.get(customer=customer).day == local_day(occurred)
        assert qualifying_spend(customer.pk) == (Decimal("1000.00"), 1)
        assert spend_day_problems() == []

    def test_points_whose_expiry_has_passed_are_credited_and_expired_at_once(self, api, customer):
        ProgramSettings.objects.filter(pk=1).update(points_lifetime_days=1)
        result = send(api, [item(customer, "d-2", ago=dt.timedelta(days=3))]).json()["results"][0]
        assert result["result"] == "recorded" and result["purchase"]["balance_after"] == 0
        assert sorted(LedgerEntry.objects.values_list("kind", "points")) == [("earn", 50), ("expire", -50)]


class TestEnvelope:
    def test_501_purchases_are_400_with_the_reason_and_record_nothing(self, api, customer):
        response = send(api, [item(customer, f"n-{i}", amount="1.00") for i in range(501)])
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and "500" in body["detail"] and "purchases" in body
        assert not Purchase.objects.exists()

    def test_500_purchases_are_recorded(self, api, customer):
        response = send(api, [item(customer, f"n-{i}", amount="1.00") for i in range(500)])
        assert response.status_code == 200
        assert [r["index"] for r in response.json()["results"]] == list(range(500))
        assert Purchase.objects.count() == 500

    @pytest.mark.parametrize("body", ['{"purchases": [', "[]", '{"purchases": []}', '{"purchases": {}}', "{}"])
    def test_unusable_requests_are_400(self, api, program, body):
        response = api.post(URL, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["detail"] and not Purchase.objects.exists()

    def test_no_purchases_says_to_send_one(self, api, program):
        response = api.post(URL, '{"purchases": []}', content_type="application/json")
        assert response.status_code == 400
        assert response.json()["detail"] == "purchases: Send at least one purchase."

    def test_more_than_500_says_the_limit(self, api, customer):
        response = send(api, [item(customer, f"n-{i}", amount="1.00") for i in range(501)])
        assert response.json()["detail"] == "purchases: Send at most 500 purchases in one batch."

    def test_an_item_that_is_not_an_object_fails_alone_in_its_place(self, api, customer):
        response = send(api, [item(customer, "o-1"), 7, ["x"], None, item(customer, "o-2", amount="10.00")])
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(r["index"], r["idempotency_key"], r["result"], r["status"]) for r in results] == [
            (0, "o-1", "recorded", 201),
            (1, None, "error", 400),
            (2, None, "error", 400),
            (3, None, "error", 400),  # a null item fails alone too (tester: it refused the whole batch)
            (4, "o-2", "recorded", 201),
        ]
        assert results[1]["error"] == {"detail": "A purchase must be a JSON object.", "code": "invalid"}
        assert results[3]["error"] == results[1]["error"]
        assert Purchase.objects.count() == 2

    def test_amounts_sent_as_json_numbers_are_exact(self, api, customer):
        body = json.dumps({"purchases": [item(customer, "j-1", amount="__AMOUNT__")]}).replace('"__AMOUNT__"', "19.99")
        response = api.post(URL, body, content_type="application/json")
        assert response.json()["results"][0]["purchase"]["amount"] == "19.99"

    def test_a_number_of_5000_digits_is_a_plain_400(self, api, program):
        response = api.post(URL, '{"purchases": [{"amount": ' + "9" * 5000 + "}]}", content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"detail": "Numbers may have at most 100 digits.", "code": "parse_error"}
        decimal = api.post(URL, '{"purchases": [{"amount": 0.' + "9" * 5000 + "}]}", content_type="application/json")
        assert decimal.json()["detail"] == "Numbers may have at most 100 digits."

    def test_bad_json_is_a_parse_error(self, api, program):
        response = api.post(URL, '{"purchases": [{"amount": 1,}]}', content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "parse_error"

    def test_needs_an_api_key(self, client, program):
        response = client.post(URL, json.dumps({"purchases": []}), content_type="application/json")
        assert response.status_code == 401
