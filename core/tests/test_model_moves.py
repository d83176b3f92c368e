"""Issue #10 moved models between apps (audit log → core, API clients → api, import jobs → customers) and
permissions off ProgramSettings (use_cashier → cashier, view_dashboard → console). A database seeded with
the schema before the moves is migrated forward: every row is still there, found through the new models,
and every group keeps what it could do."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last migrations of the schema before the moves; the apps that did not exist yet are unapplied.
BEFORE = [
    ("customers", "0006_audit_action_rotate"),
    ("loyalty", "0013_import_real_run_once"),
    ("auth", "0012_alter_user_first_name_max_length"),
]
NEW_APPS = [("api", None), ("cashier", None), ("console", None), ("core", None)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_moving_models_between_apps_keeps_every_row_and_every_permission():
    executor = MigrationExecutor(connection)
    executor.migrate(NEW_APPS + BEFORE)
    executor.loader.build_graph()
    old = executor.loader.project_state(BEFORE).apps
    User, Group = old.get_model("auth", "User"), old.get_model("auth", "Group")
    Customer, AuditEntry = old.get_model("customers", "Customer"), old.get_model("customers", "AuditEntry")
    ApiClient, ImportJob = old.get_model("loyalty", "ApiClient"), old.get_model("loyalty", "ImportJob")
    Purchase, LedgerEntry = old.get_model("loyalty", "Purchase"), old.get_model("loyalty", "LedgerEntry")
    PointsLot, PointsAccount = old.get_model("loyalty", "PointsLot"), old.get_model("loyalty", "PointsAccount")
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)

    boss = User.objects.create(username="boss")
    boss.groups.add(Group.objects.get(name="Marketing"))
    till = User.objects.create(username="till")
    till.groups.add(Group.objects.get(name="Cashiers"))
    anna = Customer.objects.create(
        name="Anna", phone="+79120000001", card_number="2700000000001", referral_code="A1", created_at=now
    )
    shop = ApiClient.objects.create(name="web-shop", key_prefix="bmr_abcd", key_hash="f" * 64, created_at=now)
    purchase = Purchase.objects.create(
        customer=anna, amount=D("1000"), paid_amount=D("1000"), earned_points=50, external_id="R-1",
        api_client=shop, cashback_percent=D("5"), point_value=D("1"), created_at=now,
    )  # fmt: skip
    entry = LedgerEntry.objects.create(
        customer=anna, kind="earn", points=50, reason="Cashback", purchase=purchase, created_at=now
    )
    PointsLot.objects.create(customer=anna, entry=entry, points=50, remaining=50, created_at=now, available_at=now)
    PointsAccount.objects.create(customer=anna, balance=50)
    job = ImportJob.objects.create(
        file_name="old.csv", content=b"name,phone\n", dry_run=False, status="done", created_by=boss
    )
    AuditEntry.objects.create(
        actor=boss, action="customer.import", object_type="loyalty.importjob", object_id=str(job.pk), summary="i"
    )
    AuditEntry.objects.create(
        actor=boss, action="api_client.create", object_type="loyalty.apiclient", object_id=str(shop.pk), summary="c"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.auth.models import User as NewUser

    from api.models import ApiClient as NewApiClient
    from core.models import AuditEntry as NewAuditEntry
    from customers.models import ImportJob as NewImportJob
    from loyalty.models import Purchase as NewPurchase
    from loyalty.selectors import ledger_problems, points_summary

    client = NewApiClient.objects.get(pk=shop.pk)
    assert (client.name, client.key_prefix) == ("web-shop", "bmr_abcd")
    assert NewPurchase.objects.get(pk=purchase.pk).api_client == client
    assert list(client.purchases.values_list("external_id", flat=True)) == ["R-1"]
    assert NewImportJob.objects.get(pk=job.pk).created_by.username == "boss"
    assert sorted(NewAuditEntry.objects.values_list("object_type", "object_id")) == [
        ("api.apiclient", str(shop.pk)),
        ("customers.importjob", str(job.pk)),
    ]
    assert points_summary(anna.pk, now=now).balance == 50
    assert ledger_problems() == []

    marketing, cashier = NewUser.objects.get(username="boss"), NewUser.objects.get(username="till")
    for perm in ("console.view_dashboard", "core.view_auditentry", "api.change_apiclient", "customers.add_customer"):
        assert marketing.has_perm(perm), perm
    assert cashier.has_perm("cashier.use_cashier")
    assert not cashier.has_perm("console.view_dashboard")
    assert not marketing.has_perm("cashier.use_cashier")
    from django.contrib.auth.models import Permission

    # Moved, not copied: no permission is left under its old app.
    assert not Permission.objects.filter(
        content_type__app_label="loyalty", codename__in=["use_cashier", "view_dashboard", "change_apiclient"]
    ).exists()
    assert not Permission.objects.filter(content_type__app_label="customers", codename="view_auditentry").exists()
