from django.utils.translation import gettext as _

from core.exceptions import DomainError


class MessagingError(DomainError):
    """A messaging operation that cannot be done; the message is shown to the user as is."""


class UnknownChannel(MessagingError):
    code = "unknown_channel"
    field = "channel"


class InvalidUnsubscribeLink(MessagingError):
    code = "invalid_unsubscribe_link"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or _("This unsubscribe link is not valid. Please use the link from the latest message.")
        )


class TemplateInvalid(MessagingError):
    code = "template_invalid"
    field = "body"
