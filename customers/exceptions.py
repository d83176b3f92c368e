from django.utils.translation import gettext as _

from core.exceptions import DomainError


class CustomerError(DomainError):
    """A customer operation that cannot be done; the message is shown to the user as is."""


class InvalidPhone(CustomerError):
    code = "invalid_phone"
    field = "phone"


class DuplicatePhone(CustomerError):
    code = "duplicate_phone"
    field = "phone"


class DuplicateEmail(CustomerError):
    code = "duplicate_email"
    field = "email"


class InvalidCardNumber(CustomerError):
    code = "invalid_card_number"
    field = "card_number"


class InvalidBirthday(CustomerError):
    code = "invalid_birthday"
    field = "birthday"


class InvalidLanguage(CustomerError):
    code = "invalid_language"
    field = "language"


class UnknownReferralCode(CustomerError):
    code = "unknown_referral_code"
    field = "referral_code"


class CustomerNotFound(CustomerError):
    code = "not_found"
    http_status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("No such customer."))


class ImportFileGone(CustomerError):
    """The file a dry run checked is no longer kept, so it cannot be imported from that check."""

    code = "import_file_gone"
