"""API v1 views: parse with a serializer, call one service or selector, answer with a serializer.

Domain errors propagate to api.errors.exception_handler, which maps them to 400/404/409 JSON.
"""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.services.events import action_record
from core.exceptions import DomainError, InvalidIdempotencyKey
from core.formatting import ascii_digits
from customers.rules import phone_try_normalize
from customers.selectors import customer_get, customer_lookup
from customers.services import customer_enrol
from loyalty.exceptions import UnknownCustomer
from loyalty.rules import EarnLine
from loyalty.selectors import ledger_for_customer, operation_points, purchase_quote
from loyalty.services import (
    BatchItem,
    PurchaseResult,
    purchase_amount_check,
    purchase_record,
    purchase_record_batch,
    purchase_refund,
)

from . import serializers as s
from .errors import MissingIdempotencyKey, NotFoundError, validation_error_body
from .models import ApiClient
from .selectors import customer_card

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    pattern=IDEMPOTENCY_KEY.pattern,
    description=gettext_lazy(
        "A key you choose per operation (e.g. a UUID), 1–64 visible ASCII characters. Sending the same key "
        "with the same body again returns the first response (with `Idempotent-Replayed: true`) and records "
        "nothing twice; the same key with another body is refused with 409. Keys are per API client."
    ),
)
ERRORS = {
    401: OpenApiResponse(s.ErrorSerializer, description=gettext_lazy("No API key, or an unknown or revoked one.")),
    429: OpenApiResponse(s.ErrorSerializer, description=gettext_lazy("Too many requests from this client.")),
}
BAD_REQUEST = OpenApiResponse(s.ErrorSerializer, description=gettext_lazy("Invalid input; see `detail`."))


class ApiView(APIView):
    @property
    def client(self) -> ApiClient:
        return self.request.auth

    @property
    def origin(self) -> str:
        return f"api:{self.client.name}"

    def idempotency_key(self, *, required: bool = True) -> str | None:
        """The client's Idempotency-Key, namespaced per client so that two clients' keys never collide.
        Missing: MissingIdempotencyKey (400) where required, None where optional. Sent but malformed (too
        long, not visible ASCII): core's InvalidIdempotencyKey (400, code idempotency_key_invalid)."""
        key = self.request.headers.get("Idempotency-Key", "")
        if not key:
            if required:
                raise MissingIdempotencyKey()
            return None
        if not IDEMPOTENCY_KEY.match(key):
            raise InvalidIdempotencyKey(_("The Idempotency-Key header must be 1–64 visible ASCII characters."))
        return f"api:{self.client.pk}:{key}"

    @staticmethod
    def parse(serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class CustomerEnrolView(ApiView):
    @extend_schema(
        operation_id="customer_enrol",
        summary=gettext_lazy("Enrol a customer"),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                pattern=IDEMPOTENCY_KEY.pattern,
                description=gettext_lazy(
                    "Optional: with it, a retried enrolment returns the customer the first one created; the same "
                    "key with other details is refused with 409."
                ),
            )
        ],
        request=s.CustomerEnrolSerializer,
        responses={
            201: s.CustomerSerializer,
            400: BAD_REQUEST,
            409: OpenApiResponse(
                s.ErrorSerializer, description=gettext_lazy("The Idempotency-Key was used for another enrolment.")
            ),
            **ERRORS,
        },
        tags=["customers"],
    )
    def post(self, request):
        key = self.idempotency_key(required=False)
        data = self.parse(s.CustomerEnrolSerializer, request.data)
        customer = customer_enrol(
            name=data["name"],
            phone=data["phone"],
            email=data.get("email") or None,
            birthday=data.get("birthday"),
            referral_code=data.get("referral_code") or None,
            language=data.get("language"),
            idempotency_key=key,
            origin=self.origin,
        )
        return Response(s.customer_body(customer_card(customer)), status=status.HTTP_201_CREATED)


LOOKUP_RESPONSES = {
    200: s.CustomerSerializer,
    400: BAD_REQUEST,
    404: OpenApiResponse(s.ErrorSerializer, description=gettext_lazy("No customer has that phone or card.")),
    **ERRORS,
}


class CustomerLookupView(ApiView):
    @extend_schema(
        operation_id="customer_lookup",
        summary=gettext_lazy("Find a customer by phone or card number"),
        description=gettext_lazy(
            "One exact match by a phone number in any format or by a card number; names and emails do not match."
        ),
        parameters=[s.CustomerLookupSerializer],
        responses=LOOKUP_RESPONSES,
        tags=["customers"],
    )
    def get(self, request):
        return self._lookup(self.parse(s.CustomerLookupSerializer, request.query_params)["q"].strip())

    @extend_schema(
        operation_id="customer_lookup_post",
        summary=gettext_lazy("Find a customer by phone or card number (the phone stays out of URLs and logs)"),
        description=gettext_lazy(
            'The same lookup as GET, with the query in a JSON body {"q": "+7 912 345-67-89"}: a phone in a '
            "query string is written to every access log on its way. New clients should use this form."
        ),
        request=s.CustomerLookupSerializer,
        responses=LOOKUP_RESPONSES,
        tags=["customers"],
    )
    def post(self, request):
        query = s.lookup_query_fast(request.data)  # the common case without building a serializer
        if query is None:
            query = self.parse(s.CustomerLookupSerializer, request.data)["q"].strip()
        return self._lookup(query)

    def _lookup(self, query: str) -> Response:
        phone = phone_try_normalize(query)
        found = customer_lookup(query)
        exact = [c for c in found if c.card_number == query or (phone and c.phone == phone)]
        if len(found) != 1 or len(exact) != 1:
            raise NotFoundError(_("No customer has the phone or card number “%(q)s”.") % {"q": query})
        return Response(s.customer_body(customer_card(exact[0])))


class LedgerPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """DRF's reading of `page_size`, except that digits other than ASCII ("١", "１") are not a number here
        either (core.formatting.ascii_digits): such a value is ignored, as "abc" is (the default size)."""
        text = request.query_params.get(self.page_size_query_param)
        if text is not None and not ascii_digits(text.strip()):
            return self.page_size
        return super().get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        """A cursor whose position is not a moment (forged or damaged) is a 404 "Invalid cursor", like one
        that does not decode."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError:
            raise NotFound(self.invalid_cursor_message) from None


class CustomerLedgerView(ApiView):
    pagination_class = LedgerPagination

    @extend_schema(
        operation_id="customer_ledger",
        summary=gettext_lazy("A customer's points ledger, newest first"),
        responses={
            200: s.LedgerEntrySerializer(many=True),
            404: OpenApiResponse(s.ErrorSerializer, description=gettext_lazy("No such customer, or a bad cursor.")),
            **ERRORS,
        },
        tags=["customers"],
    )
    def get(self, request, customer_id: int):
        if customer_get(customer_id) is None:
            raise NotFoundError(_("Customer %(id)s does not exist.") % {"id": customer_id})
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(ledger_for_customer(customer_id), request, view=self)
        return paginator.get_paginated_response(s.LedgerEntrySerializer(page, many=True).data)


class CustomerActionView(ApiView):
    @extend_schema(
        operation_id="customer_action",
        summary=gettext_lazy("Report an action of a customer (a review, a survey…) to grant its points"),
        description=gettext_lazy(
            "Every running campaign that rewards the action and targets the customer grants its points (valid "
            "until `expires_at`), once per `reference`, at most its limit of grants per customer and period. "
            "201 when something was granted, 200 with a `reason` when nothing was. A customer in a campaign's "
            "control group is answered as one outside its target (`not_eligible`)."
        ),
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=s.CustomerActionSerializer,
        responses={
            200: OpenApiResponse(s.ActionResultSerializer, description=gettext_lazy("Nothing granted; see `reason`.")),
            201: OpenApiResponse(s.ActionResultSerializer, description=gettext_lazy("Points granted.")),
            400: OpenApiResponse(
                s.ErrorSerializer,
                description=gettext_lazy("An unknown action, a bad reference, or a missing Idempotency-Key."),
            ),
            404: OpenApiResponse(s.ErrorSerializer, description=gettext_lazy("No such customer.")),
            409: OpenApiResponse(
                s.ErrorSerializer, description=gettext_lazy("The Idempotency-Key was used for another request.")
            ),
            **ERRORS,
        },
        tags=["customers"],
    )
    def post(self, request, customer_id: int):
        key = self.idempotency_key()
        data = self.parse(s.CustomerActionSerializer, request.data)
        if customer_get(customer_id) is None:
            raise NotFoundError(_("Customer %(id)s does not exist.") % {"id": customer_id})
        result = action_record(
            customer_id=customer_id,
            action=data["action"],
            reference=data["reference"],
            idempotency_key=key,
            origin=self.origin,
        )
        headers = {REPLAYED_HEADER: "true"} if result.replayed else {}
        code = status.HTTP_201_CREATED if result.granted else status.HTTP_200_OK
        return Response(s.ActionResultSerializer(result.response).data, status=code, headers=headers)


class PurchaseQuoteView(ApiView):
    @extend_schema(
        operation_id="purchase_quote",
        summary=gettext_lazy("How many points a purchase can redeem, and earn"),
        request=s.PurchaseQuoteSerializer,
        responses={200: s.PurchaseQuoteResultSerializer, 400: BAD_REQUEST, **ERRORS},
        tags=["purchases"],
    )
    def post(self, request):
        data = self.parse(s.PurchaseQuoteSerializer, request.data)
        if customer_get(data["customer"]) is None:
            raise UnknownCustomer(data["customer"])
        purchase_amount_check(data["amount"])
        lines = [EarnLine(amount=line["amount"], category=line["category"]) for line in data["lines"]]
        quote = purchase_quote(customer_id=data["customer"], amount=data["amount"], lines=lines)
        return Response(s.PurchaseQuoteResultSerializer(quote).data)


class PurchaseRecordView(ApiView):
    @extend_schema(
        operation_id="purchase_record",
        summary=gettext_lazy("Record a purchase, optionally paying part of it with points"),
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=s.PurchaseRecordSerializer,
        responses={
            201: s.PurchaseResultSerializer,
            400: OpenApiResponse(
                s.PurchaseErrorSerializer,
                description=gettext_lazy(
                    "Invalid input, a missing Idempotency-Key, an unknown customer, or more points than allowed "
                    "(then `max_redeem_points` says how many can be redeemed)."
                ),
            ),
            409: OpenApiResponse(
                s.DuplicateReceiptSerializer,
                description=gettext_lazy(
                    "The Idempotency-Key was used for another request, or this client already recorded a purchase "
                    "with this `external_id` (then `id` is that purchase)."
                ),
            ),
            **ERRORS,
        },
        tags=["purchases"],
    )
    def post(self, request):
        key = self.idempotency_key()
        data = s.purchase_record_fast(request.data) or self.parse(s.PurchaseRecordSerializer, request.data)
        result = purchase_record(
            customer_id=data["customer"],
            amount=data["amount"],
            redeem_points=data["redeem_points"],
            lines=data["lines"],
            external_id=data["external_id"],
            idempotency_key=key,
            api_client=self.client,
            origin=self.origin,
        )
        headers = {REPLAYED_HEADER: "true"} if result.replayed else {}
        return Response(s.purchase_result_body(_purchase_body(result)), status=status.HTTP_201_CREATED, headers=headers)


def _purchase_body(result: PurchaseResult) -> dict:
    """What the purchase endpoints answer for a recorded (or replayed) purchase."""
    purchase = result.purchase
    return {
        "id": purchase.pk,
        "amount": purchase.amount,
        "redeemed_points": purchase.redeemed_points,
        "paid_amount": purchase.paid_amount,
        "earned_points": purchase.earned_points,
        "points_owed_settled": result.owed_settled,
        "balance_after": result.balance_after,
        "earned_breakdown": purchase.earned_breakdown,
    }


class PurchaseBatchView(ApiView):
    """Offline tills (issue #16): many late purchases in one request, each with its own key and moment."""

    @extend_schema(
        operation_id="purchase_record_batch",
        summary=gettext_lazy("Record up to 500 purchases made while a till was offline"),
        description=gettext_lazy(
            "Each purchase carries its own `idempotency_key` (no Idempotency-Key header) and `occurred_at`, when "
            "it happened at the till: at most `API_BATCH_MAX_AGE_DAYS` (default 7) days old and "
            "`API_BATCH_CLOCK_SKEW_SECONDS` (default 300) ahead of the server's clock (then it is dated now). "
            "Each customer's purchases are recorded in the order sent (ids across customers may not follow it), "
            "and the answer (200) has one result per purchase, in the order sent: "
            "`recorded` or `replayed` with the body the single endpoint answers, or `error` with the error "
            "body the single endpoint answers and its status; a refused purchase leaves nothing behind and "
            "does not stop the others. Sending the batch again records nothing twice.\n\n"
            "A late purchase is dated `occurred_at` (the purchase list, the tier window and the qualifying spend "
            "count it on that day) and its points become available and burn counting from `occurred_at`, as if "
            "the till had been online (points already past their expiry are credited and expired at once). Its "
            "ledger entries are written now, after what the ledger already holds; the cashback rate is that of "
            "the tier the customer holds now, points are redeemed from those live now, and a tier upgrade is "
            "decided over the window ending now."
        ),
        request=s.PurchaseBatchSerializer,
        responses={
            200: s.PurchaseBatchResultSerializer,
            400: OpenApiResponse(
                s.ErrorSerializer,
                description=gettext_lazy(
                    "The request as a whole is unusable: not JSON, no `purchases` list, or none or more than 500 "
                    "purchases. Nothing is recorded. (A purchase that is not an object fails alone, in its place.)"
                ),
            ),
            **ERRORS,
        },
        tags=["purchases"],
    )
    def post(self, request):
        data = self.parse(s.PurchaseBatchSerializer, request.data)
        items: list[BatchItem | None] = []
        answers: list[dict | None] = []
        # One serializer parses every item (run_validation, as is_valid runs it): DRF deep-copies a serializer's
        # fields for each instance, which for 500 items was a fifth of the request's time (issue #16).
        parser = s.BatchPurchaseSerializer()
        for raw in data["purchases"]:
            if not isinstance(raw, dict):  # this item fails alone, in its place
                items.append(None)
                answers.append({"result": "error", "status": 400, "error": _item_not_object_body()})
                continue
            try:
                item = s.batch_purchase_fast(raw) or parser.run_validation(raw)
            except ValidationError as exc:
                items.append(None)
                answers.append({"result": "error", "status": 400, "error": validation_error_body(exc.detail)})
            else:
                items.append(
                    BatchItem(
                        customer_id=item["customer"],
                        amount=item["amount"],
                        occurred_at=item["occurred_at"],
                        idempotency_key=f"api:{self.client.pk}:{item['idempotency_key']}",
                        redeem_points=item["redeem_points"],
                        lines=item["lines"],
                        external_id=item["external_id"],
                    )
                )
                answers.append(None)
        outcomes = iter(
            purchase_record_batch(
                items=[item for item in items if item is not None],
                api_client=self.client,
                origin=self.origin,
                max_age=dt.timedelta(days=settings.API_BATCH_MAX_AGE_DAYS),
                clock_skew=dt.timedelta(seconds=settings.API_BATCH_CLOCK_SKEW_SECONDS),
                set_based=settings.API_BATCH_SET_BASED,
            )
        )
        results = []
        for index, (raw, item, answer) in enumerate(zip(data["purchases"], items, answers, strict=True)):
            if item is not None:
                outcome = next(outcomes)
                if isinstance(outcome, DomainError):
                    answer = {"result": "error", "status": outcome.http_status, "error": outcome.as_api_body()}
                else:
                    answer = {
                        "result": "replayed" if outcome.replayed else "recorded",
                        "status": status.HTTP_201_CREATED,
                        "purchase": _purchase_body(outcome),
                    }
            key = raw.get("idempotency_key") if isinstance(raw, dict) else None
            results.append({"index": index, "idempotency_key": key if isinstance(key, str) else None, **answer})
        return Response(s.batch_results_body(results))


def _item_not_object_body() -> dict:
    """The error of a batch item that is not a JSON object (a number, a list…)."""
    return {"detail": _("A purchase must be a JSON object."), "code": "invalid"}


class PurchaseRefundView(ApiView):
    @extend_schema(
        operation_id="purchase_refund",
        summary=gettext_lazy("Refund all or part of a purchase"),
        description=gettext_lazy(
            "Earned points are taken back and redeemed points given back in proportion to the amount refunded."
        ),
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=s.PurchaseRefundSerializer,
        responses={
            201: s.RefundResultSerializer,
            400: OpenApiResponse(
                s.RefundErrorSerializer,
                description=gettext_lazy(
                    "Invalid input, a missing Idempotency-Key, or more than remains to refund "
                    "(then `refundable_amount` says what remains)."
                ),
            ),
            404: OpenApiResponse(
                s.ErrorSerializer, description=gettext_lazy("No such purchase, or one another API client recorded.")
            ),
            409: OpenApiResponse(
                s.ErrorSerializer, description=gettext_lazy("The Idempotency-Key was used for another request.")
            ),
            **ERRORS,
        },
        tags=["purchases"],
    )
    def post(self, request, purchase_id: int):
        key = self.idempotency_key()
        data = self.parse(s.PurchaseRefundSerializer, request.data)
        result = purchase_refund(
            purchase_id=purchase_id,
            amount=data.get("amount"),
            idempotency_key=key,
            api_client=self.client,
            origin=self.origin,
        )
        refund = result.refund
        effects = operation_points(refund=refund)
        body = {
            "refunded_amount": refund.amount,
            "points_reversed": refund.points_reversed,
            "points_returned": refund.points_returned,
            "points_shortfall": refund.points_shortfall,
            "points_expired": refund.points_expired,
            "points_returned_expired": effects.returned_expired,
            "points_owed_settled": effects.owed_settled,
            "balance_after": result.balance_after,
        }
        headers = {REPLAYED_HEADER: "true"} if result.replayed else {}
        return Response(s.RefundResultSerializer(body).data, status=status.HTTP_201_CREATED, headers=headers)


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Every /api/ path that matches no endpoint: 404 in the API's JSON shape, whatever the method."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFoundError(_("There is no API endpoint at %(path)s.") % {"path": request.path})
