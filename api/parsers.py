"""JSON with exact numbers: a JSON number like 19.99 is read as Decimal("19.99") from its text, never
through a binary float, so an amount sent as a number means exactly what was written. A number of more
than MAX_NUMBER_DIGITS digits is refused (400, "parse_error")."""

import codecs
import json
from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


# The most digits a JSON number may have: far more than any amount, id or points value needs (a 64-bit id
# has 19), far fewer than Python's int conversion refuses (4 300, with a hint about sys.set_int_max_str_digits).
MAX_NUMBER_DIGITS = 100


class _NumberTooLong(ValueError):
    pass


def _digits_checked(parse):
    def parse_number(text: str):
        if sum(char.isdigit() for char in text) > MAX_NUMBER_DIGITS:
            raise _NumberTooLong(text)
        return parse(text)

    return parse_number


_parse_int = _digits_checked(int)
_parse_decimal = _digits_checked(Decimal)


class ExactJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_float=_parse_decimal, parse_int=_parse_int, parse_constant=_refuse_constant)
        except _NumberTooLong:
            raise ParseError(_("Numbers may have at most %(n)s digits.") % {"n": MAX_NUMBER_DIGITS}) from None
        except ValueError as exc:
            raise ParseError(_("The request body is not valid JSON: %(error)s") % {"error": exc}) from None
        except RecursionError:
            raise ParseError(_("The request body is nested too deeply.")) from None
