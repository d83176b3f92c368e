"""A customer's personal data can be exported and erased on request, both audited, while the ledger stays
whole and balanced (issue #11)."""

import csv
import io
import json

import pytest

from core.models import AuditEntry
from customers.models import Customer
from customers.selectors import customer_lookup
from loyalty import services
from loyalty.selectors import ledger_problems, points_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, marketing_user):
    client.force_login(marketing_user)
    return client


@pytest.fixture
def anna(customer):
    services.purchase_record(customer_id=customer.pk, amount="1000.00", external_id="R-77")
    return customer


def test_the_export_holds_the_profile_points_ledger_and_purchases_and_is_audited(console, anna, marketing_user):
    response = console.get(f"/customers/{anna.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="customer-{anna.pk}.json"'
    data = json.loads(response.content)
    assert (data["customer"]["name"], data["customer"]["phone"]) == ("Anna Petrova", "+79123456789")
    assert data["customer"]["language"] == "en"  # the language of her messages
    assert data["loyalty"]["points"]["balance"] == 50
    assert [(e["kind"], e["points"]) for e in data["loyalty"]["ledger"]] == [("earn", 50)]
    assert [(p["receipt"], p["amount"], p["points_earned"]) for p in data["loyalty"]["purchases"]] == [
        ("R-77", "1000.00", 50)
    ]
    audit = AuditEntry.objects.get(action="customer.export")
    assert (audit.actor, audit.object_id) == (marketing_user, str(anna.pk))


def test_erasure_removes_the_person_and_keeps_the_ledger(console, anna, marketing_user):
    services.purchase_record(customer_id=anna.pk, amount="200.00")  # 10 more points
    response = console.post(f"/customers/{anna.pk}/erase/")
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.name == f"Erased customer {anna.pk}"
    assert (anna.email, anna.birthday, anna.notes, anna.consent_sms) == (None, None, "", False)
    assert anna.phone == f"+0{anna.pk:014d}" and anna.erased_at is not None
    assert customer_lookup("+7 912 345-67-89") == [] and customer_lookup("Anna") == []
    assert points_summary(anna.pk).balance == 60  # points and purchases stay
    assert ledger_problems() == []
    assert AuditEntry.objects.get(action="customer.erase").actor == marketing_user
    assert not AuditEntry.objects.filter(summary__contains="Anna").exists()
    page = console.get(f"/customers/{anna.pk}/").content.decode()
    assert "Erased on request on" in page and "Anna" not in page
    # A second request changes nothing and writes no second audit row.
    console.post(f"/customers/{anna.pk}/erase/")
    assert AuditEntry.objects.filter(action="customer.erase").count() == 1


def test_the_phone_is_free_again_and_a_new_customer_can_take_it(console, anna, customer_factory):
    console.post(f"/customers/{anna.pk}/erase/")
    again = customer_factory(name="Anna Again", phone="+7 912 345-67-89")
    assert Customer.objects.get(phone="+79123456789") == again


def test_cashiers_may_neither_export_nor_erase(client, cashier_user, anna):
    client.force_login(cashier_user)
    assert client.get(f"/customers/{anna.pk}/export/").status_code == 403
    assert client.post(f"/customers/{anna.pk}/erase/").status_code == 403
    anna.refresh_from_db()
    assert anna.erased_at is None


def test_the_export_as_a_spreadsheet(console, anna):
    response = console.get(f"/customers/{anna.pk}/export/", {"format": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="customer-{anna.pk}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert ["customer", "name", "Anna Petrova"] in rows
    assert ["customer", "phone", "'+79123456789"] in rows  # written as text for spreadsheets
    assert ["customer", "language", "en"] in rows
    assert ["points", "balance / pending / owed", "50 / 0 / 0"] in rows
    purchases = [r for r in rows if r[0] == "purchases"]
    assert purchases[0][:4] == ["purchases", "id", "at", "receipt"] and purchases[1][3] == "R-77"
    assert AuditEntry.objects.filter(action="customer.export").count() == 1


def test_the_export_holds_the_consent_history_and_the_messages(console, anna):
    from messaging.services import consent_set, message_queue

    consent_set(customer_id=anna.pk, channel="messenger", granted=True, source="staff")
    message_queue(customer_id=anna.pk, channel="sms", kind="points_earned", purpose="service", text="+50 points")
    data = json.loads(console.get(f"/customers/{anna.pk}/export/").content)
    assert [(c["channel"], c["given"], c["how"]) for c in data["messaging"]["consents"]] == [
        ("messenger", True, "staff")
    ]
    [message] = data["messaging"]["messages"]
    assert (message["channel"], message["address"], message["text"], message["status"]) == (
        "sms", "+79123456789", "+50 points", "queued"
    )  # fmt: skip
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(console.get(f"/customers/{anna.pk}/export/", {"format": "csv"}).streaming_content).decode()
            )
        )
    )
    assert ["messages", "id", "channel", "kind"] == [r for r in rows if r[0] == "messages"][0][:4]
    assert [r for r in rows if r[0] == "messages"][1][2:4] == ["sms", "points_earned"]
