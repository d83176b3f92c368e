"""The hot paths' bodies and parsers built without serializers (issue #16) say exactly what the serializers
(the documented schema) say: the same JSON out, the same validated data in, and the serializer answers
whatever the fast parser does not take."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api import serializers as s

TIER = {"code": "gold", "name": "Gold", "cashback_percent": D("7.00"), "redeem_cap_percent": D("50")}
NEXT = {"code": "platinum", "name": "Платина", "spend_needed": D("12345.5")}
CARD = {
    "id": 7,
    "name": "Анна Петрова",
    "phone": "+79123456789",
    "card_number": "2000000000008",
    "language": "ru",
    "balance": 120,
    "available_points": 100,
    "pending_points": 20,
    "points_owed": 0,
    "tier": TIER,
    "next_tier": NEXT,
}


@pytest.mark.parametrize(
    "card",
    [
        CARD,
        {**CARD, "tier": None, "next_tier": None},
        {**CARD, "next_tier": None, "language": "en", "card_number": ""},
        {**CARD, "tier": {**TIER, "cashback_percent": D("5"), "redeem_cap_percent": D("33.33")}},
    ],
)
def test_the_customer_body_is_the_serializers(card):
    assert s.customer_body(card) == s.CustomerSerializer(card).data
    assert list(s.customer_body(card)) == list(s.CustomerSerializer(card).data)


def _purchase(breakdown: list) -> dict:
    """A recorded purchase as the purchase views hand it to the bodies."""
    return {
        "id": 12,
        "amount": D("1000.00"),
        "redeemed_points": 10,
        "paid_amount": D("990"),
        "earned_points": 49,
        "points_owed_settled": 0,
        "balance_after": 1039,
        "earned_breakdown": breakdown,
    }


@pytest.mark.parametrize(
    "breakdown",
    [
        [],
        [{"part": "base", "points": 49}],
        [{"points": 10, "part": "base"}, {"part": "tier", "points": 5}],
        [{"part": "base", "points": 49}, {"part": "boost", "campaign": 3, "name": "Double", "points": 49}],
    ],
)
def test_the_purchase_body_is_the_serializers(breakdown):
    data = _purchase(breakdown)
    expected = s.PurchaseResultSerializer(data).data
    assert s.purchase_result_body(data) == expected
    assert [list(part) for part in s.purchase_result_body(data)["earned_breakdown"]] == [
        list(part) for part in expected["earned_breakdown"]
    ]


def _serializer_says(serializer_class, data):
    serializer = serializer_class(data=data)
    return serializer.validated_data if serializer.is_valid() else None


QUERIES = ["+79123456789", "  4567 ", "", "   ", "x" * 64, " " + "x" * 64 + " ", "x" * 65, "a\x00b", "\ud800", 5]


@pytest.mark.parametrize("q", QUERIES)
def test_the_fast_lookup_query_takes_only_what_the_serializer_takes(q):
    fast = s.lookup_query_fast({"q": q})
    said = _serializer_says(s.CustomerLookupSerializer, {"q": q})
    if fast is not None:
        assert said is not None and said["q"].strip() == fast


PURCHASES = [
    {"customer": 1, "amount": "1000.00"},
    {"customer": 1, "amount": "1000.00", "redeem_points": 10, "external_id": " R-1 ", "lines": []},
    {"customer": 1, "amount": 19.99},
    {"customer": 1, "amount": D("19.99")},
    {"customer": 1, "amount": "19.999"},
    {"customer": 1, "amount": "0"},
    {"customer": 1, "amount": "-5"},
    {"customer": 1, "amount": "1e3"},
    {"customer": 1, "amount": "99999999999.00"},
    {"customer": 0, "amount": "10"},
    {"customer": True, "amount": "10"},
    {"customer": "1", "amount": "10"},
    {"customer": 2**63, "amount": "10"},
    {"customer": 1, "amount": "10", "redeem_points": -1},
    {"customer": 1, "amount": "10", "redeem_points": None},
    {"customer": 1, "amount": "10", "redeem_points": 5.0},
    {"customer": 1, "amount": "10", "external_id": None},
    {"customer": 1, "amount": "10", "external_id": "x" * 101},
    {"customer": 1, "amount": "10", "lines": [{"amount": "10"}]},
    {"customer": 1, "amount": "10", "unknown": 1},
    {"amount": "10"},
    [],
]


@pytest.mark.parametrize("data", PURCHASES)
def test_the_fast_purchase_parser_agrees_with_the_serializer(data):
    fast = s.purchase_record_fast(data)
    if fast is not None:
        assert fast == _serializer_says(s.PurchaseRecordSerializer, data)


@given(
    st.fixed_dictionaries(
        {"customer": st.one_of(st.integers(), st.booleans(), st.text(max_size=3))},
        optional={
            "amount": st.one_of(st.decimals(allow_nan=True), st.text(alphabet="0123456789.-e ", max_size=14)),
            "redeem_points": st.one_of(st.integers(), st.none()),
            "external_id": st.one_of(st.text(max_size=110), st.none()),
        },
    )
)
def test_the_fast_purchase_parser_never_takes_what_the_serializer_refuses(data):
    fast = s.purchase_record_fast(data)
    if fast is not None:
        assert fast == _serializer_says(s.PurchaseRecordSerializer, data)


def test_the_common_requests_take_the_fast_path():
    assert s.lookup_query_fast({"q": " +7 912 345-67-89 "}) == "+7 912 345-67-89"
    assert s.purchase_record_fast({"customer": 3, "amount": "1000.00", "redeem_points": 10}) == {
        "customer": 3,
        "amount": D("1000.00"),
        "redeem_points": 10,
        "external_id": "",
        "lines": [],
    }


AT = "2026-11-29T18:04:12+03:00"
BATCH_ITEMS = [
    {"idempotency_key": "till-7-000311", "occurred_at": AT, "customer": 1, "amount": "1000.00"},
    {"idempotency_key": "k", "occurred_at": "2026-11-29T18:04:12", "customer": 1, "amount": "10", "redeem_points": 5},
    {"idempotency_key": "k", "occurred_at": "2026-11-29T15:04:12Z", "customer": 1, "amount": "10", "external_id": "R"},
    {"idempotency_key": "k", "occurred_at": "2026-11-29", "customer": 1, "amount": "10"},
    {"idempotency_key": "k", "occurred_at": "yesterday", "customer": 1, "amount": "10"},
    {"idempotency_key": "k", "occurred_at": 1764428652, "customer": 1, "amount": "10"},
    {"idempotency_key": "k", "occurred_at": "2026-02-30T10:00:00+03:00", "customer": 1, "amount": "10"},
    {"idempotency_key": "k\n", "occurred_at": AT, "customer": 1, "amount": "10"},
    {"idempotency_key": " k ", "occurred_at": AT, "customer": 1, "amount": "10"},
    {"idempotency_key": "ключ", "occurred_at": AT, "customer": 1, "amount": "10"},
    {"idempotency_key": "x" * 65, "occurred_at": AT, "customer": 1, "amount": "10"},
    {"idempotency_key": "", "occurred_at": AT, "customer": 1, "amount": "10"},
    {"idempotency_key": 7, "occurred_at": AT, "customer": 1, "amount": "10"},
    {"occurred_at": AT, "customer": 1, "amount": "10"},
    {"idempotency_key": "k", "customer": 1, "amount": "10"},
    {"idempotency_key": "k", "occurred_at": AT, "customer": 1, "amount": "-1"},
    {"idempotency_key": "k", "occurred_at": AT, "customer": 1, "amount": "10", "lines": [{"amount": "10"}]},
    {"idempotency_key": "k", "occurred_at": AT, "customer": 1, "amount": "10", "extra": True},
]


@pytest.mark.parametrize("data", BATCH_ITEMS)
def test_the_fast_batch_item_parser_agrees_with_the_serializer(data):
    fast = s.batch_purchase_fast(data)
    if fast is not None:
        assert fast == _serializer_says(s.BatchPurchaseSerializer, data)


def test_the_common_batch_items_take_the_fast_path():
    assert s.batch_purchase_fast(BATCH_ITEMS[0]) == _serializer_says(s.BatchPurchaseSerializer, BATCH_ITEMS[0])
    assert s.batch_purchase_fast(BATCH_ITEMS[1])["occurred_at"].utcoffset() is not None  # the shop's time zone
    assert s.batch_purchase_fast(BATCH_ITEMS[7]) is None  # left to the serializer, which says why


@given(
    st.fixed_dictionaries(
        {"customer": st.integers(min_value=0, max_value=3), "amount": st.sampled_from(["10", "1.005", "0"])},
        optional={
            "idempotency_key": st.one_of(st.text(max_size=70), st.integers()),
            "occurred_at": st.one_of(
                st.datetimes().map(lambda moment: moment.isoformat()),
                st.text(alphabet="0123456789-T:+Z. ", max_size=26),
            ),
        },
    )
)
def test_the_fast_batch_item_parser_never_takes_what_the_serializer_refuses(data):
    fast = s.batch_purchase_fast(data)
    if fast is not None:
        assert fast == _serializer_says(s.BatchPurchaseSerializer, data)


@pytest.mark.parametrize("breakdown", [[], [{"part": "base", "points": 49}]])
def test_the_batch_results_body_is_the_serializers(breakdown):
    purchase = _purchase(breakdown)
    results = [
        {"index": 0, "idempotency_key": "a", "result": "recorded", "status": 201, "purchase": purchase},
        {"index": 1, "idempotency_key": None, "result": "error", "status": 400, "error": {"detail": "x", "code": "y"}},
        {"index": 2, "idempotency_key": "b", "result": "replayed", "status": 201, "purchase": purchase},
        {"index": 3, "idempotency_key": "c", "result": "error", "status": 409, "error": {"detail": "z", "f": ["1"]}},
    ]
    expected = s.PurchaseBatchResultSerializer({"results": results}).data
    assert s.batch_results_body(results) == expected
    assert [list(body) for body in s.batch_results_body(results)["results"]] == [
        list(body) for body in expected["results"]
    ]
