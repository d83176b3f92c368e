"""The set-based path of a batch of late purchases (issue #16, loyalty.services.ledger.batch) gives exactly what
the per-item path gives: the same random batch recorded both ways, for two sets of customers in the same
state, leaves the same ledgers, lots, balances, spend totals, tiers and events; replays, a bad item in the
middle and the order of the results hold on both paths."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.exceptions import DomainError
from loyalty import events
from loyalty.models import LedgerEntry, PointsAccount, PointsLot, Purchase, SpendDay, TierChange, TierStatus
from loyalty.rules import points_expiry
from loyalty.services.ledger import BatchItem, batch, purchase_record, purchase_record_batch

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the set-based path is PostgreSQL's"),
]

MAX_AGE = dt.timedelta(days=7)
CUSTOMERS = 24
SKEW = dt.timedelta(minutes=5)


@pytest.fixture
def published(monkeypatch):
    """The purchase-recorded events delivered (after the commit), in order."""
    seen: list[events.PurchaseRecorded] = []

    def record(batch):
        seen.extend(batch)

    events.purchase_recorded_subscribe(record, many=True)
    yield seen
    events.purchase_recorded_unsubscribe(record)


def record(items, *, set_based, origin="till-sync"):
    return purchase_record_batch(items=items, origin=origin, max_age=MAX_AGE, clock_skew=SKEW, set_based=set_based)


def seeded(customer_factory, count, now):
    """`count` customers, each with one earlier purchase (their tier status exists)."""
    customers = [customer_factory() for _ in range(count)]
    for customer in customers:
        purchase_record(customer_id=customer.pk, amount="100.00", now=now - dt.timedelta(days=3))
    return customers


def random_batch(rng, count, now):
    """A batch as a list of dicts (customer position, amount, redeem, lines, receipt, key, occurred_at)."""
    specs = []
    for n in range(count):
        roll = rng.random()
        spec = {
            "who": rng.randrange(CUSTOMERS),
            "amount": Decimal(rng.choice(["250.00", "1200.00", "99.90", "3000.00", "15.00"])),
            "redeem": 0,
            "lines": None,
            "receipt": f"R-{n}",
            "key": f"k-{n}",
            "occurred_at": now - dt.timedelta(hours=rng.randrange(1, 24 * 6)),
        }
        if roll < 0.1:
            spec["redeem"] = rng.choice([5, 40, 10_000])  # some within the points available, some above
        elif roll < 0.15:
            spec["amount"] = Decimal("-1")  # refused
        elif roll < 0.2 and specs:
            spec = dict(rng.choice(specs))  # the same request again: a replay within the batch
        elif roll < 0.3:
            spec["lines"] = [{"amount": str(spec["amount"]), "category": "shoes", "sku": "S1"}]
        specs.append(spec)
    return specs


def items_for(specs, customers, prefix):
    return [
        BatchItem(
            customer_id=customers[spec["who"]].pk,
            amount=spec["amount"],
            occurred_at=spec["occurred_at"],
            idempotency_key=f"{prefix}:{spec['key']}",
            redeem_points=spec["redeem"],
            lines=spec["lines"],
            external_id=spec["receipt"],
        )
        for spec in specs
    ]


def state(customers):
    """What a customer set holds, with customers named by their position (ids differ between the sets)."""
    position = {customer.pk: n for n, customer in enumerate(customers)}
    ids = list(position)
    return {
        "entries": [
            (position[e.customer_id], e.kind, e.points, e.reason.replace(f"#{e.purchase_id}", "#?"), e.expires_at)
            for e in LedgerEntry.objects.filter(customer_id__in=ids).order_by("customer_id", "id")
        ],
        "lots": [
            (position[lot.customer_id], lot.points, lot.remaining, lot.available_at, lot.expires_at)
            for lot in PointsLot.objects.filter(customer_id__in=ids).order_by("customer_id", "id")
        ],
        "balances": {
            position[a.customer_id]: (a.balance, a.points_owed)
            for a in PointsAccount.objects.filter(customer_id__in=ids)
        },
        "purchases": [
            (position[p.customer_id], p.external_id, p.amount, p.redeemed_points, p.earned_points, p.balance_after)
            + (p.created_at, p.earned_breakdown)
            for p in Purchase.objects.filter(customer_id__in=ids).order_by("customer_id", "id")
        ],
        "spend": sorted(
            (position[d.customer_id], d.day, d.spend, d.purchases) for d in SpendDay.objects.filter(customer_id__in=ids)
        ),
        "tiers": {position[s.customer_id]: s.tier_id for s in TierStatus.objects.filter(customer_id__in=ids)},
        "changes": [
            (position[c.customer_id], c.from_tier_id, c.to_tier_id, c.reason)
            for c in TierChange.objects.filter(customer_id__in=ids).order_by("customer_id", "id")
        ],
        "dates": sorted(
            (position[c.pk], c.first_purchase_at, c.last_purchase_at) for c in customers_reloaded(customers)
        ),
    }


def customers_reloaded(customers):
    from customers.models import Customer

    return Customer.objects.filter(pk__in=[c.pk for c in customers])


def outcome(result, customers):
    if isinstance(result, DomainError):
        return ("error", type(result).__name__, result.http_status)
    position = {customer.pk: n for n, customer in enumerate(customers)}
    purchase = result.purchase
    return (
        "replayed" if result.replayed else "recorded",
        position[purchase.customer_id],
        purchase.external_id,
        purchase.earned_points,
        result.balance_after,
        result.owed_settled,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_batch_gives_the_same_on_both_paths(
    customer_factory, program, published, django_capture_on_commit_callbacks, monkeypatch, seed
):
    written = []
    write = batch._write
    monkeypatch.setattr(batch, "_write", lambda **kwargs: written.extend(kwargs["plain"]) or write(**kwargs))
    now = timezone.now()
    rng = random.Random(seed)
    specs = random_batch(rng, 120, now)
    one_by_one, set_based = seeded(customer_factory, CUSTOMERS, now), seeded(customer_factory, CUSTOMERS, now)
    with django_capture_on_commit_callbacks(execute=True):
        results_a = record(items_for(specs, one_by_one, "a"), set_based=False, origin="till-a")
    events_a = [(e.points_earned, e.points_redeemed) for e in published]
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        results_b = record(items_for(specs, set_based, "b"), set_based=True, origin="till-b")
    events_b = [(e.points_earned, e.points_redeemed) for e in published]

    assert [outcome(r, one_by_one) for r in results_a] == [outcome(r, set_based) for r in results_b]
    assert state(one_by_one) == state(set_based)
    # The same events; a chunk's set-based purchases are announced together, so only their order across
    # customers may differ.
    assert sorted(events_a) == sorted(events_b)
    assert len(events_b) == sum(1 for r in results_b if not isinstance(r, DomainError) and not r.replayed)
    assert len(written) > 20  # both kinds of items were in the batch, redemptions among the set-based ones
    assert any(data["redeem"] for _index, data in written)
    assert len(written) < sum(1 for r in results_b if not isinstance(r, DomainError) and not r.replayed)
    call_command("verify_ledger")


def test_plain_items_take_a_few_statements_per_chunk(customer_factory, program):
    """The set-based path is taken: 50 plain purchases of 5 customers cost a few dozen statements, not
    a dozen each."""
    now = timezone.now()
    customers = seeded(customer_factory, 5, now)
    items = [
        BatchItem(
            customer_id=customers[n % 5].pk,
            amount="100.00",
            occurred_at=now - dt.timedelta(hours=1),
            idempotency_key=f"plain-{n}",
        )
        for n in range(50)
    ]
    with CaptureQueriesContext(connection) as queries:
        results = record(items, set_based=True)
    assert [r.replayed for r in results] == [False] * 50
    assert len(queries) < 40, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    assert PointsAccount.objects.get(customer_id=customers[0].pk).balance == 5 + 10 * 5  # 5 % of 100, 11 times


class TestBothPaths:
    @pytest.mark.parametrize("set_based", [False, True])
    def test_a_bad_item_in_the_middle_fails_alone_and_results_keep_the_order(
        self, customer_factory, program, set_based
    ):
        now = timezone.now()
        anna, boris = seeded(customer_factory, 2, now)
        at = now - dt.timedelta(hours=3)
        results = record(
            [
                BatchItem(customer_id=anna.pk, amount="200.00", occurred_at=at, idempotency_key="m-1"),
                BatchItem(customer_id=boris.pk, amount="-3", occurred_at=at, idempotency_key="m-2"),
                BatchItem(customer_id=999_999, amount="10.00", occurred_at=at, idempotency_key="m-3"),
                BatchItem(customer_id=boris.pk, amount="400.00", occurred_at=at, idempotency_key="m-4"),
            ],
            set_based=set_based,
        )
        assert [type(r).__name__ for r in results] == [
            "PurchaseResult",
            "InvalidInput",
            "UnknownCustomer",
            "PurchaseResult",
        ]
        assert (results[0].purchase.customer_id, results[0].balance_after) == (anna.pk, 5 + 10)
        assert (results[3].purchase.customer_id, results[3].balance_after) == (boris.pk, 5 + 20)
        assert Purchase.objects.filter(idempotency_key__startswith="m-").count() == 2

    @pytest.mark.parametrize("set_based", [False, True])
    def test_replays_within_a_batch_and_across_batches(self, customer_factory, program, set_based):
        now = timezone.now()
        (anna,) = seeded(customer_factory, 1, now)
        at = now - dt.timedelta(hours=3)
        item = BatchItem(customer_id=anna.pk, amount="200.00", occurred_at=at, idempotency_key="r-1")
        other = BatchItem(customer_id=anna.pk, amount="300.00", occurred_at=at, idempotency_key="r-2")
        first = record([item, other, item], set_based=set_based)
        assert [r.replayed for r in first] == [False, False, True]
        assert first[2].purchase.pk == first[0].purchase.pk
        again = record([other, item], set_based=set_based)
        assert [r.replayed for r in again] == [True, True]
        assert [r.purchase.pk for r in again] == [first[1].purchase.pk, first[0].purchase.pk]
        assert PointsAccount.objects.get(customer_id=anna.pk).balance == 5 + 10 + 15
        conflict = record(
            [BatchItem(customer_id=anna.pk, amount="1.00", occurred_at=at, idempotency_key="r-1")], set_based=set_based
        )
        assert type(conflict[0]).__name__ == "IdempotencyConflict"

    @pytest.mark.parametrize("set_based", [False, True])
    def test_points_are_dated_by_occurred_at(self, customer_factory, program, set_based):
        now = timezone.now()
        (anna,) = seeded(customer_factory, 1, now)
        at = now - dt.timedelta(days=5)
        (result,) = record(
            [BatchItem(customer_id=anna.pk, amount="200.00", occurred_at=at, idempotency_key="d-1")],
            set_based=set_based,
        )
        lot = PointsLot.objects.get(entry__purchase=result.purchase)
        assert result.purchase.created_at == at
        assert lot.expires_at == points_expiry(credited_at=at, lifetime_days=program.points_lifetime_days)
        assert lot.available_at == at  # no activation delay in the default program
        assert LedgerEntry.objects.get(purchase=result.purchase).created_at > at  # written now, dated by the lot


def test_a_long_history_of_lots_gives_the_same_on_both_paths(customer_factory, program):
    """Customers holding many lots (earlier purchases on different days, so different expiries) redeem
    several times in one chunk, some more than one lot holds: the set-based path reads only the lots that
    pay the chunk's redemptions, and still leaves what the per-item path leaves."""
    now = timezone.now()

    def with_history(count):
        customers = [customer_factory() for _ in range(count)]
        for customer in customers:
            for days in (40, 30, 20, 10, 9, 8, 7, 3):  # 5 % of 200.00: ten points a lot
                purchase_record(customer_id=customer.pk, amount="200.00", now=now - dt.timedelta(days=days))
        return customers

    specs = [
        {"who": n % 3, "redeem": redeem, "key": f"h-{n}"}
        for n, redeem in enumerate([4, 7, 15, 3, 25, 1, 9, 9, 9, 0, 12, 2])
    ]

    def items(customers, prefix):
        return [
            BatchItem(
                customer_id=customers[spec["who"]].pk,
                amount="300.00",
                occurred_at=now - dt.timedelta(hours=2),
                idempotency_key=f"{prefix}:{spec['key']}",
                redeem_points=spec["redeem"],
            )
            for spec in specs
        ]

    one_by_one, set_based = with_history(3), with_history(3)
    results_a = record(items(one_by_one, "a"), set_based=False)
    results_b = record(items(set_based, "b"), set_based=True)
    assert [outcome(r, one_by_one) for r in results_a] == [outcome(r, set_based) for r in results_b]
    assert state(one_by_one) == state(set_based)
    # Hand-worked: 8 × 10 points, then 4 purchases of 300.00 redeeming 4, 3, 9 and 0 points, earning 5 % of
    # what was paid in money: 296.00 → 14, 297.00 → 14, 291.00 → 14, 300.00 → 15.
    assert PointsAccount.objects.get(customer_id=set_based[0].pk).balance == 80 + (14 + 14 + 14 + 15) - (4 + 3 + 9)
    call_command("verify_ledger")


def test_the_spendable_lots_read_are_only_those_that_pay(customer_factory, program):
    """_pools_read: of a customer's eight lots of ten points (soonest expiry first), 25 points need three;
    the total counts all eight."""
    now = timezone.now()
    anna = customer_factory()
    for days in (40, 30, 20, 10, 9, 8, 7, 3):
        purchase_record(customer_id=anna.pk, amount="200.00", now=now - dt.timedelta(days=days))
    pools, totals = batch._pools_read({anna.pk: 25}, now=now)
    oldest = list(PointsLot.objects.filter(customer_id=anna.pk).order_by("expires_at")[:3])
    assert [lot.pk for lot in pools[anna.pk]] == [lot.pk for lot in oldest]
    assert totals[anna.pk] == 80
    pools, totals = batch._pools_read({anna.pk: 80}, now=now)
    assert (len(pools[anna.pk]), totals[anna.pk]) == (8, 80)


@pytest.mark.parametrize("window_days", [None, 30, 1])
def test_qualifying_spend_many_equals_qualifying_spend(customer_factory, program, window_days):
    from loyalty.selectors import qualifying_spend, qualifying_spend_many

    program.tier_window_days = window_days
    program.save()
    now = timezone.now()
    customers = [customer_factory() for _ in range(3)]
    for n, customer in enumerate(customers[:2]):
        for days in (45, 29, 1, 0):
            purchase_record(customer_id=customer.pk, amount=f"{100 + n}.00", now=now - dt.timedelta(days=days))
    many = qualifying_spend_many([c.pk for c in customers], now=now, window_days=window_days)
    assert many == {c.pk: qualifying_spend(c.pk, now=now, program=program) for c in customers}
    assert many[customers[2].pk] == (Decimal("0"), 0)
    assert many[customers[0].pk][1] == {None: 4, 30: 3, 1: 2}[window_days]
