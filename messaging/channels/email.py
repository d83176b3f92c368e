"""Email through Django's email backend (EMAIL_BACKEND: SMTP in production, the console in development)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .base import Outgoing, Provider, ProviderError, ProviderRejected


class EmailProvider(Provider):
    name = "email"

    def send(self, outgoing: Outgoing) -> str:
        """Send one email with `outgoing.headers` (List-Unsubscribe…) and a Message-ID made of the
        message's key, which is returned as the provider's id; `outgoing.html`, when given, as its
        text/html alternative (multipart/alternative: the text first, the HTML preferred). A refused
        recipient is ProviderRejected;
        any other SMTP or network error is ProviderError (retried)."""
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "localhost"
        message_id = f"<{outgoing.key}@{domain}>"
        email = EmailMultiAlternatives(
            subject=outgoing.subject,
            body=outgoing.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.address],
            headers={"Message-ID": message_id, **outgoing.headers},
            connection=get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT),
        )
        if outgoing.html:
            email.attach_alternative(outgoing.html, "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise ProviderRejected("the mail server refused the recipient") from error
        except (smtplib.SMTPException, OSError) as error:
            raise ProviderError(f"mail server error: {type(error).__name__}") from error
        return message_id
