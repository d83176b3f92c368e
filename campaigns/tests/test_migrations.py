"""Upgrading a database with boost grant rows from before they had a table of their own (campaigns 0008):
every boost row moves to BoostGrant with its purchase, holdout, variant and points, and a limited
campaign's rows are numbered per customer (0009); the other kinds' rows stay; going back restores them."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("campaigns", "0007_boosts_target_tiers_version")]
AFTER = [("campaigns", "0010_boost_holdout_rows_numbered")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_boost_rows_move_to_their_own_table_and_back():
    old = _migrate(BEFORE)
    Customer, Purchase = old.get_model("customers", "Customer"), old.get_model("loyalty", "Purchase")
    Campaign, Grant = old.get_model("campaigns", "Campaign"), old.get_model("campaigns", "CampaignGrant")
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    anna = Customer.objects.create(
        name="Anna", phone="+79120000001", card_number="2700000000001", referral_code="A1", created_at=now
    )
    common = {"customer": anna, "cashback_percent": D("5"), "point_value": D("1"), "created_at": now}
    first = Purchase.objects.create(amount=D("1000"), paid_amount=D("1000"), earned_points=100, **common)
    second = Purchase.objects.create(amount=D("500"), paid_amount=D("500"), earned_points=25, **common)
    dates = {"created_at": now, "updated_at": now}
    boost = Campaign.objects.create(name="Double", kind="boost", boost_multiplier=D("2"), **dates)
    welcome = Campaign.objects.create(name="Hello", kind="welcome", points=300, **dates)
    limited = Campaign.objects.create(
        name="Twice", kind="boost", boost_extra_percent=D("1"), per_customer_limit=2, **dates
    )
    Grant.objects.create(campaign=boost, customer=anna, occasion=f"purchase:{first.pk}", points=50, at=now)
    Grant.objects.create(campaign=boost, customer=anna, occasion=f"purchase:{second.pk}", holdout=True, at=now)
    Grant.objects.create(campaign=welcome, customer=anna, occasion="enrol", points=300, at=now)
    Grant.objects.create(campaign=limited, customer=anna, occasion=f"purchase:{first.pk}", points=10, at=now)
    Grant.objects.create(campaign=limited, customer=anna, occasion=f"purchase:{second.pk}", points=5, at=now)
    boris = Customer.objects.create(
        name="Boris", phone="+79120000002", card_number="2700000000002", referral_code="B1", created_at=now
    )
    third = Purchase.objects.create(
        amount=D("100"), paid_amount=D("100"), earned_points=5, **common | {"customer": boris}
    )
    Grant.objects.create(campaign=limited, customer=boris, occasion=f"purchase:{third.pk}", holdout=True, at=now)

    new = _migrate(AFTER)
    BoostGrant, NewGrant = new.get_model("campaigns", "BoostGrant"), new.get_model("campaigns", "CampaignGrant")
    assert list(
        BoostGrant.objects.order_by("id").values_list(
            "campaign_id", "customer_id", "purchase_id", "holdout", "points", "nth"
        )
    ) == [
        (boost.pk, anna.pk, first.pk, False, 50, None),
        (boost.pk, anna.pk, second.pk, True, 0, None),
        (limited.pk, anna.pk, first.pk, False, 10, 1),  # numbered: the limit is read from the last one
        (limited.pk, anna.pk, second.pk, False, 5, 2),
        (limited.pk, boris.pk, third.pk, True, 0, 1),  # the holdout's rows too: they mirror the treated's
    ]
    assert list(NewGrant.objects.values_list("campaign_id", "occasion", "points")) == [(welcome.pk, "enrol", 300)]

    back = _migrate(BEFORE)
    OldGrant = back.get_model("campaigns", "CampaignGrant")
    assert sorted(OldGrant.objects.values_list("occasion", "holdout", "points")) == [
        ("enrol", False, 300),
        (f"purchase:{first.pk}", False, 10),
        (f"purchase:{first.pk}", False, 50),
        (f"purchase:{second.pk}", False, 5),
        (f"purchase:{second.pk}", True, 0),
        (f"purchase:{third.pk}", True, 0),
    ]
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
