from django.utils.translation import gettext as _


class CustomerError(Exception):
    """A customer operation that cannot be done; the message is shown to the user as is."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class InvalidPhone(CustomerError):
    field = "phone"


class DuplicatePhone(CustomerError):
    field = "phone"


class DuplicateEmail(CustomerError):
    field = "email"


class InvalidCardNumber(CustomerError):
    field = "card_number"


class UnknownReferralCode(CustomerError):
    field = "referral_code"


class CustomerNotFound(CustomerError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("No such customer."))
