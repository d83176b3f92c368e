"""Reads for customers."""

import re

from django.db import connection
from django.db.models import BooleanField, Func, QuerySet, Value
from django.db.models.functions import Lower, Replace, Reverse, Upper

from . import rules
from .models import Customer


def _name_key() -> Replace:
    """The name as the lookup compares it on PostgreSQL: `replace(lower(name), 'ё', 'е')` (lower case by
    the database's UTF-8 locale, ё read as е)."""
    return Replace(Lower("name"), Value("ё"), Value("е"))


class _TextMatch(Func):
    """`tsvector @@ tsquery`, usable as a filter condition."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _tsquery_prefix(word: str) -> str:
    """A word as a quoted tsquery prefix: `о'нил` → `'о''нил':*`."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def _name_words_start(queryset: QuerySet[Customer], words: tuple[str, ...]) -> QuerySet[Customer]:
    """PostgreSQL only: customers with, for each of `words` (in rules.name_search_form), a word of the name
    that starts so, in any order: `степанова вал` finds "Валерия Степанова".

    The condition is `to_tsvector('simple', replace(lower(name), 'ё', 'е')) @@ to_tsquery('simple',
    'степанова':* & 'вал':*)`, the very expression migration 0011 indexes (GIN): keep the two identical,
    or the planner scans every customer. Each word has its own posting list there, so a full name costs
    1-4 ms at 1 000 000 customers (a trigram index spent 14-43 ms on the same queries, both measured
    with the load average at 5).
    """
    return queryset.filter(
        _TextMatch(
            Func(Value("simple"), _name_key(), function="to_tsvector"),
            Func(Value("simple"), Value(" & ".join(_tsquery_prefix(word) for word in words)), function="to_tsquery"),
        )
    )


def _name_holds(queryset: QuerySet[Customer], words: tuple[str, ...]) -> QuerySet[Customer]:
    """Customers whose name holds each of `words` (in rules.name_search_form) anywhere, in any order and
    case, with ё and е alike: a regular expression per word with [её].

    PostgreSQL: on UPPER(name), which migration 0002's trigram index serves. Elsewhere (SQLite, the
    demo): Django runs the expression in Python, row by row, case-insensitively.
    """
    for word in words:
        if connection.vendor == "postgresql":
            pattern = "".join("[ЕЁ]" if ch == "Е" else re.escape(ch) for ch in word.upper())
            queryset = queryset.alias(name_upper=Upper("name")).filter(name_upper__regex=pattern)
        else:
            pattern = "".join("[её]" if ch == "е" else re.escape(ch) for ch in word)
            queryset = queryset.filter(name__iregex=pattern)
    return queryset


def _phone_ends_with(queryset: QuerySet[Customer], digits: str) -> QuerySet[Customer]:
    """Customers whose phone ends with `digits`, erased customers (their phone is "+0" and the id) left out.

    PostgreSQL: a prefix of the reversed phone, which the index of migration 0011 serves; elsewhere a
    plain suffix match (a scan).
    """
    queryset = queryset.filter(erased_at__isnull=True)
    if connection.vendor == "postgresql":
        return queryset.alias(phone_reversed=Reverse("phone")).filter(phone_reversed__startswith=digits[::-1])
    return queryset.filter(phone__endswith=digits)


def _some_by_name(queryset: QuerySet[Customer], limit: int) -> list[Customer]:
    """Up to `limit` customers of `queryset`, sorted by name (lower case, ё as е) and id.

    The database returns the first `limit` it finds, in no order: when more match, the till shows
    these and asks for more of the name or phone. Asking it for the first `limit` by name instead
    means reading and sorting every match: for a surname alone (2 400 of 1 000 000 customers) that
    was 10 ms p50 / 13 ms p95 of the lookup, against 2-3 ms for the first ones found.
    """
    found = list(queryset.order_by()[:limit])
    return sorted(found, key=lambda customer: (rules.name_search_form(customer.name), customer.pk))


def _tries(lookup: rules.LookupQuery) -> list[QuerySet[Customer]]:
    """The querysets a parsed search (without a problem) names, to try in order: the first that finds
    anyone is the answer, the last is the answer when none does. An email, a card number or a whole phone
    names one customer (unique columns: tried first); otherwise the phone's last digits and the name's
    words. On PostgreSQL a name word first matches the start of a word of the name (fast, the text-search
    index), then, when that finds nobody, anywhere in the name. Building them runs no query."""
    if lookup.email:
        return [Customer.objects.filter(email=lookup.email)]  # stored lower-case, like lookup.email
    tries = []
    if lookup.is_number:
        if rules.card_number_is_valid(lookup.digits):
            tries.append(Customer.objects.filter(card_number=lookup.digits))
        phone = rules.phone_try_normalize(lookup.number) if len(lookup.digits) >= 7 else None
        if phone:
            tries.append(Customer.objects.filter(phone=phone))
    queryset = Customer.objects.all()
    if lookup.digits:
        queryset = _phone_ends_with(queryset, lookup.digits)
    if lookup.words and connection.vendor == "postgresql":
        tries.append(_name_words_start(queryset, lookup.words))
    if lookup.words:
        queryset = _name_holds(queryset, lookup.words)
    return [*tries, queryset]


def customer_lookup(query: str, *, limit: int = 20) -> list[Customer]:
    """Find customers for the till (and the API's exact lookup) from what a cashier types.

    - an email (holds "@"): that address, any case;
    - a scanned card number, or a whole phone in any format: that customer only, at once (a unique index);
    - otherwise the last 4 or more digits of a phone (`4567`, `45-67`), name words in any order, case and
      with `е` = `ё` (`Семенова валерия` finds "Валерия Семёнова"), or both (`Семёнова 4567`): up to
      `limit` customers, sorted by name (when more match, which ones is the database's choice: see
      _some_by_name). On PostgreSQL a name word matches the start of a word of the
      name (`степ` finds "Степанова", fast); only when that finds nobody, anywhere in the name (`панова`).
      SQLite matches anywhere at once.
    A query rules.lookup_query_parse refuses (fewer than 4 digits, fewer than two letters) finds nobody;
    the till shows why. Returns a list of Customer.
    """
    lookup = rules.lookup_query_parse(query)
    if lookup.problem:
        return []
    for queryset in _tries(lookup):
        found = _some_by_name(queryset, limit)  # one query each; an exact try finds at most one
        if found:
            return found
    return []


def customer_get(customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


def customer_search(query: str) -> QuerySet[Customer]:
    """A queryset for list pages (the console's customer list, the audit log's customer filter) that
    finds what the till finds (`customer_lookup`'s rules, all matches rather than 20): an email, any case;
    a card number or a whole phone in any format; the last 4+ digits of a phone; name words in any order,
    case and with е = ё, with or without the last digits. A query the till calls too short (one letter,
    three digits) matches names that contain it. Nothing typed: every customer.
    """
    text = (query or "").strip()
    if not text:
        return Customer.objects.all()
    lookup = rules.lookup_query_parse(text)
    if lookup.problem:
        return Customer.objects.filter(name__icontains=text)
    *first, last = _tries(lookup)
    return next((queryset for queryset in first if queryset.exists()), last)


def customer_names(customer_ids) -> dict[int, str]:
    """{id: name} of the given customers (ids of customers that do not exist are left out): one query,
    for pages that name the customers of many rows (the audit log)."""
    ids = {pk for pk in customer_ids if pk is not None}
    if not ids:
        return {}
    return dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
