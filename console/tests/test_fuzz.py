"""A fuzz run over every form of the console and the till (issue #11): hostile and random values never
give a 500, and a refused submission writes nothing. Bounded: a fixed number of examples per form.
The API's endpoints are fuzzed by schemathesis in api/tests/test_schema.py."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import AuditEntry
from customers.models import Customer, ImportJob
from loyalty import services
from loyalty.models import LedgerEntry, ProgramSettings, Purchase, Refund, Tier

pytestmark = pytest.mark.django_db

HOSTILE = st.sampled_from(
    ["", " ", "0", "-1", "1e9999", "NaN", "Infinity", "999999999999999999999", "1,5", "1 000,50", "0x10",
     "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "=HYPERLINK(\"x\")", "+79123456789", "8 (912) 345 67 89",
     "ё" * 300, "a" * 5000, "2026-02-30", "31.12.1899", "true", "on", "\u202e", "9" * 120]
)  # fmt: skip
VALUE = st.one_of(HOSTILE, st.text(max_size=40), st.integers(-(10**20), 10**20).map(str),
                  st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str))  # fmt: skip
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def bodies(*fields: str):
    return st.fixed_dictionaries({}, optional={name: VALUE for name in fields})


def counts() -> dict[str, int]:
    models = (AuditEntry, Customer, ImportJob, LedgerEntry, Purchase, Refund, Tier)
    return {m.__name__: m.objects.count() for m in models}


def check(response, before: dict[str, int], ok=(200, 302)) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code not in ok:  # refused: nothing written
        assert counts() == before


@pytest.fixture
def shop(client, superuser, customer):
    purchase = services.purchase_record(customer_id=customer.pk, amount="1000.00").purchase
    client.force_login(superuser)
    return client, customer, purchase


def test_the_settings_form(shop):
    client, _customer, _purchase = shop
    fields = ("currency", "point_value", "base_cashback_percent", "redeem_cap_percent", "points_lifetime_days",
              "activation_delay_days", "tier_window_days", "tier_grace_days", "manual_adjustment_limit",
              "max_purchase_amount", "boost_combine", "boost_cap_percent")  # fmt: skip

    @FUZZ
    @given(body=bodies(*fields))
    def run(body):
        before, program = counts(), ProgramSettings.objects.get()
        response = client.post("/settings/", body)
        check(response, before)
        if response.status_code != 302:
            assert ProgramSettings.objects.get().base_cashback_percent == program.base_cashback_percent

    run()


def test_the_tier_editor(shop):
    client, _customer, _purchase = shop
    tier_fields = ("name", "code", "order", "threshold", "min_purchases", "cashback_percent", "redeem_cap_percent")

    @FUZZ
    @given(row=bodies(*tier_fields), total=st.sampled_from(["1", "0", "-1", "x", "1000000"]))
    def run(row, total):
        before = counts()
        body = {"form-TOTAL_FORMS": total, "form-INITIAL_FORMS": "0", **{f"form-0-{k}": v for k, v in row.items()}}
        check(client.post("/tiers/", body), before)

    run()


def test_the_customer_profile_and_adjustment_forms(shop):
    client, customer, _purchase = shop

    @FUZZ
    @given(profile=bodies("name", "phone", "email", "birthday", "consent_email", "consent_sms", "language", "notes"),
           adjust=bodies("points", "reason", "idempotency_key"))  # fmt: skip
    def run(profile, adjust):
        before = counts()
        check(client.post(f"/customers/{customer.pk}/edit/", profile), before)
        before = counts()
        check(client.post(f"/customers/{customer.pk}/adjust/", adjust), before)

    run()


def test_the_customer_list_filters_and_the_import_upload(shop):
    client, _customer, _purchase = shop

    @FUZZ
    @given(query=bodies("q", "tier", "balance_min", "balance_max", "joined_from", "joined_to", "sort", "page"),
           content=st.binary(max_size=300))  # fmt: skip
    def run(query, content):
        assert client.get("/customers/", query).status_code < 500
        before = counts()
        response = client.post("/customers/import/", {"file": SimpleUploadedFile("f.csv", content)})
        assert response.status_code < 500
        assert counts()["Customer"] == before["Customer"]  # a dry run never imports

    run()


def test_the_till_forms(client, cashier_user, customer):
    purchase = services.purchase_record(customer_id=customer.pk, amount="1000.00").purchase
    client.force_login(cashier_user)

    @FUZZ
    @given(search=bodies("q"), enrol=bodies("name", "phone", "email", "birthday", "language", "referral_code", "idempotency_key"),
           buy=bodies("amount", "redeem_points", "external_id", "idempotency_key"),
           back=bodies("amount", "scope", "idempotency_key"))  # fmt: skip
    def run(search, enrol, buy, back):
        assert client.post("/cashier/", search).status_code < 500
        assert client.get(f"/cashier/customer/{customer.pk}/quote/", buy).status_code < 500
        for url, body in (("/cashier/enrol/", enrol), (f"/cashier/customer/{customer.pk}/purchase/", buy),
                          (f"/cashier/purchase/{purchase.pk}/refund/", back)):  # fmt: skip
            before = counts()
            check(client.post(url, body), before)

    run()


def test_the_api_client_form(shop):
    client, _customer, _purchase = shop

    @FUZZ
    @given(body=bodies("name"))
    def run(body):
        before = counts()
        check(client.post("/api-clients/", body), before, ok=(200, 302))

    run()
