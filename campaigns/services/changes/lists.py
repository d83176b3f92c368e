"""The uploaded list of a "list" target (campaign_list_upload): phones or card numbers, matched to
customers; the lines that match nobody are reported masked, never stored."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_record
from customers.models import Customer
from customers.rules import card_number_is_valid, phone_mask, phone_try_normalize

from ...exceptions import CampaignError
from ...models import CampaignListMember
from .fields import Status, Target, _campaign_locked

# The uploaded list: at most this many lines, each at most this long.
LIST_MAX_LINES = 200_000
LIST_LINE_MAX = 100
# Pasted text: a piece between commas, semicolons or tabs is at most this long, and a phone or card number
# in it at most this many space-separated words ("+7 ( 912 ) 000 - 11 - 22").
PASTED_PIECE_MAX = 2000
PHONE_WORDS_MAX = 10
# Pasted text: after this many words in a row that start no phone or card number, the rest of the piece
# is not recognised unread (a bound on the work hostile text costs).
JUNK_WORDS_MAX = 4


def campaign_list_upload_refusal(campaign) -> CampaignError | None:
    """Why no list can be uploaded to `campaign` (a Campaign) now — it is no longer a draft (a page opened
    while it was one may still post), or its target is not "list" (its page offers no upload then) — as a
    CampaignError, or None when it can. campaign_list_upload checks
    it again under the campaign's lock; the page asks first, to say the reason where it is seen."""
    if campaign.status != Status.DRAFT:
        return CampaignError(
            _("The list can change only while the campaign is a draft; this campaign is %(status)s.")
            % {"status": campaign.get_status_display()},
            field="file",
        )
    if campaign.target != Target.LIST:
        return CampaignError(
            _("This campaign's target is not an uploaded list: choose “%(list)s” as its target first.")
            % {"list": Target.LIST.label},
            field="file",
        )
    return None


@dataclass
class ListUploadResult:
    """What a list upload did: `added` customers put on the list, `already` ones that were on it, `lines`
    read (blank lines and a header left out), the `not_found` lines as (line number, masked value) —
    the value masked as the console shows a phone (+7 912 ***-**-89), never stored — and the
    `unrecognised` ones (no phone nor card number at all), masked alike."""

    lines: int = 0
    added: int = 0
    already: int = 0
    not_found: list[tuple[int, str]] = field(default_factory=list)
    # Pasted text: the phones and card numbers read, the repeats of one left out, and the pieces that are
    # no phone nor card number, as (line number, masked piece).
    found: int = 0
    duplicates: int = 0
    unrecognised: list[tuple[int, str]] = field(default_factory=list)
    pasted: bool = False  # pasted text (its `unrecognised` are pieces of lines), not a file (whole lines)


def _mask(value: str) -> str:
    phone = phone_try_normalize(value)
    if phone:
        return phone_mask(phone)
    return value[:2] + "…" + value[-2:] if len(value) > 6 else "…"


def _list_values(text: str) -> list[tuple[int, str]]:
    """(line number, first cell) of each non-blank line of a CSV or plain text: the first cell is what
    precedes the first comma, semicolon or tab (quotes around it dropped). A first line whose cell holds
    a letter is a header and skipped."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = re.split(r"[,;\t]", line, maxsplit=1)[0].strip().strip('"').strip()
        if not cell:
            continue
        if not rows and number == 1 and re.search(r"[^\W\d_]", cell):
            continue  # a header ("phone", "телефон")
        rows.append((number, cell[: LIST_LINE_MAX + 1]))
    return rows


def _key(value: str) -> str | None:
    """A value as the list matches it: a valid 13-digit card number, else a phone in E.164, else None."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 13 and card_number_is_valid(digits) and not value.strip().startswith("+"):
        return digits
    return phone_try_normalize(value) or None


# A word that may be part of a phone or card number: digits, a leading "+", brackets, hyphens, dots.
_NUMBER_WORD = re.compile(r"^\+?[0-9\-().]*[0-9][0-9\-().]*$|^[+(]$")


def _worth_trying(words: list[str]) -> bool:
    """Whether `words` joined may be a phone or card number at all (cheap, before phonenumbers): 10 to 15
    digits, or from 7 with a leading "+" (E.164 holds at most 15; a card has 13, a national number 10)."""
    digits = sum(c.isdigit() for word in words for c in word)
    return (7 if words[0].startswith("+") else 10) <= digits <= 15


def _piece_split(number: int, words: list[str], found: list, unrecognised: list) -> None:
    """Read the words of one pasted piece into `found` (phones and card numbers, the longest run of words
    that reads as one) and `unrecognised` (each run of words between them that reads as none, joined), as
    (line number, text). Junk never swallows a valid number next to it: "2792909475394 12 abc
    2754597693985" is two cards and "12 abc" not recognised. After JUNK_WORDS_MAX words of junk in a row
    the rest of the piece is taken as junk unread, so that hostile text costs no more than before (a
    piece used to end at its first junk word)."""
    start, junk = 0, []
    while start < len(words):
        stop = start
        while stop < min(len(words), start + PHONE_WORDS_MAX) and _NUMBER_WORD.match(words[stop]):
            stop += 1
        end = next(
            (
                end
                for end in range(stop, start, -1)
                if _worth_trying(words[start:end]) and _key(" ".join(words[start:end]))
            ),
            None,
        )
        if end is None:
            if len(junk) >= JUNK_WORDS_MAX:  # a long run of junk: the rest of the piece is not looked into
                junk.extend(words[start:])
                break
            junk.append(words[start])
            start += 1
            continue
        if junk:
            unrecognised.append((number, " ".join(junk)))
            junk = []
        found.append((number, " ".join(words[start:end])))
        start = end
    if junk:
        unrecognised.append((number, " ".join(junk)))


def _pasted_values(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The phones and card numbers of pasted text, in order: ((line number, value) read, (line number,
    piece) not recognised). Values are separated by line breaks, commas, semicolons, tabs, or spaces between
    two whole numbers ("+7 (912) 000-11-22 +7 912 000 11 23"): a piece is split on its spaces into the
    longest runs of words that read as a phone or card number (_piece_split), the words between them
    reported as not recognised. Blank pieces are skipped."""
    found, unrecognised = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        for piece in re.split(r"[,;\t]", line):
            piece = piece.strip().strip('"').strip()
            if not piece:
                continue
            if len(piece) > PASTED_PIECE_MAX:
                unrecognised.append((number, piece))
                continue
            if _key(piece):
                found.append((number, piece))
                continue
            _piece_split(number, piece.split(), found, unrecognised)
    return found, unrecognised


def campaign_list_upload(
    *,
    campaign_id: int,
    text: str,
    replace: bool = False,
    pasted: bool = False,
    actor: Any = None,
    origin: str = "",
) -> ListUploadResult:
    """Put the customers named in `text` (a CSV or plain text: one phone in any format or 13-digit card
    number per line, in the first column) on the uploaded list of a draft campaign (target "list");
    `replace` empties the list first. Erased customers and values that match nobody are reported (line
    number and a masked value), never stored: only CampaignListMember rows (campaign, customer) are.

    Raises CampaignError: the campaign is not a draft or its target is not "list", the text is empty or
    has more than LIST_MAX_LINES lines, or a value is longer than LIST_LINE_MAX; nothing written then. Audited
    (AuditAction.CAMPAIGN_LIST_UPLOAD: the counts only, no phone).

    `pasted`: `text` was pasted, not a file: values may also be separated by commas, semicolons, tabs or
    spaces on one line (`_pasted_values`); the result counts the values `found`, the `duplicates` left out
    (the same phone or card in another form too) and lists the `unrecognised` pieces (masked). Nothing of
    it is logged."""
    lines = text.splitlines()
    if len(lines) > LIST_MAX_LINES:
        raise CampaignError(
            _("The list has more than %(n)s lines.") % {"n": f"{LIST_MAX_LINES:,}".replace(",", " ")}, field="file"
        )
    unrecognised: list[tuple[int, str]] = []
    if pasted:
        rows, unrecognised = _pasted_values(text)
        if not rows and unrecognised:
            raise CampaignError(
                ngettext(
                    "No phone or card number recognised in the pasted text (%(n)s piece not recognised).",
                    "No phone or card number recognised in the pasted text (%(n)s pieces not recognised).",
                    len(unrecognised),
                )
                % {"n": len(unrecognised)},
                field="file",
            )
    else:  # a file: a first cell that is no phone nor card number is not recognised (not "no customer")
        rows = []
        for number, value in _list_values(text):
            (rows if len(value) > LIST_LINE_MAX or _key(value) else unrecognised).append((number, value))
    if not rows:
        raise CampaignError(_("The list holds no phone or card number."), field="file")
    for number, value in rows:
        if len(value) > LIST_LINE_MAX:
            raise CampaignError(
                _("Line %(line)s is too long for a phone or card number.") % {"line": number}, field="file"
            )
    # Lines read: of a pasted text, every line that held something (a value or a piece not recognised).
    lines = len({n for n, _v in rows} | {n for n, _v in unrecognised})
    result = ListUploadResult(lines=lines, unrecognised=[(n, _mask(v)) for n, v in unrecognised], pasted=pasted)
    if pasted:  # the same customer's value twice (in any form) is read once
        seen: set[str] = set()
        unique = []
        for number, value in rows:
            key = _key(value)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            unique.append((number, value))
        rows = unique
        result.found = len(rows)
    keys: dict[int, str] = {}  # row → a phone in E.164 or a card number
    for index, (_number, value) in enumerate(rows):
        if key := _key(value):
            keys[index] = key
    wanted = set(keys.values())
    found: dict[str, int] = {}
    alive = Customer.objects.filter(erased_at__isnull=True)
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 5000):
        chunk = wanted_list[start : start + 5000]
        for pk, phone in alive.filter(phone__in=chunk).values_list("pk", "phone"):
            found[phone] = pk
        for pk, card in alive.filter(card_number__in=chunk).values_list("pk", "card_number"):
            found[card] = pk
    customer_ids: set[int] = set()
    for index, (number, value) in enumerate(rows):
        pk = found.get(keys.get(index, ""))
        if pk is None:
            result.not_found.append((number, _mask(value)))
        else:
            customer_ids.add(pk)
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if (refusal := campaign_list_upload_refusal(campaign)) is not None:
            raise refusal
        members = CampaignListMember.objects.filter(campaign=campaign)
        before = members.count()
        if replace:
            members.delete()
            existing = set()
        else:
            existing = set(members.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True))
        new = sorted(customer_ids - existing)
        CampaignListMember.objects.bulk_create(
            (CampaignListMember(campaign=campaign, customer_id=pk) for pk in new), batch_size=5000
        )
        result.added, result.already = len(new), len(customer_ids & existing)
        audit_record(
            action=AuditAction.CAMPAIGN_LIST_UPLOAD,
            obj=campaign,
            summary=_("Uploaded the list of campaign “%(name)s”") % {"name": campaign.name},
            actor=actor,
            origin=origin,
            changes={
                "campaign": campaign.name,
                "lines": result.lines,
                "added": result.added,
                "already": result.already,
                "not_found": len(result.not_found),
                "duplicates": result.duplicates,
                "unrecognised": len(result.unrecognised),
                "replace": replace,
                "members": [before, members.count()],
            },
        )
    return result
