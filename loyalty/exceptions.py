from django.utils.translation import gettext as _


class LoyaltyError(Exception):
    """A loyalty operation that cannot be done; `message` is shown to the user as is."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class InvalidInput(LoyaltyError):
    pass


class UnknownCustomer(LoyaltyError):
    field = "customer"

    def __init__(self, customer_id: object) -> None:
        super().__init__(_("Customer %(id)s does not exist.") % {"id": customer_id})


class UnknownPurchase(LoyaltyError):
    field = "purchase"

    def __init__(self, purchase_id: object) -> None:
        super().__init__(_("Purchase %(id)s does not exist.") % {"id": purchase_id})


class RedeemTooMuch(LoyaltyError):
    field = "redeem_points"

    def __init__(self, *, requested: int, max_redeem_points: int) -> None:
        self.requested = requested
        self.max_redeem_points = max_redeem_points
        super().__init__(
            _("Cannot redeem %(requested)s points: at most %(max)s can be redeemed on this purchase.")
            % {"requested": requested, "max": max_redeem_points}
        )


class RefundTooMuch(LoyaltyError):
    field = "amount"

    def __init__(self, *, requested: object, refundable: object) -> None:
        self.refundable = refundable
        super().__init__(
            _("Cannot refund %(requested)s: only %(refundable)s of this purchase remains to refund.")
            % {"requested": requested, "refundable": refundable}
        )


class InsufficientPoints(LoyaltyError):
    field = "points"


class AdjustmentTooLarge(LoyaltyError):
    field = "points"


class IdempotencyConflict(LoyaltyError):
    def __init__(self) -> None:
        super().__init__(_("This idempotency key was already used for a different request."))
