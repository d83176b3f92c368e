"""The uploaded list of a "list" target (campaign_list_upload): phones or card numbers, matched to
customers; the lines that match nobody are reported masked, never stored."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from customers.models import Customer
from customers.rules import card_number_is_valid, phone_mask, phone_try_normalize

from ...exceptions import CampaignError
from ...models import CampaignListMember
from .fields import Status, _campaign_locked

# The uploaded list: at most this many lines, each at most this long.
LIST_MAX_LINES = 200_000
LIST_LINE_MAX = 100


@dataclass
class ListUploadResult:
    """What a list upload did: `added` customers put on the list, `already` ones that were on it, `lines`
    read (blank lines and a header left out), and the `not_found` lines as (line number, masked value) —
    the value masked as the console shows a phone (+7 912 ***-**-89), never stored."""

    lines: int = 0
    added: int = 0
    already: int = 0
    not_found: list[tuple[int, str]] = field(default_factory=list)


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


def campaign_list_upload(
    *, campaign_id: int, text: str, replace: bool = False, actor: Any = None, origin: str = ""
) -> ListUploadResult:
    """Put the customers named in `text` (a CSV or plain text: one phone in any format or 13-digit card
    number per line, in the first column) on the uploaded list of a draft campaign (target "list");
    `replace` empties the list first. Erased customers and values that match nobody are reported (line
    number and a masked value), never stored: only CampaignListMember rows (campaign, customer) are.

    Raises CampaignError: the campaign is not a draft, the text is empty or has more than LIST_MAX_LINES
    lines, or a value is longer than LIST_LINE_MAX; nothing written then. Audited
    (AuditAction.CAMPAIGN_LIST_UPLOAD: the counts only, no phone)."""
    lines = text.splitlines()
    if len(lines) > LIST_MAX_LINES:
        raise CampaignError(
            _("The list has more than %(n)s lines.") % {"n": f"{LIST_MAX_LINES:,}".replace(",", " ")}, field="file"
        )
    rows = _list_values(text)
    if not rows:
        raise CampaignError(_("The list holds no phone or card number."), field="file")
    for number, value in rows:
        if len(value) > LIST_LINE_MAX:
            raise CampaignError(
                _("Line %(line)s is too long for a phone or card number.") % {"line": number}, field="file"
            )
    result = ListUploadResult(lines=len(rows))
    keys: dict[int, str] = {}  # line → a phone in E.164 or a card number
    for number, value in rows:
        digits = re.sub(r"\D", "", value)
        if len(digits) == 13 and card_number_is_valid(digits) and not value.startswith("+"):
            keys[number] = digits
        elif phone := phone_try_normalize(value):
            keys[number] = phone
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
    for number, value in rows:
        pk = found.get(keys.get(number, ""))
        if pk is None:
            result.not_found.append((number, _mask(value)))
        else:
            customer_ids.add(pk)
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status != Status.DRAFT:
            raise CampaignError(_("Only a draft's list can be uploaded."), field="file")
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
                "lines": result.lines,
                "added": result.added,
                "already": result.already,
                "not_found": len(result.not_found),
                "replace": replace,
                "members": [before, members.count()],
            },
        )
    return result
