"""Saved segments (analytics.segments, analytics.segment_services) on hand-built customers: which customers
a saved filter selects now, the filter as stored and in words, the errors that change nothing, the audit
rows, and what a segment does once a tier, an RFM segment or a saved segment it names is gone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from analytics.exceptions import SavedSegmentError, SavedSegmentNotFound
from analytics.models import RfmScore, RfmSnapshot, SavedSegment
from analytics.rfm_rules import Segment
from analytics.segment_services import saved_segment_create, saved_segment_delete, saved_segment_update
from analytics.segments import (
    filter_describe,
    filter_params_clean,
    filter_problems,
    rfm_segment_customers,
    saved_segment_get,
    saved_segments_list,
    segment_customers,
)
from core.models import AuditEntry
from customers.services import customer_enrol
from loyalty import services
from loyalty.models import Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(program, t0):
    """Five customers. Cashback is 5 % (Bronze, the default tiers), a purchase of 20 000 or more makes Silver.

    Anna 20 000.00 → Silver, 1 000 points; Boris 1 000.00 → Bronze, 50; Gleb 12 000.00 → Bronze, 600;
    Dina 14 000.00 → Bronze, 700; Vera never bought → Bronze (the entry tier), 0.
    The latest RFM snapshot puts Anna and Gleb in At risk, Dina in Champions."""
    anna = customer_enrol(name="Anna Petrova", phone="+79123456789")
    boris = customer_enrol(name="Boris Sidorov", phone="+79001112233")
    gleb = customer_enrol(name="Gleb Orlov", phone="+79001112255", email="gleb@example.com")
    dina = customer_enrol(name="Dina Volkova", phone="+79001112266")
    vera = customer_enrol(name="Vera Never", phone="+79001112244")
    for who, amount in ((anna, "20000.00"), (boris, "1000.00"), (gleb, "12000.00"), (dina, "14000.00")):
        services.purchase_record(customer_id=who.pk, amount=amount, now=t0)
    snapshot = RfmSnapshot.objects.create(
        as_of=dt.date(2026, 3, 2), window_days=365, computed_at=timezone.now(), customers=3
    )
    for who, segment, r, f in (
        (anna, Segment.AT_RISK, 2, 3),
        (gleb, Segment.AT_RISK, 1, 4),
        (dina, Segment.CHAMPIONS, 5, 5),
    ):
        RfmScore.objects.create(
            snapshot=snapshot, customer=who, recency_days=100, frequency=f, monetary=Decimal("1.00"),
            recency_score=r, frequency_score=f, monetary_score=3, segment=segment,
        )  # fmt: skip
    return {"anna": anna, "boris": boris, "gleb": gleb, "dina": dina, "vera": vera}


def bronze() -> Tier:
    return Tier.objects.get(code="bronze")


def names(queryset) -> list[str]:
    return sorted(queryset.values_list("name", flat=True))


def test_a_saved_filter_selects_the_customers_it_names_now(people, marketing_user):
    segment = saved_segment_create(
        name="Bronze with points", filters={"tier": str(bronze().pk), "balance_min": "500"}, actor=marketing_user
    )
    # Bronze: Boris 50, Gleb 600, Dina 700, Vera 0; from 500 points: Gleb and Dina.
    assert names(segment_customers(segment)) == ["Dina Volkova", "Gleb Orlov"]
    # Dynamic: Boris buys 10 000.00 more (11 000.00 in all, still Bronze) and has 50 + 500 = 550 points.
    services.purchase_record(customer_id=people["boris"].pk, amount="10000.00")
    assert names(segment_customers(segment)) == ["Boris Sidorov", "Dina Volkova", "Gleb Orlov"]


def test_an_rfm_filter_within_the_others_and_the_rfm_selector(people, marketing_user):
    segment = saved_segment_create(
        name="Bronze at risk", filters={"tier": str(bronze().pk), "segment": "at_risk"}, actor=marketing_user
    )
    assert names(segment_customers(segment)) == ["Gleb Orlov"]  # Anna is at risk too, but Silver
    assert names(rfm_segment_customers("at_risk")) == ["Anna Petrova", "Gleb Orlov"]
    assert names(rfm_segment_customers(Segment.CHAMPIONS)) == ["Dina Volkova"]
    with pytest.raises(ValueError):
        rfm_segment_customers("vip")


def test_a_saved_segment_within_another(people, marketing_user):
    inner = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)}, actor=marketing_user)
    outer = saved_segment_create(
        name="Bronze, never bought", filters={"saved": str(inner.pk), "never_bought": "true"}, actor=marketing_user
    )
    assert names(segment_customers(outer)) == ["Vera Never"]
    assert filter_describe(outer.filters) == ["Saved segment: Bronze", "Never bought"]


def test_the_filter_is_stored_canonical_and_reads_the_same_in_every_language(people):
    with translation.override("ru"):
        clean = filter_params_clean(
            {"balance_min": "1 000", "joined_max": "2026-03-31", "consent_email": "false", "q": "  Orlov ", "page": "2"}
        )
    assert clean == {"balance_min": "1000", "joined_max": "2026-03-31", "consent_email": "false", "q": "Orlov"}
    params = {"tier": str(bronze().pk), "balance_min": "1000", "balance_max": "2000", "segment": "at_risk"}
    params |= {"last_purchase_min": "2026-03-01", "consent_sms": "true"}
    assert filter_describe(params) == [
        "Tier: Bronze",
        "RFM: At risk",
        "SMS consent: yes",
        "Last purchase from 1 Mar 2026",
        "Balance from 1,000 to 2,000 points",
    ]
    with translation.override("ru"):
        words = filter_describe({"segment": "at_risk", "balance_max": "1000", "joined_min": "2026-03-01"})
    # The sentences are new msgids (their Russian is in the merge's translations); the values read Russian.
    assert words[0].endswith("В зоне риска") and "1\u00a0000" in words[1] and words[2].endswith("01.03.2026")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({}, "Choose at least one filter: a segment of everyone would be the whole customer list."),
        ({"q": "   ", "sort": "name", "page": "3"}, "Choose at least one filter"),
        ({"balance_min": "lots"}, "The filter has invalid values: Balance, points: Enter a whole number."),
        ({"tier": "999999"}, "The filter has invalid values: Tier no longer exists"),
        ({"segment": "vip"}, "The filter has invalid values: RFM segment no longer exists"),
        ({"saved": "999999"}, "The filter has invalid values: Saved segment no longer exists"),
        ({"joined_min": "2026-02-30"}, "The filter has invalid values: Joined: Enter a valid date."),
    ],
)
def test_a_filter_that_is_empty_or_invalid_is_refused_and_nothing_is_written(people, marketing_user, filters, message):
    with pytest.raises(SavedSegmentError) as error:
        saved_segment_create(name="X", filters=filters, actor=marketing_user)
    assert error.value.message.startswith(message) and error.value.field == "filters"
    assert not SavedSegment.objects.exists() and not AuditEntry.objects.filter(action__startswith="segment").exists()


@pytest.mark.parametrize(
    ("name", "description", "message", "field"),
    [
        ("  ", "", "Enter the segment's name.", "name"),
        ("LAPSED gold", "", "A saved segment named “LAPSED gold” already exists.", "name"),
        ("x" * 101, "", "The name can have at most 100 characters.", "name"),
        ("New", "d" * 501, "The description can have at most 500 characters.", "description"),
    ],
)
def test_bad_names_are_refused(people, marketing_user, name, description, message, field):
    saved_segment_create(name="Lapsed gold", filters={"never_bought": "false"}, actor=marketing_user)
    with pytest.raises(SavedSegmentError) as error:
        saved_segment_create(name=name, description=description, filters={"tier": str(bronze().pk)})
    assert (error.value.message, error.value.field) == (message, field)
    assert SavedSegment.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Спящие", "СПЯЩИЕ"),  # folded by PostgreSQL's LOWER() too, but not by SQLite's (ASCII only)
        ("Спящие", "спящие"),
        ("Straße", "STRASSE"),  # str.casefold: "ß" is "ss"; neither database's LOWER()/UPPER() folds it so
    ],
)
def test_a_name_differing_only_in_case_is_refused_by_the_service(people, marketing_user, first, second):
    saved_segment_create(name=first, filters={"never_bought": "false"}, actor=marketing_user)
    with CaptureQueriesContext(connection) as queries, pytest.raises(SavedSegmentError) as error:
        saved_segment_create(name=second, filters={"tier": str(bronze().pk)}, actor=marketing_user)
    assert (error.value.message, error.value.field) == (f"A saved segment named “{second}” already exists.", "name")
    # Refused before any INSERT: the service's check, not the database's constraint (absent on SQLite).
    assert not [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert list(SavedSegment.objects.values_list("name", flat=True)) == [first]


def test_a_rename_to_a_name_differing_only_in_case_is_refused(people, marketing_user):
    saved_segment_create(name="Straße", filters={"never_bought": "false"}, actor=marketing_user)
    other = saved_segment_create(name="Спящие", filters={"tier": str(bronze().pk)}, actor=marketing_user)
    with pytest.raises(SavedSegmentError) as error:
        saved_segment_update(segment_id=other.pk, name="STRASSE", actor=marketing_user)
    assert error.value.message == "A saved segment named “STRASSE” already exists."
    other.refresh_from_db()
    assert other.name == "Спящие"
    # Its own name in another case is a rename, not a clash with itself.
    assert saved_segment_update(segment_id=other.pk, name="СПЯЩИЕ", actor=marketing_user).name == "СПЯЩИЕ"


def test_create_rename_delete_are_audited(people, marketing_user):
    segment = saved_segment_create(
        name="Champions", description="Best buyers", filters={"segment": "champions"}, actor=marketing_user,
        origin="console",
    )  # fmt: skip
    created = AuditEntry.objects.get(action="segment.create")
    assert created.actor == marketing_user and created.object_id == str(segment.pk)
    assert created.changes == {"name": "Champions", "description": "Best buyers", "filter": "RFM: Champions"}

    saved_segment_update(segment_id=segment.pk, name="Top buyers", description="Best buyers", actor=marketing_user)
    updated = AuditEntry.objects.get(action="segment.update")
    assert updated.changes == {"name": ["Champions", "Top buyers"]}
    # Nothing changed: nothing written.
    saved_segment_update(segment_id=segment.pk, name="Top buyers", description="Best buyers", actor=marketing_user)
    assert AuditEntry.objects.filter(action="segment.update").count() == 1
    # Renaming to the same name in another case is a change of its own name, not a duplicate.
    saved_segment_update(segment_id=segment.pk, name="TOP buyers", description="", actor=marketing_user)
    assert SavedSegment.objects.get().name == "TOP buyers"

    saved_segment_delete(segment_id=segment.pk, actor=marketing_user)
    deleted = AuditEntry.objects.get(action="segment.delete")
    assert deleted.changes == {"name": "TOP buyers", "description": "", "filter": "RFM: Champions"}
    assert not SavedSegment.objects.exists()


def test_an_unknown_id_is_an_error_that_changes_nothing(people, marketing_user):
    with pytest.raises(SavedSegmentNotFound):
        saved_segment_update(segment_id=12345, name="X", actor=marketing_user)
    with pytest.raises(SavedSegmentNotFound):
        saved_segment_delete(segment_id="abc", actor=marketing_user)
    with pytest.raises(SavedSegmentNotFound):
        saved_segment_get(0)
    assert not AuditEntry.objects.filter(action__startswith="segment").exists()


def test_a_segment_naming_a_tier_rfm_segment_or_saved_segment_that_is_gone_selects_nobody(people, marketing_user):
    platinum = Tier.objects.create(
        name="Platinum", code="platinum", order=99, threshold=Decimal("1000000.00"),
        cashback_percent=Decimal("15.00"), redeem_cap_percent=Decimal("30.00"),
    )  # fmt: skip
    by_tier = saved_segment_create(name="Platinum", filters={"tier": str(platinum.pk)}, actor=marketing_user)
    inner = saved_segment_create(name="Everyone at risk", filters={"segment": "at_risk"}, actor=marketing_user)
    by_saved = saved_segment_create(name="At risk, Bronze", filters={"saved": str(inner.pk), "tier": str(bronze().pk)})
    assert names(segment_customers(by_saved)) == ["Gleb Orlov"]
    by_rfm = saved_segment_create(name="Old RFM", filters={"segment": "champions"}, actor=marketing_user)
    SavedSegment.objects.filter(pk=by_rfm.pk).update(filters={"segment": "vip"})  # a segment a later version dropped
    by_rfm.refresh_from_db()

    platinum.delete()
    saved_segment_delete(segment_id=inner.pk, actor=marketing_user)
    by_tier.refresh_from_db(), by_saved.refresh_from_db()

    assert filter_problems(by_tier.filters) == ["Tier no longer exists"]
    assert filter_describe(by_tier.filters) == ["Tier: no longer exists"]
    assert filter_problems(by_saved.filters) == ["Saved segment no longer exists"]
    assert filter_describe(by_saved.filters) == ["Tier: Bronze", "Saved segment: no longer exists"]
    assert filter_problems(by_rfm.filters) == ["RFM segment no longer exists"]
    for segment in (by_tier, by_saved, by_rfm):
        assert not segment_customers(segment).exists()  # nobody, never everyone
    rows = {row.segment.name: row for row in saved_segments_list()}
    assert [(name, rows[name].customers, rows[name].problems) for name in sorted(rows)] == [
        ("At risk, Bronze", 0, ["Saved segment no longer exists"]),
        ("Old RFM", 0, ["RFM segment no longer exists"]),
        ("Platinum", 0, ["Tier no longer exists"]),
    ]
