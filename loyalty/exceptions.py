"""Domain errors of the loyalty program. Each knows its API code, HTTP status, form field and the extra
values the API body carries (core.exceptions.DomainError)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import DomainError, IdempotencyConflict
from core.formatting import points_format

from .templatetags.money import money

__all__ = [
    "AdjustmentTooLarge",
    "DuplicateReceipt",
    "IdempotencyConflict",
    "InsufficientPoints",
    "InvalidInput",
    "LoyaltyError",
    "RedeemTooMuch",
    "RefundTooMuch",
    "UnknownCustomer",
    "UnknownPurchase",
]


class LoyaltyError(DomainError):
    """A loyalty operation that cannot be done; `message` is shown to the user as is."""


class InvalidInput(LoyaltyError):
    code = "invalid"


class UnknownCustomer(LoyaltyError):
    code = "unknown_customer"
    field = "customer"

    def __init__(self, customer_id: object) -> None:
        super().__init__(_("Customer %(id)s does not exist.") % {"id": customer_id})


class UnknownPurchase(LoyaltyError):
    """No such purchase, or one the caller may not see (another API client's): the API answers 404."""

    code = "not_found"
    http_status = 404
    field = "purchase"

    def __init__(self, purchase_id: object) -> None:
        super().__init__(_("Purchase %(id)s does not exist.") % {"id": purchase_id})


class RedeemTooMuch(LoyaltyError):
    code = "redeem_too_much"
    field = "redeem_points"
    extra = ("max_redeem_points",)

    def __init__(self, *, requested: int, max_redeem_points: int) -> None:
        self.requested = requested
        self.max_redeem_points = max_redeem_points
        super().__init__(
            ngettext(
                "Cannot redeem %(requested)s point: at most %(max)s can be redeemed on this purchase.",
                "Cannot redeem %(requested)s points: at most %(max)s can be redeemed on this purchase.",
                requested,
            )
            % {"requested": points_format(requested), "max": points_format(max_redeem_points)}
        )


class RefundTooMuch(LoyaltyError):
    code = "refund_too_much"
    field = "amount"
    extra = ("refundable_amount",)

    def __init__(self, *, requested: object, refundable: object, refunded_in_full: bool = False) -> None:
        self.refundable = refundable
        self.refundable_amount = str(refundable)
        if refunded_in_full:
            message = _("This purchase has been refunded in full already.")
        else:
            message = _("Cannot refund %(requested)s: only %(refundable)s of this purchase remains to refund.") % {
                "requested": money(requested),
                "refundable": money(refundable),
            }
        super().__init__(message)


class InsufficientPoints(LoyaltyError):
    code = "insufficient_points"
    field = "points"


class AdjustmentTooLarge(LoyaltyError):
    code = "adjustment_too_large"
    field = "points"


class DuplicateReceipt(LoyaltyError):
    """A purchase with this receipt number was already recorded by the same API client (or till)."""

    code = "duplicate_receipt"
    http_status = 409
    field = "external_id"
    extra = ("id",)

    def __init__(self, *, external_id: str, purchase_id: int) -> None:
        self.id = purchase_id
        super().__init__(
            _("Receipt %(receipt)s was already recorded as purchase #%(id)s; it is not recorded again.")
            % {"receipt": external_id, "id": purchase_id}
        )
