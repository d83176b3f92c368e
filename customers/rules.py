"""Pure rules about customers: phone normalisation, card numbers, birthdays, languages. No database."""

import datetime as dt
import random
import re
import secrets
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.formatting import ascii_digits

from .exceptions import InvalidBirthday, InvalidCardNumber, InvalidLanguage, InvalidPhone

CARD_NUMBER_LENGTH = 13
# What people type in a phone besides digits: a leading "+", spaces (incl. no-break ones), hyphens, dots,
# brackets. Anything else (letters, "#", "x", an extension) is refused: phonenumbers would drop it silently
# and store a different number than the one typed.
PHONE_CHARACTERS = re.compile(r"^\+?[0-9\s\-().\u00a0\u202f]+$")


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """Return the phone in E.164 (`+79123456789`) or raise InvalidPhone.

    `+7 912 345-67-89`, `8 (912) 345 67 89` and `+79123456789` all give the same result. Only digits, a
    leading "+", spaces, hyphens, dots and brackets are accepted (PHONE_CHARACTERS): "+7 912 345-67-89x" or
    an extension ("ext. 5") is refused rather than stored as a different number.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone(_("Enter a phone number."))
    if not PHONE_CHARACTERS.match(text):
        raise InvalidPhone(_("“%(phone)s” is not a phone number.") % {"phone": text})
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(_("“%(phone)s” is not a phone number.") % {"phone": text}) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_("“%(phone)s” is not a valid phone number.") % {"phone": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_try_normalize(raw: str) -> str | None:
    try:
        return phone_normalize(raw)
    except InvalidPhone:
        return None


def phone_display(e164: str) -> str:
    """`+79215267371` → `+7 921 526-73-71`: a stored E.164 phone written for reading, in its country's
    international format (phonenumbers); a value it cannot parse (an erased customer's) is returned as is."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_mask(e164: str) -> str:
    """`+79123456789` → `+7 912 ***-**-89`: enough for a cashier to confirm, not to copy."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164[:-4] + "****"
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits_seen = 0
    masked = []
    total_digits = sum(ascii_digits(ch) for ch in international)
    country_digits = len(str(number.country_code))
    for ch in international:
        if ascii_digits(ch):
            digits_seen += 1
            keep = digits_seen <= country_digits + 3 or digits_seen > total_digits - 2
            masked.append(ch if keep else "*")
        else:
            masked.append(ch)
    return "".join(masked)


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2 == 0:  # every second digit from the right, counting the check digit's place
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def card_number_is_valid(card_number: str) -> bool:
    return (
        len(card_number) == CARD_NUMBER_LENGTH
        and ascii_digits(card_number)
        and luhn_check_digit(card_number[:-1]) == card_number[-1]
    )


def card_number_generate(*, rng: random.Random | None = None) -> str:
    """A new card number: prefix + random digits + Luhn check digit, 13 digits in all."""
    prefix = settings.CARD_NUMBER_PREFIX
    body_length = CARD_NUMBER_LENGTH - 1 - len(prefix)
    if rng is None:
        body = "".join(str(secrets.randbelow(10)) for _ in range(body_length))
    else:
        body = "".join(str(rng.randrange(10)) for _ in range(body_length))
    partial = prefix + body
    return partial + luhn_check_digit(partial)


def card_number_validate(card_number: str) -> str:
    card_number = (card_number or "").strip()
    if not card_number_is_valid(card_number):
        raise InvalidCardNumber(_("“%(card)s” is not a valid card number.") % {"card": card_number})
    return card_number


LOOKUP_PHONE_END_DIGITS = 4  # "the last four digits, please": fewer would match a tenth of the base
LOOKUP_NAME_LETTERS = 2
_DIGITS = frozenset("0123456789")  # not str.isdigit: "²" or "٣" are no part of a phone
_PHONE_PUNCTUATION = frozenset("+-().")


def name_search_form(text: str) -> str:
    """A name as the lookup compares names: lower case, `ё` read as `е`, words apart by one space.

    `"  Семёнова  ВАЛЕРИЯ "` → `"семенова валерия"`. The database side of the comparison is the
    expression indexed by migration customers 0011 (customers.selectors._name_key).
    """
    return " ".join((text or "").lower().replace("ё", "е").split())


@dataclass(frozen=True)
class LookupQuery:
    """What a cashier typed into the search, taken apart by `lookup_query_parse`."""

    text: str  # as typed, trimmed
    email: str = ""  # lower-cased, when the text is an email address (it holds "@")
    digits: str = ""  # the digits of the number-like words: a card, a whole phone or a phone's last digits
    number: str = ""  # those words as typed, e.g. "8 (912) 345-67-89", for phone_normalize
    words: tuple[str, ...] = ()  # the other words in name_search_form, to be found in a name in any order
    problem: str = ""  # why it cannot be searched, in words for the cashier; "" when it can

    @property
    def is_number(self) -> bool:
        """Only digits and phone punctuation: a card number or a phone, whole or its last digits."""
        return bool(self.digits) and not self.words


def _is_number_word(word: str) -> bool:
    return any(ch in _DIGITS for ch in word) and all(ch in _DIGITS or ch in _PHONE_PUNCTUATION for ch in word)


def lookup_query_parse(text: str) -> LookupQuery:
    """Take a till search apart: an email; a number (card, phone in any format, or the last 4+ digits of
    a phone); or name words in any order, optionally with a phone's last digits (`Степанова 4567`).

    Never raises: a query that cannot be searched has `problem` set — nothing typed, fewer than
    LOOKUP_PHONE_END_DIGITS (4) digits, or fewer than two letters of a name.
    """
    text = (text or "").strip()
    if not text:
        return LookupQuery(
            text, problem=_("Type a phone number, a card number, an email or at least two letters of a name.")
        )
    if "@" in text:
        return LookupQuery(text, email=text.lower())
    if any(ch.isdigit() and not ascii_digits(ch) for ch in text):  # "٨٩١٢…", "²": digits of another script
        problem = _("“%(query)s” has digits other than 0–9: type the phone or card number with digits 0–9.") % {
            "query": text
        }
        return LookupQuery(text, problem=problem)
    numbers = [word for word in text.split() if _is_number_word(word)]
    names = [word for word in text.split() if not _is_number_word(word) and any(ch.isalnum() for ch in word)]
    digits = "".join(ch for word in numbers for ch in word if ch in _DIGITS)
    words = tuple(name_search_form(word) for word in names)
    query = LookupQuery(text, digits=digits, number=" ".join(numbers), words=words)
    if digits and len(digits) < LOOKUP_PHONE_END_DIGITS:
        problem = _("“%(query)s” is too short: type at least the last %(count)s digits of the phone.") % {
            "query": text,
            "count": LOOKUP_PHONE_END_DIGITS,
        }
        return LookupQuery(text, digits=digits, words=words, problem=problem)
    if not digits and sum(ch.isalpha() for word in words for ch in word) < LOOKUP_NAME_LETTERS:
        problem = _("“%(query)s” is too short: type at least two letters of the name.") % {"query": text}
        return LookupQuery(text, words=words, problem=problem)
    return query


REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till


def referral_code_generate(*, rng: random.Random | None = None, length: int = 8) -> str:
    if rng is None:
        return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(length))
    return "".join(rng.choice(REFERRAL_ALPHABET) for _ in range(length))


OLDEST_BIRTHDAY = dt.date(1900, 1, 1)


def birthday_validate(day: dt.date | None, *, today: dt.date) -> dt.date | None:
    """A birthday is a date from 1900-01-01 to `today` (the shop's local date), or None. Raises
    InvalidBirthday (field "birthday") otherwise; one rule for the till, the console, the API and the import."""
    if day is None:
        return None
    if day > today:
        raise InvalidBirthday(
            _("Birthday %(date)s is in the future.") % {"date": date_format(day, "SHORT_DATE_FORMAT")}
        )
    if day < OLDEST_BIRTHDAY:
        raise InvalidBirthday(_("Birthday %(date)s is before 1900.") % {"date": date_format(day, "SHORT_DATE_FORMAT")})
    return day


def language_validate(code: str | None) -> str:
    """A customer's language (the language of their messages): a code of settings.LANGUAGES ("en", "ru"),
    trimmed and lower-cased ("RU " is "ru"); None or "" is the shop's, settings.LANGUAGE_CODE. Raises
    InvalidLanguage (field "language") for anything else, naming the codes allowed; one rule for the till,
    the console, the API and the import (issue #14: messages in the customer's language)."""
    text = (code or "").strip().lower()
    if not text:
        return settings.LANGUAGE_CODE
    languages = dict(settings.LANGUAGES)
    if text not in languages:
        shown = (code or "").strip()
        shown = shown if len(shown) <= 20 else shown[:20] + "…"
        choices = ", ".join(f"{value} ({name})" for value, name in languages.items())
        raise InvalidLanguage(
            _("“%(value)s” is not one of the languages: %(choices)s.") % {"value": shown, "choices": choices}
        )
    return text
