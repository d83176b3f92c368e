"""Personal data stays out of logs: a logging filter that masks phone numbers and email addresses in every
record before a handler writes it (settings LOGGING attaches it to every handler).

"+7 912 345-67-89" → "+7 ***…89", "anna@example.com" → "a***@example.com". Digits that look like a phone
(10 to 15 digits, with the usual separators) are masked wherever they appear, even in a URL or a SQL
statement; shorter numbers (ids, amounts, card check digits) are left alone.
"""

import logging
import re

PHONE = re.compile(r"(?<![\w.])(\+?\d[\d\s\-().]{8,20}\d)(?![\w.])")
EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def _phone_mask(match: re.Match) -> str:
    text = match.group(1)
    digits = re.sub(r"\D", "", text)
    if not 10 <= len(digits) <= 15:
        return text
    return f"{'+' if text.startswith('+') else ''}{digits[0]}***{digits[-2:]}"


def personal_data_mask(text: str) -> str:
    """`text` with phone numbers and email addresses masked (see the module docstring)."""
    return EMAIL.sub(r"\1***@\2", PHONE.sub(_phone_mask, text))


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) with `personal_data_mask`; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = personal_data_mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class ExpectedDenialFilter(logging.Filter):
    """A 403 for a user without the role is expected: Django logs it ("Forbidden (Permission denied)")
    with a traceback that buries real errors. Keep the one-line record, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.core.exceptions import PermissionDenied

        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
