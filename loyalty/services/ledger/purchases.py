"""Recording a purchase: redeem points up to the cap, earn cashback on the part paid in money."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_record, audit_value
from core.db import prepared_cursor
from core.exceptions import DomainError
from core.idempotency import once_per_key, request_fingerprint
from core.versions import versions_once

from ... import reasons, rules
from ...boosts import (
    BoostEarned,
    BoostsSql,
    BoostsStale,
    boost_breakdown,
    boosts_record,
    boosts_record_sql,
    earning_plan,
)
from ...events import PurchaseRecorded, purchase_recorded_publish
from ...exceptions import DuplicateReceipt, InvalidInput, RedeemTooMuch
from ...models import PointsAccount, ProgramSettings, Purchase, PurchaseLine
from ...selectors import (
    balance_after_purchase,
    customer_terms,
    entry_tier,
    operation_points,
    program_settings_get,
    tiers_list,
)
from ...templatetags.money import money
from ..tiers import tier_upgrade_on_purchase
from .core import (
    Kind,
    accounts_create_missing,
    accounts_for_update,
    credit,
    debit,
    parse,
    take_from_lots,
    user_or_none,
)
from .purchase_sql import (
    purchase_account_lock,
    purchase_account_save,
    purchase_qualifying_spend,
    purchase_tier_status,
)
from .spend import spend_day_add, spend_days_upsert_sql


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    balance_after: int  # points, the customer's balance right after the purchase was recorded
    replayed: bool  # True when an idempotency key returned an earlier result
    owed_settled: int  # points of its cashback that paid points the customer owed


@dataclass(frozen=True)
class LineInput:
    amount: Decimal
    category: str = ""
    sku: str = ""


def _lines_parse(lines: list[Any] | None, *, amount: Decimal) -> list[LineInput]:
    """The purchase's `lines` (dicts or objects with amount, category, sku) as LineInput; InvalidInput on
    "lines" for a line amount that is not money, or when the lines do not add up to the check's `amount`
    (rules.lines_total_problem)."""
    parsed = []
    for index, line in enumerate(lines or [], start=1):
        data = line if isinstance(line, dict) else vars(line)
        try:
            line_amount = rules.money_parse(data.get("amount"), field_label=_("Line %(n)s amount") % {"n": index})
        except rules.RuleError as exc:
            raise InvalidInput(str(exc), field="lines") from None
        parsed.append(
            LineInput(
                amount=line_amount, category=str(data.get("category") or "")[:100], sku=str(data.get("sku") or "")[:64]
            )
        )
    if problem := rules.lines_total_problem([line.amount for line in parsed], amount):
        raise InvalidInput(problem, field="lines")
    return parsed


def purchase_amount_check(amount: Decimal, *, program: ProgramSettings | None = None) -> None:
    """Raise InvalidInput (on `amount`) when a check is above the program's largest purchase
    (ProgramSettings.max_purchase_amount): a typing or scanning error, refused before anything is written.
    The quote applies it too, so that it never promises what the purchase would refuse."""
    program = program or program_settings_get()
    if amount > program.max_purchase_amount:
        raise InvalidInput(
            _("Amount is above the largest purchase the program accepts (%(max)s).")
            % {"max": money(program.max_purchase_amount, program.currency)},
            field="amount",
        )


def _receipt_recorded(*, external_id: str, api_client: Model | None, origin: str) -> Purchase | None:
    """The purchase already recorded under this receipt number by the same API client (or, outside
    the API, from the same origin: the till, the console…)."""
    if not external_id:
        return None
    same = Q(api_client=api_client) if api_client is not None else Q(api_client__isnull=True, origin=origin)
    return Purchase.objects.filter(same, external_id=external_id).only("pk").first()


def purchase_fingerprint(
    *,
    customer_id: Any,
    amount: Decimal,
    redeem: int,
    external_id: str,
    lines: list[LineInput],
    occurred_at: dt.datetime | None,
) -> str:
    """The idempotency fingerprint of a purchase request (parsed values): the same request, the same key."""
    return request_fingerprint(
        {
            "customer": str(customer_id),
            "amount": str(amount),
            "redeem": redeem,
            "external_id": external_id,
            "lines": [[str(line.amount), line.category, line.sku] for line in lines],
            **({"occurred_at": occurred_at.isoformat()} if occurred_at is not None else {}),
        }
    )


def purchase_record(
    *,
    customer_id: Any,
    amount: Any,
    redeem_points: Any = 0,
    lines: list[Any] | None = None,
    external_id: str = "",
    idempotency_key: str | None = None,
    api_client: Model | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
    late_max_age: dt.timedelta | None = None,
    late_clock_skew: dt.timedelta = dt.timedelta(0),
) -> PurchaseResult:
    """Record a purchase of `amount` (money, the program's currency) paying `redeem_points` (points) of it.

    Earns floor(paid × cashback % / 100 / point value) points on the part paid in money, at the terms of
    the tier held before the purchase; upgrades the tier at once if the purchase crosses a threshold.
    One transaction. Raises InvalidInput (bad amount, above the program's largest purchase),
    RedeemTooMuch (above the cap or the points available), UnknownCustomer, DuplicateReceipt (this
    `external_id` was recorded already by the same API client or origin), IdempotencyConflict (the
    same `idempotency_key` with another request; the same request returns the first result).
    `api_client` is the calling system's `api.ApiClient` (None from the till): receipts are unique per
    client, and only that client may refund the purchase.

    A late purchase (an offline till syncing, issue #16) gives `occurred_at`, the aware moment it happened at
    the till; it must lie in [now − late_max_age, now + late_clock_skew] (late_max_age None: no lower bound),
    else InvalidInput on `occurred_at`. Then, as docs/scaling.md "Offline tills" describes:
    - the purchase is dated `occurred_at` (its created_at: the purchase list, the tier window and the spend
      totals count it on that day), and boosts apply as they did at that moment;
    - its ledger entries are appended at `now` (the ledger stays in the order things were written; later
      entries are never rewritten), at the terms of the tier held now, redeeming from the points live now;
    - its earned points become available `activation_delay_days` after `occurred_at` and burn
      `points_lifetime_days` after it (local midnight), so a late purchase's points burn when they would
      have had the till been online; points whose expiry has already passed are credited and expired at
      once (both entries are in the ledger);
    - the tier upgrade it may cause is decided now, over the window ending now.
    The fingerprint includes `occurred_at`, so the same key with another moment is a conflict; but a key
    first used for the same purchase without `occurred_at` (the till's online request, dated on arrival,
    timed out and the till queued the purchase offline under the same key) replays that purchase, and so
    does the same purchase sent online under the key of one recorded late (the batch's answer was lost).
    """
    amount = parse(rules.money_parse, amount)
    redeem = parse(rules.points_parse, redeem_points)
    parsed_lines = _lines_parse(lines, amount=amount)
    external_id = (external_id or "").strip()[:100]
    request = {
        "customer_id": customer_id,
        "amount": amount,
        "redeem": redeem,
        "external_id": external_id,
        "lines": parsed_lines,
    }
    fingerprint = purchase_fingerprint(**request, occurred_at=occurred_at)
    # A late purchase sent online first under the same key (no occurred_at): the same request, replayed.
    same_as = (purchase_fingerprint(**request, occurred_at=None),) if occurred_at is not None else ()

    def recorded_late_before(row: Purchase) -> bool:
        # Online, the key of a purchase recorded late (a batch whose answer the till lost): the same
        # purchase if all but its moment is the same.
        lines = [
            LineInput(amount=line.amount, category=line.category, sku=line.sku)
            for line in PurchaseLine.objects.filter(purchase=row).order_by("pk")
        ]
        again = {"customer_id": row.customer_id, "amount": row.amount, "redeem": row.redeemed_points}
        return purchase_fingerprint(**again, external_id=row.external_id, lines=lines, occurred_at=None) == fingerprint

    try:
        with versions_once():  # the rules, then the boosts: their versions read once for the purchase
            return once_per_key(
                model=Purchase,
                key=idempotency_key,
                fingerprint=fingerprint,
                same_as=same_as,
                same_request=recorded_late_before if occurred_at is None else None,
                # The purchase row is the first write: a key seen before fails on its unique index, and is replayed.
                check_first=False,
                lock=lambda: purchase_account_lock(customer_id, now=now, spend=redeem),
                replay=lambda earlier: PurchaseResult(
                    purchase=earlier,
                    balance_after=balance_after_purchase(earlier),
                    replayed=True,
                    owed_settled=operation_points(purchase=earlier).owed_settled,
                ),
                create=lambda account: _purchase_create(
                    account=account,
                    amount=amount,
                    redeem=redeem,
                    lines=parsed_lines,
                    external_id=external_id,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    api_client=api_client,
                    actor=actor,
                    origin=origin,
                    now=account.now,
                    occurred_at=occurred_at,
                    late_max_age=late_max_age,
                    late_clock_skew=late_clock_skew,
                ),
            )
    except IntegrityError:
        # The receipt was recorded concurrently (for another customer, so no account lock serialised
        # the two): the unique constraint caught it; answer as the check would have.
        earlier = _receipt_recorded(external_id=external_id, api_client=api_client, origin=origin)
        if earlier is None:
            raise
        raise DuplicateReceipt(external_id=external_id, purchase_id=earlier.pk) from None


def _purchase_create(
    *,
    account: PointsAccount,
    amount: Decimal,
    redeem: int,
    lines: list[LineInput],
    external_id: str,
    idempotency_key: str | None,
    fingerprint: str,
    api_client: Model | None,
    actor: Any,
    origin: str,
    now: dt.datetime,
    occurred_at: dt.datetime | None = None,
    late_max_age: dt.timedelta | None = None,
    late_clock_skew: dt.timedelta = dt.timedelta(0),
) -> PurchaseResult:
    if occurred_at is not None:
        _occurred_at_check(occurred_at, now=now, max_age=late_max_age, clock_skew=late_clock_skew)
    # When it happened at the till: the purchase's date, its points' dating. A till whose clock runs ahead
    # (within the skew allowed) is dated now: nothing is ever dated after the moment it was written.
    at = min(occurred_at, now) if occurred_at is not None else now
    program = program_settings_get()
    purchase_amount_check(amount, program=program)
    if (earlier := _receipt_recorded(external_id=external_id, api_client=api_client, origin=origin)) is not None:
        raise DuplicateReceipt(external_id=external_id, purchase_id=earlier.pk)
    tiers = tiers_list()
    owed_before = account.points_owed
    balance_before = account.balance
    # The tier held before this purchase sets its terms; an upgrade it causes applies from the next one. The
    # status is read once, locked, and handed to the upgrade below (customer_terms' rule: no status yet
    # holds the entry tier; no tier, the program's base rates).
    status = purchase_tier_status(account, tiers=tiers)
    tier = status.tier if status is not None else entry_tier(tiers)
    tier, cashback, cap = customer_terms(account.pk, program=program, tiers=tiers, tier=tier)
    if redeem:
        # Read with the lock (account_lock): the points that can pay, and the lots that pay them below.
        spendable, available = account.spendable, account.spendable_total
        allowed = rules.max_redeemable(
            amount=amount, available_points=available, cap_percent=cap, point_value=program.point_value
        )
        if redeem > allowed:
            raise RedeemTooMuch(requested=redeem, max_redeem_points=allowed)
    paid = rules.paid_amount(amount=amount, redeemed_points=redeem, point_value=program.point_value)
    earn_lines = [rules.EarnLine(amount=line.amount, category=line.category) for line in lines]

    def plan() -> tuple[list[dict[str, Any]], list[BoostEarned]]:
        # exact=False: a boost's per-customer limit may be checked only when recorded (BoostsStale below)
        return earning_plan(
            customer_id=account.pk,
            lines=earn_lines,
            amount=amount,
            paid=paid,
            cashback=cashback,
            program=program,
            at=at,
            tier_id=tier.pk if tier is not None else None,
            exact=False,
        )

    cashback_parts, boosted = plan()
    breakdown = cashback_parts + boost_breakdown(boosted)  # as asked; the campaigns' budgets may cut it below
    earned = sum(part["points"] for part in breakdown)
    # The balance after it, as it will be unless the points pay a debt, burn at once or a boost's budget
    # runs out meanwhile: written with the row (one UPDATE fewer), corrected below when it differs.
    balance_expected = account.balance - redeem + earned
    purchase = Purchase(
        customer_id=account.pk,
        amount=amount,
        redeemed_points=redeem,
        paid_amount=paid,
        qualifying_amount=paid,
        earned_points=earned,
        earned_breakdown=breakdown,
        cashback_percent=cashback,
        point_value=program.point_value,
        external_id=external_id,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        created_by=user_or_none(actor),
        api_client=api_client,
        origin=origin,
        balance_after=balance_expected,
        created_at=at,
    )
    # The boosts without a budget are recorded by the purchase's own INSERT statement (PostgreSQL).
    in_insert = boosts_record_sql(customer_id=account.pk, at=now, earned=boosted) if boosted else None
    stale = _purchase_insert(purchase, boosts=in_insert)
    if lines:
        PurchaseLine.objects.bulk_create(
            [
                PurchaseLine(purchase=purchase, sku=line.sku, category=line.category, amount=line.amount)
                for line in lines
            ]
        )
    if boosted:
        granted = _boosts_record(account.pk, purchase.pk, now, boosted, plan, in_insert=in_insert, stale=stale)
        boosted = granted.boosted
        recorded = cashback_parts + boost_breakdown(boosted, granted.points)
        if recorded != breakdown:  # a budget ran out meanwhile, or the provider failed: earn what was granted
            breakdown, earned = recorded, sum(part["points"] for part in recorded)
            Purchase.objects.filter(pk=purchase.pk).update(earned_points=earned, earned_breakdown=breakdown)
            purchase.earned_points, purchase.earned_breakdown = earned, breakdown
    if redeem:
        debit(
            account=account,
            kind=Kind.REDEEM,
            taken=take_from_lots(spendable, redeem),
            reason=reasons.redeem_reason(purchase),
            now=now,
            purchase=purchase,
            actor=actor,
        )
    if earned:
        credit(
            account=account,
            kind=Kind.EARN,
            points=earned,
            reason=reasons.earn_reason(purchase, cashback),
            now=now,
            available_at=rules.points_available_at(credited_at=at, activation_delay_days=program.activation_delay_days),
            expires_at=rules.points_expiry(credited_at=at, lifetime_days=program.points_lifetime_days),
            purchase=purchase,
            actor=actor,
        )
    purchase_account_save(account, at=at)  # and the customer's purchase dates
    if account.balance != balance_expected:
        Purchase.objects.filter(pk=purchase.pk).update(balance_after=account.balance)
        purchase.balance_after = account.balance
    tier_upgrade_on_purchase(
        customer_id=account.pk,
        purchase=purchase,
        now=now,
        program=program,
        tiers=tiers,
        status=status,
        qualifying=purchase_qualifying_spend(account, paid=paid, at=at, program=program),
    )
    if user_or_none(actor) is not None:
        _purchase_audit(
            purchase=purchase, balance_before=balance_before, currency=program.currency, actor=actor, origin=origin
        )
    purchase_recorded_publish(
        PurchaseRecorded(purchase_id=purchase.pk, customer_id=account.pk, points_earned=earned, points_redeemed=redeem)
    )
    return PurchaseResult(
        purchase=purchase, balance_after=account.balance, replayed=False, owed_settled=owed_before - account.points_owed
    )


def _purchase_insert(purchase: Purchase, *, boosts: BoostsSql | None = None) -> set[int]:
    """Insert `purchase` (unsaved; its pk set here) and add its qualifying spend to the customer's running
    total of its day (spend.spend_day_add: paid_amount, and one purchase when something was paid in
    money); on PostgreSQL in one statement (a data-modifying WITH), with `boosts`' grant rows in it too
    (loyalty.boosts.boosts_record_sql). Returns the campaigns whose boosts were refused there (BoostsSql's
    `stale`: then it wrote none of them), else an empty set. Elsewhere (SQLite: the demo), the ORM's two
    statements, and `boosts` must be None."""
    spend, counted = purchase.paid_amount, 1 if purchase.paid_amount > 0 else 0
    if connection.vendor != "postgresql":
        purchase.save(force_insert=True)
        spend_day_add(customer_id=purchase.customer_id, at=purchase.created_at, spend=spend, purchases=counted)
        return set()
    fields = [field for field in Purchase._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(purchase, True), connection) for field in fields]
    columns = ", ".join(field.column for field in fields)
    marks = ", ".join("%s" for _field in fields)
    sql = f"WITH purchase AS (INSERT INTO {Purchase._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id)"  # noqa: S608 - names from model metadata
    params = list(values)
    upsert = spend_days_upsert_sql([(purchase.customer_id, purchase.created_at, spend, counted)])
    if upsert is not None:
        sql += f", spend AS ({upsert[0]})"
        params += upsert[1]
    stale = "NULL::bigint[]"
    if boosts is not None:
        sql += boosts.ctes
        params += boosts.params
        stale = boosts.stale
    with prepared_cursor() as cursor:
        cursor.execute(f"{sql} SELECT (SELECT id FROM purchase), {stale}", params)  # noqa: S608 - fixed fragments
        purchase.pk, refused = cursor.fetchone()
    purchase._state.adding, purchase._state.db = False, connection.alias
    return set(refused or ())


@dataclass(frozen=True)
class _BoostsRecorded:
    boosted: list[BoostEarned]  # the boosts as finally planned
    points: dict[int, int]  # {campaign id: points granted}


def _boosts_record(
    customer_id: int,
    purchase_id: int,
    now: dt.datetime,
    boosted: list[BoostEarned],
    plan: Any,
    *,
    in_insert: BoostsSql | None = None,
    stale: set[int] | frozenset[int] = frozenset(),
) -> _BoostsRecorded:
    """Record the purchase's boosts (loyalty.boosts.boosts_record): those the purchase's INSERT recorded
    already (`in_insert`, unless it refused them: `stale`) count as granted in full, the others are recorded
    now. When the provider refuses some (BoostsStale, or `stale`: a per-customer limit found reached only
    now; nothing of them written, and the provider leaves those boosts out from now on), plan the earning
    again with `plan()` (it returns (cashback parts, boosts)) and record all of that: the other boosts may
    then earn more (the line or the cap's room they lost to it). At most three tries, then no boosts."""
    points: dict[int, int] = {}
    todo = boosted
    if in_insert is not None:
        if stale:
            in_insert.refused(stale)
            boosted = todo = plan()[1]
        else:
            done = {boost.campaign_id for boost in in_insert.earned}
            points = {boost.campaign_id: 0 if boost.holdout else boost.points for boost in in_insert.earned}
            todo = [boost for boost in boosted if boost.campaign_id not in done]
    for _attempt in range(3):
        if not todo:
            return _BoostsRecorded(boosted, points)
        try:
            return _BoostsRecorded(
                boosted, points | boosts_record(customer_id=customer_id, purchase_id=purchase_id, at=now, earned=todo)
            )
        except BoostsStale:
            boosted = todo = plan()[1]
            points = {}
    return _BoostsRecorded([], {})


BATCH_CHUNK = 50  # purchases of a batch per transaction (purchase_record_batch)


@dataclass(frozen=True)
class BatchItem:
    """One purchase of a batch (purchase_record_batch): purchase_record's arguments."""

    customer_id: Any
    amount: Any
    occurred_at: dt.datetime
    idempotency_key: str
    redeem_points: Any = 0
    lines: list[Any] | None = None
    external_id: str = ""


def purchase_record_batch(
    *,
    items: list[BatchItem],
    api_client: Model | None = None,
    origin: str = "",
    max_age: dt.timedelta | None,
    clock_skew: dt.timedelta,
    set_based: bool = False,
) -> list[PurchaseResult | DomainError]:
    """Record many late purchases (an offline till syncing its day, issue #16), each as purchase_record
    with its own idempotency key and `occurred_at`, in the given order; return, per item and in order, its
    PurchaseResult (recorded, or `replayed` for a key seen before) or the DomainError that refused it.

    One transaction per chunk of BATCH_CHUNK items, one savepoint per item: an item that fails leaves
    nothing behind and the others are recorded. Each chunk first locks the accounts of its customers in
    primary-key order (accounts_for_update), so batches and single purchases never deadlock, and one commit
    pays for the chunk; the chunk bounds how long a batch holds those locks (a till's single purchase for
    one of them waits at most one chunk). An error that is not a domain error (a bug, the database gone)
    rolls its chunk back and propagates; the chunks before it stay recorded, and sending the batch again
    replays them (each key replays its first result) and records the rest, nothing twice.

    `set_based` (API_BATCH_SET_BASED): the plain items of a chunk (ledger.batch.purchases_record_plain says
    which) are recorded with a few set-based statements for the whole chunk, the others as above, one by
    one; the results are the same either way.
    """
    results: list[PurchaseResult | DomainError] = []
    for first in range(0, len(items), BATCH_CHUNK):
        chunk = items[first : first + BATCH_CHUNK]
        with transaction.atomic():
            ids = set()
            for item in chunk:
                try:
                    ids.add(int(item.customer_id))
                except (TypeError, ValueError):
                    continue  # the item fails alone below (UnknownCustomer)
            accounts_create_missing(ids)  # in id order: two batches with the same new customers never deadlock
            accounts = accounts_for_update(sorted(ids))
            done: list[PurchaseResult | None] = [None] * len(chunk)
            if set_based:
                from .batch import purchases_record_plain  # noqa: PLC0415 - batch builds on this module

                done = purchases_record_plain(
                    items=chunk,
                    accounts=accounts,
                    api_client=api_client,
                    origin=origin,
                    max_age=max_age,
                    clock_skew=clock_skew,
                )
            for item, recorded in zip(chunk, done, strict=True):
                if recorded is not None:
                    results.append(recorded)
                    continue
                try:
                    results.append(
                        purchase_record(
                            customer_id=item.customer_id,
                            amount=item.amount,
                            redeem_points=item.redeem_points,
                            lines=item.lines,
                            external_id=item.external_id,
                            idempotency_key=item.idempotency_key,
                            api_client=api_client,
                            origin=origin,
                            occurred_at=item.occurred_at,
                            late_max_age=max_age,
                            late_clock_skew=clock_skew,
                        )
                    )
                except DomainError as exc:  # purchase_record's own transaction (a savepoint) rolled it back
                    results.append(exc)
    return results


def _occurred_at_check(
    occurred_at: dt.datetime, *, now: dt.datetime, max_age: dt.timedelta | None, clock_skew: dt.timedelta
) -> None:
    """InvalidInput on `occurred_at` unless now − max_age ≤ occurred_at ≤ now + clock_skew (a till's clock
    may run a little ahead; a purchase from further in the future, or older than the window, is refused)."""
    if occurred_at.tzinfo is None:
        raise InvalidInput(_("The purchase time must include a time zone."), field="occurred_at")
    if occurred_at > now + clock_skew:
        raise InvalidInput(_("The purchase time is in the future."), field="occurred_at")
    if max_age is not None and occurred_at < now - max_age:
        days = max_age.days
        raise InvalidInput(
            ngettext(
                "The purchase is older than %(days)s day: too late to record it.",
                "The purchase is older than %(days)s days: too late to record it.",
                days,
            )
            % {"days": days},
            field="occurred_at",
        )


def _purchase_audit(*, purchase: Purchase, balance_before: int, currency: str, actor: Any, origin: str) -> None:
    """The audit row of a purchase a person recorded (the till): who, the customer, the amounts and the
    balance before → after. Purchases sent by API clients and the demo data are in the purchase list
    only (no person made them; `origin` says which system)."""
    receipt = purchase.external_id or f"#{purchase.pk}"
    audit_record(
        action=AuditAction.PURCHASE_RECORD,
        obj=purchase,
        summary=_("Purchase %(receipt)s for %(amount)s")
        % {"receipt": receipt, "amount": money(purchase.amount, currency)},
        actor=actor,
        origin=origin,
        changes={
            "customer": purchase.customer_id,
            "purchase": purchase.pk,
            "receipt": receipt,
            "amount": audit_value(purchase.amount),
            "paid_amount": audit_value(purchase.paid_amount),
            "redeemed_points": purchase.redeemed_points,
            "earned_points": purchase.earned_points,
            "balance": [balance_before, purchase.balance_after],
        },
        at=purchase.created_at,
    )
