"""Pure rules of messaging: quiet hours, retry delays, request signatures, STOP replies, template
placeholders, SMS segments, and the links of a text (found, replaced, made HTML). No database."""

import datetime as dt
import hashlib
import hmac
import html
import re
import string
from collections.abc import Callable
from dataclasses import dataclass

# The header carrying the HMAC-SHA256 of a request's body, both ways (our requests to a provider and a
# provider's webhooks to us): "sha256=<hex digest>".
SIGNATURE_HEADER = "X-Boomerang-Signature"
# Replies that unsubscribe (compared after trimming and lower-casing; "СТОП" too).
STOP_WORDS = frozenset({"stop", "стоп", "unsubscribe", "отписаться", "отписка", "stopall", "cancel"})
# A retry never waits longer than this, however many attempts came before.
RETRY_MAX_SECONDS = 6 * 3600


def quiet_hours_release(at: dt.datetime, *, start: int, end: int, zone: dt.tzinfo) -> dt.datetime | None:
    """When a message due at `at` (aware) may go, if `at` falls in the quiet hours; None when it is not quiet.

    Quiet hours run from `start`:00 to `end`:00 (hours 0–23) on the shop's wall clock in `zone`; `start` >
    `end` spans midnight (21 → 9 is quiet from 21:00 to 08:59:59), `start` == `end` means no quiet hours.
    The release is `end`:00 of the same local day, or of the next day when `at` is before midnight. Rule
    from issue #14: "no SMS at night: held until morning". Raises ValueError for an hour outside 0–23."""
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ValueError(f"quiet hours must be 0–23, got {start}–{end}")
    if start == end:
        return None
    local = at.astimezone(zone)
    hour = local.hour
    if start < end:
        quiet, day = start <= hour < end, local.date()
    else:
        quiet = hour >= start or hour < end
        day = local.date() + dt.timedelta(days=1) if hour >= start else local.date()
    if not quiet:
        return None
    return dt.datetime.combine(day, dt.time(end), tzinfo=zone)


def retry_delay_seconds(attempts: int, *, base: int) -> int:
    """Seconds to wait before the next try after `attempts` failed tries (≥ 1): base, 2·base, 4·base… (an
    exponential backoff), at most RETRY_MAX_SECONDS."""
    return min(base * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def signature(secret: str, body: bytes) -> str:
    """The value of SIGNATURE_HEADER for `body`: "sha256=" + hex HMAC-SHA256 of the raw bytes with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of `body` with `secret` (constant-time); False for an empty
    secret (an unconfigured provider accepts nothing), a missing header or one with a non-ASCII character
    (hmac.compare_digest raises TypeError on such a str, which made the public webhook answer 500). The
    hex digits are compared whatever their case ("sha256=AB12…" is the same signature as "sha256=ab12…");
    the "sha256=" prefix is not."""
    if not secret or not header:
        return False
    value = header.strip()
    if not value.isascii():
        return False
    scheme, equals, digest = value.partition("=")
    return hmac.compare_digest(signature(secret, body).encode(), (scheme + equals + digest.lower()).encode())


def is_stop(text: str | None) -> bool:
    """True when an inbound reply asks to stop messages ("STOP", "Стоп", " unsubscribe ")."""
    return (text or "").strip().strip(".!").lower() in STOP_WORDS


# --- templates ---------------------------------------------------------------------------------------

# The placeholders a template may use (issue #14); anything else is refused when a template is saved.
PLACEHOLDERS = (
    "name", "points", "balance", "expires_on", "valid_through", "tier", "next_tier", "spend_needed", "card_number", "shop",
)  # fmt: skip
# GSM 03.38: the basic 7-bit alphabet (1 unit each) and its extension table (2 units each: escape + char).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


class PlaceholderError(ValueError):
    """A brace that is no placeholder: `fragment` is the text between the braces as typed ("{name.upper}"),
    or "" for a brace that opens or closes nothing."""

    def __init__(self, fragment: str = ""):
        super().__init__(f"“{fragment}” is not a placeholder" if fragment else "a brace opens or closes nothing")
        self.fragment = fragment


def template_placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order, each once: "Hi {name}, {points}!" → ["name", "points"].
    "{{" and "}}" are literal braces. Raises ValueError for a brace that opens or closes nothing, and for
    a placeholder with an attribute, index, conversion or format ("{name.upper}", "{points:>5}")."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:  # "Single '{' encountered…": Python's words, not the user's
        raise PlaceholderError() from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PlaceholderError(f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
        if field not in names:
            names.append(field)
    return names


def template_unknown_placeholders(text: str) -> list[str]:
    """The placeholders of `text` that are not in PLACEHOLDERS (ValueError as template_placeholders)."""
    return [name for name in template_placeholders(text) if name not in PLACEHOLDERS]


def template_render(text: str, values: dict[str, str]) -> str:
    """`text` with each placeholder replaced by its value (already formatted for the customer's language).
    A value that ends with a period followed in the text by one (a Russian date "31 января 2027 г." in
    "…до {expires_on}.") keeps one period, not two; an ellipsis after it ("...") is left as written.
    Raises KeyError for a placeholder `values` lacks, ValueError as template_placeholders."""
    template_placeholders(text)  # refuses what str.format would evaluate (attributes, indexes)
    out: list[str] = []
    after_period = False  # the last piece written is a value ending with "."
    for literal, field, _spec, _conversion in string.Formatter().parse(text):
        if after_period and literal.startswith(".") and not literal.startswith(".."):
            literal = literal[1:]
        out.append(literal)
        if literal:
            after_period = False
        if field is not None:
            value = format(values[field])
            out.append(value)
            if value:  # an empty value leaves the text before it as it was
                after_period = value.endswith(".")
    return "".join(out)


@dataclass(frozen=True)
class SmsSize:
    """How an SMS text is billed: `length` in characters, `segments` (parts billed), `encoding` "GSM-7"
    (Latin: 160 units in one part, 153 per part when split) or "UCS-2" (Cyrillic or any character outside
    GSM 03.38: 70 in one part, 67 per part when split)."""

    length: int
    segments: int
    encoding: str


def sms_size(text: str) -> SmsSize:
    """The length and segment count of an SMS (3GPP TS 23.038 / 23.040): GSM-7 when every character is in
    the GSM alphabet (extension characters such as € count 2 units), else UCS-2 (UTF-16 units, so an emoji
    counts 2). An empty text is 0 segments."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    segments = 0 if units == 0 else 1 if units <= single else -(-units // part)
    return SmsSize(length=len(text), segments=segments, encoding=encoding)


def address_mask(address: str) -> str:
    """An address as staff may see it in the console (personal data, never shown or logged whole):
    an email keeps its first letter and domain ("anna@example.com" → "a***@example.com"); an E.164 phone
    goes through customers.rules.phone_mask ("+79123456789" → "+7 912 ***-**-89"); any other id (a
    messenger's) keeps its last 2 characters. "" for no address."""
    from customers.rules import phone_mask  # customers' pure rule; imported here to keep this module light

    if not address:
        return ""
    if "@" in address:
        name, _at, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    if address.startswith("+"):
        return phone_mask(address)
    return "***" + address[-2:] if len(address) > 4 else "***"


def url_mask(url: str) -> str:
    """A provider's URL as staff may see it: the user and password in it and every query value replaced
    by "***" ("https://key:s3cret@sms.example.com/send?token=abc&from=Shop" →
    "https://***:***@sms.example.com/send?token=***&from=***"); scheme, host, port and path stay. A query
    value may be a token, hence all of them. "" for no URL."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if not url:
        return ""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        netloc = ("***:***" if ":" in credentials else "***") + "@" + host
    query = urlencode([(key, "***") for key, _value in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# --- links (click tracking) --------------------------------------------------------------------------

# An http(s) link in a message's text: from the scheme to the first space, quote or angle bracket.
LINK_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the link ("See https://shop.example/sale.").
LINK_TRAILING = ".,;:!?»…"


def _link_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each http(s) link in `text`, without the sentence's punctuation after it: a
    trailing "." "," ";" ":" "!" "?" "»" "…" is left out, and so is a ")" that closes nothing opened in the
    link ("(see https://a.example/x)" ends before the ")", "https://a.example/wiki/A_(b)" keeps it)."""
    spans = []
    for match in LINK_PATTERN.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            if last in LINK_TRAILING:
                end -= 1
            elif last == ")" and text.count("(", start, end) < text.count(")", start, end):
                end -= 1
            else:
                break
        if end - start > len("https://"):
            spans.append((start, end))
    return spans


def links_find(text: str) -> list[str]:
    """The http(s) links of `text` in order of first appearance, each once (_link_spans' rule for where a
    link ends): "Sale: https://a.example/s. Also https://a.example/s" → ["https://a.example/s"]."""
    links: list[str] = []
    for start, end in _link_spans(text):
        if text[start:end] not in links:
            links.append(text[start:end])
    return links


def links_replace(text: str, replacement: Callable[[str], str | None]) -> str:
    """`text` with each http(s) link replaced by `replacement(link)`; a link for which it answers None
    stays as it is."""
    parts, position = [], 0
    for start, end in _link_spans(text):
        new = replacement(text[start:end])
        parts += [text[position:start], text[start:end] if new is None else new]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def text_to_html(text: str, href: Callable[[str], str]) -> str:
    """The HTML body of a text email: every character escaped, line breaks as <br>, each http(s) link a
    clickable <a> whose visible text is the link as written and whose target is `href(link)` (the tracked
    address, or the link itself). The result is the inside of <body>."""
    parts, position = [], 0
    for start, end in _link_spans(text):
        link = text[start:end]
        parts += [
            html.escape(text[position:start]),
            f'<a href="{html.escape(href(link), quote=True)}">{html.escape(link)}</a>',
        ]
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts).replace("\r\n", "\n").replace("\n", "<br>\n")
