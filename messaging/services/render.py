"""Templates rendered for a real customer: the value of every placeholder in the customer's language, and
the message of a kind on a channel (issue #14: "a live preview rendered for a real customer"; "amounts,
points and dates rendered in the customer's language with the right plural forms").

Reads only: nothing here writes. The values are text already formatted for the language (money with the
program's currency, points with their word in the language's plural form, dates as the language writes
them), so `template_render` only fills them in.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy, pgettext

from core.formatting import money_format
from loyalty.models import PointsLot, Purchase, TierStatus
from loyalty.rules import local_midnight, points_last_day
from loyalty.selectors import customer_standing, program_settings_get, tiers_list
from loyalty.templatetags.money import points_count

from .. import rules
from ..models import MessageTemplate, NoticeKind

# What each placeholder (rules.PLACEHOLDERS, in that order) stands for, as the template editor lists them.
PLACEHOLDER_MEANINGS = {
    "name": gettext_lazy("the customer's first name (“dear customer” when unknown)"),
    "points": gettext_lazy("the points the message is about (points earned, points about to burn); else the balance"),
    "balance": gettext_lazy("the customer's points balance, with the word “points” in the right form"),
    "expires_on": gettext_lazy("the date the points burn; else the date the customer's next points burn"),
    "valid_through": gettext_lazy(
        "the last day the points can be spent (the day before they burn); else that of the customer's next "
        "points to burn"
    ),
    "tier": gettext_lazy("the customer's tier"),
    "next_tier": gettext_lazy("the next tier (empty at the top tier)"),
    "spend_needed": gettext_lazy("the money still to spend to reach the next tier (empty at the top tier)"),
    "card_number": gettext_lazy("the customer's card number"),
    "shop": gettext_lazy("the shop's name (MESSAGING_SHOP_NAME)"),
}

# What a placeholder means in one kind of notice, where it differs from PLACEHOLDER_MEANINGS: the values the
# notice jobs pass (messaging.services.notice_jobs: points_earned_notice_queue passes the points earned,
# points_burning_notices_queue the points burning on one date and that date, tier_at_risk_notices_queue the
# money to spend to keep the tier and the last day a purchase counts).
KIND_PLACEHOLDER_MEANINGS = {
    NoticeKind.POINTS_EARNED: {
        "points": gettext_lazy("the points the purchase earned"),
    },
    NoticeKind.POINTS_BURNING: {
        "points": gettext_lazy("the points that burn on that date (the sum of the lots burning that day)"),
        "expires_on": gettext_lazy("the date those points burn"),
        "valid_through": gettext_lazy("the last day those points can be spent (the day before they burn)"),
    },
    NoticeKind.TIER_AT_RISK: {
        "spend_needed": gettext_lazy(
            "the money still to spend to keep the current tier at the review that would move the customer down"
        ),
        "expires_on": gettext_lazy("the last day a purchase counts towards keeping the tier"),
    },
}


def placeholder_meanings(kind: str) -> list[tuple[str, str]]:
    """("{name}", meaning) for every placeholder (rules.PLACEHOLDERS, in order), as they read in a template
    of `kind`: KIND_PLACEHOLDER_MEANINGS where the notice fills a placeholder in with its own value, else
    PLACEHOLDER_MEANINGS (a campaign's kind and the other notices)."""
    own = KIND_PLACEHOLDER_MEANINGS.get(kind, {})
    return [(f"{{{name}}}", own.get(name, PLACEHOLDER_MEANINGS[name])) for name in rules.PLACEHOLDERS]


def notice_preview_values(*, kind: str, customer_id: int, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The `extra` values (for placeholder_values) the notice job of `kind` would pass for the customer as
    of `now` (aware; default now), worked out by the jobs' rules for this one customer, for the template
    editor's preview:

    - points_burning: the next local date on which any of their live points burn and the sum of the
      remaining points of the lots burning that day (points_burning_notices_queue sums the lots of one
      local date), and `valid_through` the last day they can be spent (loyalty.rules.points_last_day);
      None when none of their points burn;
    - tier_at_risk: for a customer below their tier's threshold since `below_since` (TierStatus), the review
      R = below_since + max(grace days, 1) that would move them down, `expires_on` = R − 1 and
      `spend_needed` = the tier's threshold − their qualifying spend from R's midnight − window days until
      `now` (tier_at_risk_notices_queue's rule, a Decimal); None when they are not below a tier's
      threshold, have nothing left to spend, or the program's tier window is the lifetime;
    - any other kind: {} (the notice passes nothing the preview cannot compute), but points_earned: None
      (the points of a purchase that has not happened).

    Two or three queries."""
    now = now or timezone.now()
    if kind == NoticeKind.POINTS_BURNING:
        live = PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0, expires_at__gt=now)
        first = live.order_by("expires_at").values_list("expires_at", flat=True).first()
        if first is None:
            return None
        day = timezone.localdate(first)
        start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
        points = live.filter(expires_at__gte=start, expires_at__lt=end).aggregate(s=Sum("remaining"))["s"]
        return {"points": int(points or 0), "expires_on": day, "valid_through": points_last_day(first)}
    if kind == NoticeKind.TIER_AT_RISK:
        program = program_settings_get()
        status = (
            TierStatus.objects.filter(customer_id=customer_id, tier__isnull=False, below_since__isnull=False)
            .select_related("tier")
            .first()
        )
        if status is None or program.tier_window_days is None:
            return None
        review = status.below_since + dt.timedelta(days=max(program.tier_grace_days, 1))
        window_start = local_midnight(review) - dt.timedelta(days=program.tier_window_days)
        spend = Purchase.objects.filter(
            customer_id=customer_id, created_at__gte=window_start, created_at__lte=now
        ).aggregate(s=Sum("qualifying_amount"))["s"] or Decimal("0.00")
        needed = status.tier.threshold - spend
        if needed <= 0:
            return None
        return {"spend_needed": needed, "expires_on": review - dt.timedelta(days=1)}
    if kind == NoticeKind.POINTS_EARNED:
        return None
    return {}


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready to queue: `subject` (email; "" on other channels), `text`, the `template` it came
    from and the `language` it was rendered in (the template's: a fallback template is rendered in its own
    language, so its words and its numbers agree)."""

    subject: str
    text: str
    template: MessageTemplate
    language: str


def customer_language(customer: Any) -> str:
    """The language messages to `customer` (a customers.Customer) are written in: their own
    (`Customer.language`, set at enrolment, on the customer page, by the API and the import) when it is one
    of settings.LANGUAGES, else settings.LANGUAGE_CODE (a code removed from the settings since)."""
    own = getattr(customer, "language", "") or ""
    return own if own in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _first_name(customer: Any) -> str:
    """The first word of the customer's name ("Валерия Степанова" → "Валерия": names are stored first name
    first), or a neutral form of address for an erased customer or an empty name."""
    words = (customer.name or "").split()
    if customer.erased_at is not None or not words:
        return pgettext("the {name} placeholder when the name is unknown", "dear customer")
    return words[0]


def _value_format(value: Any, *, currency: str) -> str:
    """An `extra` value as text in the active language: int → points with their word ("2 балла"), Decimal
    → money in `currency` ("1 234,50 ₽"), date → DATE_FORMAT ("31 января 2027 г."), an aware datetime →
    its date on the shop's clock, None → "", str as is. TypeError for anything else (a float: money is
    never a float)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a placeholder value cannot be a bool")
    if isinstance(value, int):
        return points_count(value)
    if isinstance(value, Decimal):
        return money_format(value, currency)
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localdate(value), "DATE_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    raise TypeError(f"cannot format a {type(value).__name__} as a placeholder value")


def placeholder_values(
    customer: Any,
    *,
    language: str,
    extra: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """The text of every placeholder (messaging.rules.PLACEHOLDERS) for `customer` (a customers.Customer)
    in `language` (a code of settings.LANGUAGES), as of `now` (aware; default: now):

    - name: the first word of the customer's name; "dear customer" ("уважаемый клиент") for an erased
      customer or an empty name;
    - balance: the points on the account (live lots, available and pending: loyalty's points_summary rule)
      with their word: "1 балл", "2 балла", "5 баллов", "1 000 баллов";
    - tier: the current tier's name (loyalty's tier_current rule: no status yet = the entry tier); "" when
      the customer holds no tier;
    - next_tier, spend_needed: the next tier's name and the money still to spend in the tier window to
      reach its threshold (loyalty's tier_progress rule), in the program's currency ("1 500.00 ₽"); both ""
      at the top tier;
    - card_number: the 13-digit card number; shop: settings.MESSAGING_SHOP_NAME;
    - points, expires_on, valid_through: from `extra` when given; else points = balance, expires_on = the
      day the soonest-burning points burn (loyalty's points_burning rule: the shop's date of the lot's
      expiry, as the till shows it) and valid_through = the last day they can be spent (loyalty's
      points_last_day rule: the day before a midnight burn), "" when none burn.

    `extra` may give any placeholder; its raw values are formatted in the language (int → points, Decimal
    → money, date/datetime → date, str as is, None → ""). Raises ValueError for an `extra` key that is not a
    placeholder or a `language` not in settings.LANGUAGES, TypeError for an `extra` value of another type
    (a float). Three queries (the program settings, the tiers, and one for the customer's points, next
    burn, tier and spend), whatever the customer's history."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    extra = dict(extra or {})
    unknown = sorted(set(extra) - set(rules.PLACEHOLDERS))
    if unknown:
        raise ValueError(f"not placeholders: {', '.join(unknown)}")
    program = program_settings_get()
    standing = customer_standing(customer.pk, now=now, program=program, tiers=tiers_list())
    progress = standing.progress
    with translation.override(language):
        values = {
            "name": _first_name(customer),
            "balance": points_count(standing.balance),
            "points": points_count(standing.balance),
            "expires_on": _value_format(standing.next_burn_at, currency=program.currency),
            "valid_through": _value_format(points_last_day(standing.next_burn_at), currency=program.currency),
            "tier": progress.tier.name if progress.tier else "",
            "next_tier": progress.next_tier.name if progress.next_tier else "",
            "spend_needed": money_format(progress.spend_needed, program.currency) if progress.next_tier else "",
            "card_number": customer.card_number,
            "shop": settings.MESSAGING_SHOP_NAME,
        }
        for name, value in extra.items():
            values[name] = _value_format(value, currency=program.currency)
    return values


def template_render(template_or_text: str | MessageTemplate, values: Mapping[str, str]) -> str:
    """The text (or a MessageTemplate's body) with each placeholder replaced by its value in `values`
    (placeholder_values' texts), str.format_map semantics: "{{" and "}}" are literal braces. Raises
    KeyError for a placeholder `values` lacks, ValueError for a malformed brace or a placeholder with an
    attribute, index or format (messaging.rules.template_render refuses what str.format would evaluate)."""
    text = template_or_text.body if isinstance(template_or_text, MessageTemplate) else template_or_text
    return rules.template_render(text, dict(values))


def _languages_to_try(language: str) -> list[str]:
    """`language` first, then settings.LANGUAGE_CODE, then the other languages in settings.LANGUAGES' order."""
    order = [language, settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)]
    return list(dict.fromkeys(order))


def message_render(
    *,
    customer: Any,
    kind: str,
    channel: str,
    language: str | None = None,
    extra: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> RenderedMessage | None:
    """The message of `kind` on `channel` for `customer`, rendered from its template: in `language` when
    given, else the customer's (customer_language). When that language has no template of the kind on the
    channel, the template of settings.LANGUAGE_CODE, then of the other languages, is used, rendered in its
    own language. None when the kind has no template on the channel in any language. The subject is
    rendered on email only ("" elsewhere). `extra` and `now` as placeholder_values (and its ValueError /
    TypeError). Four queries: the templates, then placeholder_values' three."""
    wanted = language or customer_language(customer)
    templates = {t.language: t for t in MessageTemplate.objects.filter(kind=kind, channel=channel)}
    template = next((templates[code] for code in _languages_to_try(wanted) if code in templates), None)
    if template is None:
        return None
    values = placeholder_values(customer, language=template.language, extra=extra, now=now)
    subject = template_render(template.subject, values) if channel == "email" else ""
    return RenderedMessage(
        subject=subject, text=template_render(template, values), template=template, language=template.language
    )
