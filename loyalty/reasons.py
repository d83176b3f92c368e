"""The ledger's reasons for the entries the system writes, in one place: the services store them (in the
language active when the entry is written, as the API returns them), and pages show them again in the
reader's language (`entry_reason`), so a Russian page never shows an English "Cashback 5% on purchase".

A campaign's grants store `campaign_reason(name)`; pages find the name again in the stored text (in
whichever language it was written) and show the wording in the reader's language.

Entries a person writes (manual adjustments, bonuses with their own text, imports) keep their stored text.
"""

import re
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .models import LedgerEntry, Purchase

Kind = LedgerEntry.Kind


def purchase_label(purchase: Purchase) -> str:
    """How a purchase is named in reasons: its receipt number, else "#<id>"."""
    return purchase.external_id or f"#{purchase.pk}"


def percent_text(value: Decimal) -> str:
    """A percentage without trailing zeros: Decimal("5.00") → "5"."""
    return f"{value.normalize():f}"


REASON_MAX = LedgerEntry._meta.get_field("reason").max_length  # characters a stored reason may have


def earn_reason(purchase: Purchase, cashback_percent: Decimal) -> str:
    """The cashback entry of a purchase: "Cashback 5% on purchase R-9" (the rate the purchase earned at);
    with boosts that added points (the purchase's `earned_breakdown` parts "boost", which carry the
    campaigns' names: loyalty knows no campaigns) "Cashback 5% + boost “Shoes ×2” on purchase R-9", or
    "+ boosts “A”, “B”" for several (each name in the language's quotes), so the reason never shows a lower
    rate than the purchase earned. At most REASON_MAX characters: the names that fit whole, then "and 3
    more" (five boosts named with 120 characters each must not make a purchase fail)."""
    values = {"pct": percent_text(cashback_percent), "p": purchase_label(purchase)}
    names = [
        str(part.get("name") or "")
        for part in purchase.earned_breakdown or []
        if part.get("part") == "boost" and int(part.get("points") or 0) > 0
    ]
    if not names:
        return _("Cashback %(pct)s%% on purchase %(p)s") % values
    template = ngettext(
        "Cashback %(pct)s%% + boost %(names)s on purchase %(p)s",
        "Cashback %(pct)s%% + boosts %(names)s on purchase %(p)s",
        len(names),
    )
    room = REASON_MAX - len(template % {**values, "names": ""})
    return template % {**values, "names": _boost_names(translation.get_language(), tuple(names), room)}


@lru_cache(maxsize=512)
def _boost_names(language: str | None, names: tuple[str, ...], room: int) -> str:
    """The boosts' names as earn_reason quotes them in `language` (the active one: part of the key), in
    at most `room` characters: the names that fit whole, then "and 3 more". The same few boosts name most
    purchases, so the text is kept (a boosted purchase asks for it every time: issue #15's goal)."""
    quote = pgettext("a campaign's name in a reason", "“%(name)s”")
    quoted = [quote % {"name": name} for name in names]

    def more(count: int) -> str:
        return ngettext(" and %(n)s more", " and %(n)s more", count) % {"n": count} if count else ""

    for shown in range(len(quoted), 0, -1):  # as many whole names as fit, then how many more
        text = ", ".join(quoted[:shown]) + more(len(quoted) - shown)
        if len(text) <= room:
            return text
    first = names[0][: max(0, room - len(quote % {"name": ""}) - len(more(len(names) - 1)) - 1)] + "…"
    return quote % {"name": first} + more(len(names) - 1)


def redeem_reason(purchase: Purchase) -> str:
    """The entry of points that paid part of a purchase: "Paid with points, purchase R-9"."""
    return _("Paid with points, purchase %(p)s") % {"p": purchase_label(purchase)}


def expiry_reason() -> str:
    """The entry of points that burnt at the end of their lifetime: "Points expired"."""
    return _("Points expired")


def reversal_reason(purchase: Purchase) -> str:
    """The entry taking back a refunded purchase's cashback: "Refund of purchase R-9: cashback reversed"."""
    return _("Refund of purchase %(p)s: cashback reversed") % {"p": purchase_label(purchase)}


def return_reason(purchase: Purchase) -> str:
    """The entry giving back the points that paid a refunded part: "Refund of purchase R-9: points paid
    with returned"."""
    return _("Refund of purchase %(p)s: points paid with returned") % {"p": purchase_label(purchase)}


def owed_settled_reason(owed_purchase: Purchase) -> str:
    """The entry paying points owed since a refund of `owed_purchase` (stored text only: the page shows it
    as written, since the owed purchase is not the entry's own)."""
    return _("Points owed since the refund of purchase %(p)s settled") % {"p": purchase_label(owed_purchase)}


CAMPAIGN_SOURCE_PREFIX = "campaign:"  # campaigns.models.Campaign.ledger_source: "campaign:<id>"


def campaign_reason(name: str) -> str:
    """The entry of points a campaign granted (welcome, birthday, win-back, an action, a broadcast…):
    "Campaign “Welcome”" in the active language; `name` is the campaign's own name (staff's text, kept
    as written). The one wording the campaign services write (campaigns.services.daily, grants, events)."""
    return _("Campaign “%(name)s”") % {"name": name}


def _campaign_name(stored: str) -> str | None:
    """The campaign name inside a stored `campaign_reason` text written in any of the site's languages
    (the writer's language is not stored), else None (text a person wrote)."""
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            before, _sep, after = campaign_reason("\x00").partition("\x00")
        match = re.fullmatch(f"{re.escape(before)}(?P<name>.*){re.escape(after)}", stored, flags=re.DOTALL)
        if match:
            return match.group("name")
    return None


def referral_reason() -> str:
    """The bonus of a customer whose invited friend made a first purchase (source "referral", the demo
    data's): "Referral bonus: a friend you invited made a first purchase"."""
    return _("Referral bonus: a friend you invited made a first purchase")


def birthday_bonus_reason() -> str:
    """The demo data's birthday bonus (source "birthday"): "Birthday bonus, valid for 14 days"."""
    return _("Birthday bonus, valid for 14 days")


# Bonuses of a fixed wording, by their source: shown in the reader's language when the stored text is that
# wording in one of the site's languages (a text a person wrote under the same source stays as written).
FIXED_BONUS_REASONS = {"referral": referral_reason, "birthday": birthday_bonus_reason}


def _is_wording(stored: str, wording) -> bool:
    """Whether `stored` is `wording()` written in one of the site's languages."""
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            if wording() == stored:
                return True
    return False


def entry_reason(entry: LedgerEntry) -> str:
    """The entry's reason in the active language: written again from its kind and purchase for the
    entries the system writes (load entries with select_related("purchase")), else the stored text."""
    purchase = entry.purchase if entry.purchase_id else None
    if entry.kind == Kind.EXPIRE:
        return expiry_reason()
    if purchase is not None:
        if entry.kind == Kind.EARN:
            return earn_reason(purchase, purchase.cashback_percent)
        if entry.kind == Kind.REDEEM:
            return redeem_reason(purchase)
        if entry.kind == Kind.REFUND_REVERSAL:
            return reversal_reason(purchase)
        if entry.kind == Kind.REFUND_RETURN:
            return return_reason(purchase)
    fixed = FIXED_BONUS_REASONS.get(entry.source or "") if entry.kind == Kind.BONUS else None
    if fixed is not None and _is_wording(entry.reason, fixed):
        return fixed()
    if entry.kind == Kind.BONUS and (entry.source or "").startswith(CAMPAIGN_SOURCE_PREFIX):
        name = _campaign_name(entry.reason)
        if name is not None:
            return campaign_reason(name)
    return entry.reason
