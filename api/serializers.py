"""Parse requests and shape responses. Amounts are decimal strings, points integers.

Input amounts: a decimal string ("1000.00", "1000", "999.9") or a JSON number, which the parser reads
as an exact Decimal from its text (19.99 is 19.99, never a binary float); either way at most 2 decimal
places, greater than zero, at most 9 999 999 999.99. Points and ids: JSON integers only.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from campaigns.models import Campaign
from campaigns.services.events import ActionReason
from core.formatting import foreign_digits
from loyalty import rules
from loyalty.models import LedgerEntry

DECIMAL_TEXT = re.compile(r"^\s*-?[0-9]{1,13}(\.[0-9]{1,12})?\s*$")
MAX_LINES = 500
ID_MAX = 2**63 - 1
ACTIONS = Campaign.Action.values
ACTION_REASONS = [
    ActionReason.NO_CAMPAIGN,
    ActionReason.NOT_ELIGIBLE,
    ActionReason.ALREADY,
    ActionReason.LIMIT,
    ActionReason.BUDGET,
]


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "example": "1000.00"}
)
class MoneyField(serializers.Field):
    """A positive amount of money, parsed by the program's one rule (loyalty.rules.money_parse)."""

    default_error_messages = {
        "invalid": _("Enter the amount as a decimal string such as “1000.00”."),
    }

    def to_internal_value(self, data) -> Decimal:
        amount = money_value(data)
        if amount is None:
            self.fail("invalid")
        return amount


def money_value(data) -> Decimal | None:
    """MoneyField's parsing: the amount, None when it is not a decimal string or number at all ("invalid");
    serializers.ValidationError for a number out of the rule's range (loyalty.rules.money_parse)."""
    if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
        return None
    if isinstance(data, str) and not DECIMAL_TEXT.match(data):
        return None
    number = Decimal(data.strip()) if isinstance(data, str) else Decimal(data)
    if not number.is_finite():
        return None
    if number > rules.MAX_AMOUNT:  # checked first: money_parse cannot quantize a number like 1E+30
        raise serializers.ValidationError(_("%(label)s is too large.") % {"label": _("Amount")})
    try:
        return rules.money_parse(number, field_label=str(_("Amount")))
    except rules.RuleError as exc:
        raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value) -> str:
        return f"{value:.2f}"


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: "5", 5.0 and true are refused (DRF's IntegerField would accept them)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string: 79123456789 or true is refused ("Not a valid string."), where DRF's CharField would
    turn a number into text (a phone sent as a number has lost its "+" and leading zeros)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MomentField(serializers.DateTimeField):
    """DRF's DateTimeField, with a moment that cannot be placed in time refused as out of range (400), not
    a 500: a naive "0001-01-01T00:00" read in the shop's time zone falls before the first moment Python has
    (tester finding); digits other than ASCII refused as the wrong format."""

    def to_internal_value(self, value):
        if isinstance(value, str) and foreign_digits(value):  # as the forms refuse it (core.forms)
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("overflow")


class LatinDateField(serializers.DateField):
    """DRF's DateField refusing digits other than ASCII (a birthday in Arabic-Indic digits), as the forms do."""

    def to_internal_value(self, value):
        if isinstance(value, str) and foreign_digits(value):  # as the forms refuse it (core.forms)
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


def customer_id_field(**kwargs) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=ID_MAX, help_text=_("The customer's id."), **kwargs)


# --- requests ----------------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A new customer",
            value={"phone": "+7 912 345-67-89", "name": "Anna Petrova", "email": "anna@example.com", "language": "ru"},
            request_only=True,
        )
    ]
)
class CustomerEnrolSerializer(serializers.Serializer):
    phone = StrictCharField(max_length=32, help_text=_("In any format; stored as E.164."))
    name = StrictCharField(max_length=200)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    birthday = LatinDateField(required=False, allow_null=True, help_text=_("YYYY-MM-DD"))
    referral_code = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=32, help_text=_("Another customer's code.")
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("The language of the customer's messages. Absent: the shop's language."),
    )


class CustomerLookupSerializer(serializers.Serializer):
    q = StrictCharField(max_length=64, help_text=_("A phone number in any format, or a card number."))


class PurchaseLineSerializer(serializers.Serializer):
    sku = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    category = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    amount = MoneyField()


class PurchaseQuoteSerializer(serializers.Serializer):
    customer = customer_id_field()
    amount = MoneyField()
    lines = PurchaseLineSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_LINES,
        help_text=_("Optional: the check's lines, so that boosts on a category show in the quote."),
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A check paid partly with points",
            value={
                "customer": 1,
                "amount": "1000.00",
                "redeem_points": 150,
                "external_id": "R-2026-000123",
                "lines": [{"sku": "A-100", "category": "shoes", "amount": "1000.00"}],
            },
            request_only=True,
        )
    ]
)
class PurchaseRecordSerializer(serializers.Serializer):
    customer = customer_id_field()
    amount = MoneyField()
    redeem_points = StrictIntegerField(required=False, default=0, min_value=0, max_value=rules.MAX_POINTS)
    external_id = StrictCharField(
        required=False, allow_blank=True, default="", max_length=100, help_text=_("The receipt number at the till.")
    )
    lines = PurchaseLineSerializer(many=True, required=False, default=list, max_length=MAX_LINES)


BATCH_MAX = 500  # purchases per batch request
IDEMPOTENCY_KEY_TEXT = r"^[\x21-\x7e]{1,64}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_TEXT)  # used with fullmatch, so a trailing newline is refused too


class BatchPurchaseSerializer(PurchaseRecordSerializer):
    idempotency_key = StrictCharField(
        max_length=64,
        trim_whitespace=False,  # " k\n" is refused, not taken as "k" (the answer echoes what was sent)
        help_text=_(
            "This purchase's own idempotency key (1–64 visible ASCII characters), as the Idempotency-Key header "
            "of the single endpoint: the same key with the same purchase replays its first result."
        ),
    )
    occurred_at = MomentField(
        help_text=_(
            "When the purchase happened at the till (ISO 8601; without an offset, the shop's time zone). At most "
            "API_BATCH_MAX_AGE_DAYS old and API_BATCH_CLOCK_SKEW_SECONDS ahead of the server's clock."
        )
    )

    def validate_idempotency_key(self, value: str) -> str:
        if not _IDEMPOTENCY_KEY.fullmatch(value):
            raise serializers.ValidationError(_("The idempotency key must be 1–64 visible ASCII characters."))
        return value


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A till's day, synced",
            value={
                "purchases": [
                    {
                        "idempotency_key": "till-7-000311",
                        "occurred_at": "2026-11-29T18:04:12+03:00",
                        "customer": 1,
                        "amount": "1000.00",
                        "external_id": "R-7-000311",
                    },
                    {
                        "idempotency_key": "till-7-000312",
                        "occurred_at": "2026-11-29T18:09:40+03:00",
                        "customer": 2,
                        "amount": "250.00",
                        "redeem_points": 50,
                    },
                ]
            },
            request_only=True,
        )
    ]
)
@extend_schema_field(BatchPurchaseSerializer)
class BatchItemField(serializers.Field):
    """One purchase of a batch as sent: any JSON value, taken as it is (its exact Decimal numbers too) and
    parsed later on its own (BatchPurchaseSerializer), so that an item that is not an object fails alone;
    documented as a BatchPurchase."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class PurchaseBatchSerializer(serializers.Serializer):
    """The batch's envelope; each item is parsed on its own (BatchPurchaseSerializer), so that one bad item
    fails alone."""

    # Any JSON value per item: one that is not an object fails alone, in its place (views.PurchaseBatchView).
    purchases = serializers.ListField(
        child=BatchItemField(allow_null=True),  # a null item fails alone too, as any item that is not an object
        min_length=1,
        max_length=BATCH_MAX,
        error_messages={
            "min_length": _("Send at least one purchase."),
            "max_length": _("Send at most {max_length} purchases in one batch."),
        },
        help_text=_("1–500 purchases (BatchPurchase), recorded in this order."),
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample("A review written", value={"action": "review", "reference": "review-8812"}, request_only=True)
    ]
)
class CustomerActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[(value, value) for value in ACTIONS], help_text=_("What the customer did.")
    )
    reference = StrictCharField(
        max_length=64,
        help_text=_(
            "Your id of what was done (the review, the survey answer), 1–64 visible ASCII characters: the same "
            "reference is rewarded once."
        ),
    )


class PurchaseRefundSerializer(serializers.Serializer):
    amount = MoneyField(required=False, allow_null=True, help_text=_("Absent or null: the rest of the purchase."))


# --- responses ---------------------------------------------------------------------------------------


class TierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    cashback_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    redeem_cap_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class NextTierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    spend_needed = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("Money still to spend to reach it.")
    )


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text=_("E.164, e.g. +79123456789."))
    card_number = serializers.CharField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, help_text=_("The language of the customer's messages.")
    )
    balance = serializers.IntegerField(help_text=_("Every point on the account."))
    available_points = serializers.IntegerField(help_text=_("Points that can pay now."))
    pending_points = serializers.IntegerField(help_text=_("Earned points not yet spendable (activation delay)."))
    points_owed = serializers.IntegerField(
        help_text=_(
            "Points a refund should have taken back but the customer had already spent: later credits pay them first."
        )
    )
    tier = TierSerializer(allow_null=True, help_text=_("Null when the program has no tiers."))
    next_tier = NextTierSerializer(allow_null=True, help_text=_("Null at the top tier or without tiers."))


class EarnedPartSerializer(serializers.Serializer):
    """One part of the points a purchase earns."""

    part = serializers.ChoiceField(
        choices=[("base", "base"), ("tier", "tier"), ("boost", "boost")],
        help_text=_(
            "`base`: the program's cashback; `tier`: what the customer's tier adds to it; `boost`: an earning "
            "boost campaign (one part per campaign)."
        ),
    )
    campaign = serializers.IntegerField(required=False, help_text=_("For a boost: the campaign's id."))
    name = serializers.CharField(required=False, help_text=_("For a boost: the campaign's name."))
    points = serializers.IntegerField()


EARNED_BREAKDOWN_HELP = _(
    "How the points earned split: base, tier (when the tier adds points) and each boost; the parts add up "
    "exactly to the points earned. Empty for purchases recorded before breakdowns existed."
)


class PurchaseQuoteResultSerializer(serializers.Serializer):
    max_redeem_points = serializers.IntegerField(help_text=_("The most points this purchase can redeem."))
    earn_points = serializers.IntegerField(help_text=_("Points earned if nothing is redeemed (boosts included)."))
    earned_breakdown = EarnedPartSerializer(many=True, help_text=EARNED_BREAKDOWN_HELP)


class PurchaseResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    redeemed_points = serializers.IntegerField()
    paid_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    earned_points = serializers.IntegerField()
    points_owed_settled = serializers.IntegerField(
        help_text=_("Of the points earned, how many paid points the customer owed (they do not add to the balance).")
    )
    balance_after = serializers.IntegerField()
    earned_breakdown = EarnedPartSerializer(many=True, help_text=EARNED_BREAKDOWN_HELP)


class RefundResultSerializer(serializers.Serializer):
    refunded_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    points_reversed = serializers.IntegerField(help_text=_("Earned points taken back."))
    points_returned = serializers.IntegerField(help_text=_("Redeemed points given back."))
    points_shortfall = serializers.IntegerField(
        help_text=_("Earned points already spent that could not be taken back: now owed by the customer.")
    )
    points_expired = serializers.IntegerField(
        help_text=_("Earned points not taken back because they had expired unused.")
    )
    points_returned_expired = serializers.IntegerField(
        help_text=_("Of the points returned, how many came back past their expiry and burnt at once.")
    )
    points_owed_settled = serializers.IntegerField(
        help_text=_("Of the points returned, how many paid points the customer owed.")
    )
    balance_after = serializers.IntegerField()


class LedgerEntrySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)

    class Meta:
        model = LedgerEntry
        fields = ["created_at", "kind", "points", "reason", "expires_at"]


class ActionGrantSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(help_text=_("The campaign that granted the points."))
    points = serializers.IntegerField()
    expires_at = serializers.CharField(
        allow_null=True, help_text=_("When the points burn (ISO 8601, the shop's time zone); null: never.")
    )


class ActionResultSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    action = serializers.CharField()
    reference = serializers.CharField()
    granted = ActionGrantSerializer(many=True, help_text=_("The grants made; empty when nothing was granted."))
    reason = serializers.ChoiceField(
        choices=[(value, value) for value in ACTION_REASONS],
        allow_null=True,
        help_text=_(
            "Why nothing was granted (null when something was): `no_campaign` (no running campaign rewards the "
            "action), `not_eligible` (not for this customer now), `already_granted` (this reference was "
            "rewarded before), `limit_reached` (the customer's limit for the action and period), `budget_spent`."
        ),
    )
    detail = serializers.CharField(help_text=_("The same, in a sentence."))


class ErrorSerializer(serializers.Serializer):
    """Every error: a sentence for a person in `detail`, and the messages per field where a field is wrong."""

    detail = serializers.CharField()
    code = serializers.CharField(
        required=False, help_text=_("A stable machine-readable reason, e.g. `redeem_too_much`, `duplicate_receipt`.")
    )


class PurchaseErrorSerializer(ErrorSerializer):
    max_redeem_points = serializers.IntegerField(
        required=False, help_text=_("When too many points were asked for: the most this purchase can redeem.")
    )


class DuplicateReceiptSerializer(ErrorSerializer):
    id = serializers.IntegerField(
        required=False, help_text=_("For a receipt recorded already: the purchase recorded under that number.")
    )


class RefundErrorSerializer(ErrorSerializer):
    refundable_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text=_("When too much was asked for: what remains.")
    )


@extend_schema_field(PurchaseErrorSerializer)
class ErrorBodyField(serializers.JSONField):
    """An error body passed through as it is (its field lists vary), documented as PurchaseErrorSerializer."""


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("The purchase's position in the request, from 0."))
    idempotency_key = serializers.CharField(allow_null=True, help_text=_("As sent (null when it was not a string)."))
    result = serializers.ChoiceField(
        choices=["recorded", "replayed", "error"],
        help_text=_(
            "`recorded`: recorded now; `replayed`: recorded by an earlier request with this key (nothing recorded "
            "twice); `error`: refused, nothing recorded for it (see `error`)."
        ),
    )
    status = serializers.IntegerField(
        help_text=_("The status the single endpoint would answer for it: 201, or the error's (400, 409).")
    )
    purchase = PurchaseResultSerializer(
        required=False, help_text=_("For `recorded` and `replayed`: the body of the single endpoint's answer.")
    )
    error = ErrorBodyField(
        required=False, help_text=_("For `error`: the body the single endpoint would answer (detail, code, fields).")
    )


class PurchaseBatchResultSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True, help_text=_("One per purchase, in the order sent."))


# --- the hot paths' bodies, without building serializers (issue #16) ----------------------------------
# A DRF serializer deep-copies its fields on every instantiation: for the lookup that was about a third of
# the request's Python time. These build the very same JSON as CustomerSerializer and
# PurchaseResultSerializer, which stay the documented schema (OpenAPI); api/tests/test_bodies.py holds
# the two equal over every shape of input.


def _decimal_text(value) -> str:
    """A money or percent Decimal as DRF's DecimalField (decimal_places=2, the context's rounding) writes it:
    "5.00"."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value).strip())
    return f"{value.quantize(rules.CENT):f}"


def customer_body(card: dict) -> dict:
    """CustomerSerializer(card).data, for an api.selectors.customer_card dict."""
    tier, next_tier = card["tier"], card["next_tier"]
    return {
        "id": int(card["id"]),
        "name": str(card["name"]),
        "phone": str(card["phone"]),
        "card_number": str(card["card_number"]),
        "language": _LANGUAGES.get(str(card["language"]), card["language"]),
        "balance": int(card["balance"]),
        "available_points": int(card["available_points"]),
        "pending_points": int(card["pending_points"]),
        "points_owed": int(card["points_owed"]),
        "tier": None
        if tier is None
        else {
            "code": str(tier["code"]),
            "name": str(tier["name"]),
            "cashback_percent": _decimal_text(tier["cashback_percent"]),
            "redeem_cap_percent": _decimal_text(tier["redeem_cap_percent"]),
        },
        "next_tier": None
        if next_tier is None
        else {
            "code": str(next_tier["code"]),
            "name": str(next_tier["name"]),
            "spend_needed": _decimal_text(next_tier["spend_needed"]),
        },
    }


def _earned_part_body(part: dict) -> dict:
    body = {"part": _PARTS.get(str(part["part"]), part["part"])}
    if "campaign" in part:
        body["campaign"] = int(part["campaign"])
    if "name" in part:
        body["name"] = str(part["name"])
    body["points"] = int(part["points"])
    return body


def purchase_result_body(data: dict) -> dict:
    """PurchaseResultSerializer(data).data."""
    return {
        "id": int(data["id"]),
        "amount": _decimal_text(data["amount"]),
        "redeemed_points": int(data["redeemed_points"]),
        "paid_amount": _decimal_text(data["paid_amount"]),
        "earned_points": int(data["earned_points"]),
        "points_owed_settled": int(data["points_owed_settled"]),
        "balance_after": int(data["balance_after"]),
        "earned_breakdown": [_earned_part_body(part) for part in data["earned_breakdown"]],
    }


_LANGUAGES = {str(code): code for code, _name in settings.LANGUAGES}
_PARTS = {"base": "base", "tier": "tier", "boost": "boost"}


def lookup_query_fast(data) -> str | None:
    """The lookup's `q` as CustomerLookupSerializer validates it (a string, surrounding spaces trimmed, not
    blank, at most 64 characters), or None when the serializer must answer (anything else: the 400)."""
    if not isinstance(data, dict):
        return None
    q = data.get("q")
    if not isinstance(q, str):
        return None
    q = q.strip()
    if not q or len(q) > 64 or "\x00" in q:
        return None
    try:
        q.encode("utf-8")  # a lone surrogate ("\ud800") cannot be: the serializer refuses it
    except UnicodeEncodeError:
        return None
    return q


_PURCHASE_FIELDS = frozenset({"customer", "amount", "redeem_points", "external_id", "lines"})


def _text_fast(value, max_length: int) -> str | None:
    """A StrictCharField(allow_blank=True) value as it validates (trimmed), or None to let it answer."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > max_length or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def purchase_record_fast(data) -> dict | None:
    """PurchaseRecordSerializer(data=data).validated_data for the common request (no lines, every field
    valid), without building the serializer; None otherwise (the serializer then parses it, and answers
    the 400 where something is wrong). api/tests/test_bodies.py holds the two equal."""
    if not isinstance(data, dict) or not _PURCHASE_FIELDS.issuperset(data):
        return None
    customer, redeem = data.get("customer"), data.get("redeem_points", 0)
    if isinstance(customer, bool) or not isinstance(customer, int) or not 1 <= customer <= ID_MAX:
        return None
    if isinstance(redeem, bool) or not isinstance(redeem, int) or not 0 <= redeem <= rules.MAX_POINTS:
        return None
    if data.get("lines", []) != []:
        return None
    external_id = _text_fast(data.get("external_id", ""), 100)
    if external_id is None:
        return None
    try:
        amount = money_value(data.get("amount"))
    except serializers.ValidationError:
        return None
    if amount is None:
        return None
    return {"customer": customer, "amount": amount, "redeem_points": redeem, "external_id": external_id, "lines": []}


_BATCH_FIELDS = _PURCHASE_FIELDS | {"idempotency_key", "occurred_at"}
_OCCURRED_AT = MomentField()  # BatchPurchaseSerializer's field, for batch_purchase_fast


def batch_purchase_fast(data) -> dict | None:
    """BatchPurchaseSerializer(data=data).validated_data for the common item of a batch (no lines, every
    field valid), without running the serializer's fields one by one; None otherwise (the serializer then
    parses it, and answers the item's 400 where something is wrong). api/tests/test_bodies.py holds the two
    equal."""
    if not isinstance(data, dict) or not _BATCH_FIELDS.issuperset(data):
        return None
    key = data.get("idempotency_key")
    if not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key):
        return None
    occurred_at = data.get("occurred_at")
    if not isinstance(occurred_at, str):
        return None
    purchase = purchase_record_fast({name: value for name, value in data.items() if name in _PURCHASE_FIELDS})
    if purchase is None:
        return None
    try:
        moment = _OCCURRED_AT.to_internal_value(occurred_at)
    except serializers.ValidationError:
        return None
    return {**purchase, "idempotency_key": key, "occurred_at": moment}


def batch_results_body(results: list[dict]) -> dict:
    """PurchaseBatchResultSerializer({"results": results}).data, for the batch view's results (index,
    idempotency_key, result, status, and purchase — a purchase body as purchase_result_body takes it — or
    error)."""
    bodies = []
    for result in results:
        key = result["idempotency_key"]
        body = {
            "index": int(result["index"]),
            "idempotency_key": None if key is None else str(key),
            "result": result["result"],
            "status": int(result["status"]),
        }
        if "purchase" in result:
            body["purchase"] = purchase_result_body(result["purchase"])
        if "error" in result:
            body["error"] = result["error"]
        bodies.append(body)
    return {"results": bodies}
