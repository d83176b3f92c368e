"""Saved segments in the console (console.views.segments, the customer list): "Save as segment", the
`saved` filter of the list and its CSV export, the page at /analytics/saved-segments/ with each segment's
filter in words and its count now, rename and delete, in English and Russian; the errors that change
nothing; Marketing only."""

import csv
import io
import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from analytics.models import SavedSegment
from analytics.segment_services import saved_segment_create
from core.models import AuditEntry
from customers.services import customer_enrol
from loyalty import services
from loyalty.models import Tier

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def shop(program, t0):
    """Anna 20 000.00 → Silver, 1 000 points; Boris 1 000.00 → Bronze, 50; Gleb 12 000.00 → Bronze, 600;
    Dina 14 000.00 → Bronze, 700; Vera never bought (Bronze, 0)."""
    people = {}
    for name, phone, amount in (
        ("Anna Petrova", "+79123456789", "20000.00"),
        ("Boris Sidorov", "+79001112233", "1000.00"),
        ("Gleb Orlov", "+79001112255", "12000.00"),
        ("Dina Volkova", "+79001112266", "14000.00"),
        ("Vera Never", "+79001112244", None),
    ):
        people[name.split()[0].lower()] = customer = customer_enrol(name=name, phone=phone)
        if amount:
            services.purchase_record(customer_id=customer.pk, amount=amount, now=t0)
    return people


def bronze() -> Tier:
    return Tier.objects.get(code="bronze")


def names(page) -> list[str]:
    text = page if isinstance(page, str) else page.content.decode()
    return re.findall(r'<td class="text-free"><a href="/customers/\d+/">([^<]+)</a></td>', text)


def csv_names(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return [row[0] for row in rows[1:]]


def text(page: str, element_id: str) -> str:
    """The text of the element with this id, tags removed and spaces collapsed."""
    html = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div|p|table|details)>', page, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def segment_row(page: str, segment: SavedSegment) -> list[str]:
    html = re.search(rf'<tr data-segment="{segment.pk}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("cashier_user", 403), ("marketing_user", 200), ("superuser", 200)]
)
@pytest.mark.parametrize("path", ["/analytics/saved-segments/", "/analytics/saved-segments/{id}/edit/"])
def test_permission_matrix(client, request, shop, who, status, path):
    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    if who:
        client.force_login(request.getfixturevalue(who))
    assert client.get(path.format(id=segment.pk)).status_code == status


def test_a_cashier_cannot_save_rename_or_delete(client, cashier_user, shop):
    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    client.force_login(cashier_user)
    for path, data in (
        ("/analytics/saved-segments/new/", {"name": "Mine", "tier": str(bronze().pk)}),
        (f"/analytics/saved-segments/{segment.pk}/edit/", {"name": "Renamed"}),
        (f"/analytics/saved-segments/{segment.pk}/delete/", {}),
    ):
        assert client.post(path, data).status_code == 403
    assert list(SavedSegment.objects.values_list("name", flat=True)) == ["Bronze"]


def test_save_the_list_filter_then_open_it_from_the_segments_page(console, shop, marketing_user):
    # The list filtered by Bronze and a balance from 500 points offers "Save as segment" with the filter in words.
    page = console.get("/customers/", {"tier": bronze().pk, "balance_min": "500"}).content.decode()
    assert names(page) == ["Dina Volkova", "Gleb Orlov"]
    assert "Filter: Tier: Bronze · Balance from 500 points</p>" in page.split('id="save-segment"')[1]
    assert 'name="csrfmiddlewaretoken"' in page.split('id="save-segment"')[1]

    response = console.post(
        "/analytics/saved-segments/new/",
        {"name": "Bronze with points", "description": "Worth a nudge", "tier": bronze().pk, "balance_min": "500"},
    )
    assert response.status_code == 302 and response.url == "/analytics/saved-segments/"
    segment = SavedSegment.objects.get()
    assert segment.filters == {"tier": str(bronze().pk), "balance_min": "500"} and segment.created_by == marketing_user
    assert AuditEntry.objects.filter(action="segment.create", actor=marketing_user).count() == 1

    page = console.get("/analytics/saved-segments/").content.decode()
    assert "Saved segment “Bronze with points” created." in page
    today = date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    assert segment_row(page, segment)[:3] == [
        f"Bronze with points Worth a nudge Saved by marketing, {today}", "Tier: Bronze · Balance from 500 points", "2",
    ]  # fmt: skip
    assert f'href="/customers/?saved={segment.pk}"' in page
    assert "It is evaluated each time it is used" in page

    # The list with the saved segment applied, and its export: Gleb (600) and Dina (700), newest first.
    page = console.get("/customers/", {"saved": segment.pk}).content.decode()
    assert names(page) == ["Dina Volkova", "Gleb Orlov"]
    assert "Saved segment “Bronze with points”: Tier: Bronze · Balance from 500 points." in text(page, "saved-segment")
    assert csv_names(console.get("/customers/", {"saved": segment.pk, "export": "csv"})) == [
        "Dina Volkova",
        "Gleb Orlov",
    ]
    # Within other filters: Bronze from 500 points and a balance up to 650: Gleb.
    assert names(console.get("/customers/", {"saved": segment.pk, "balance_max": "650"})) == ["Gleb Orlov"]

    # Dynamic: Boris buys 10 000.00 more and has 550 points; the count and the list follow.
    services.purchase_record(customer_id=shop["boris"].pk, amount="10000.00")
    assert segment_row(console.get("/analytics/saved-segments/").content.decode(), segment)[2] == "3"
    assert csv_names(console.get("/customers/", {"saved": segment.pk, "export": "csv", "sort": "name"})) == [
        "Boris Sidorov",
        "Dina Volkova",
        "Gleb Orlov",
    ]


def test_the_saved_filter_through_the_posted_list_form_keeps_to_its_token(console, shop):
    segment = saved_segment_create(name="Never bought", filters={"never_bought": "true"})
    response = console.post("/customers/", {"saved": segment.pk})
    assert response.status_code == 302 and response.url.startswith("/customers/?f=")
    assert names(console.get(response.url)) == ["Vera Never"]
    assert csv_names(console.get(response.url + "&export=csv")) == ["Vera Never"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "tier": "BRONZE"}, "This field is required."),
        ({"name": "bronze ONLY", "tier": "BRONZE"}, "A saved segment named “bronze ONLY” already exists."),
        ({"name": "Everyone"}, "Choose at least one filter: a segment of everyone would be the whole customer list."),
        (
            {"name": "Bad", "balance_min": "lots"},
            "The filter has invalid values: Balance, points: Enter a whole number.",
        ),
        ({"name": "Gone", "tier": "999999"}, "The filter has invalid values: Tier no longer exists"),
        ({"name": "x" * 101, "tier": "BRONZE"}, "Ensure this value has at most 100 characters (it has 101)."),
        # Year 1 was saved, then the segments page and the list with it failed (a 500 for everyone).
        ({"name": "Far", "joined_min": "0001-01-01"}, "Enter a date between 1 Jan 1900 and 31 Dec 2999."),
        ({"name": "Far", "last_purchase_max": "9999-12-31"}, "Enter a date between 1 Jan 1900 and 31 Dec 2999."),
    ],
)
def test_bad_input_to_save_says_why_and_saves_nothing(console, shop, data, message):
    saved_segment_create(name="Bronze only", filters={"tier": str(bronze().pk)})
    data = {key: str(bronze().pk) if value == "BRONZE" else value for key, value in data.items()}
    response = console.post("/analytics/saved-segments/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SavedSegment.objects.count() == 1
    assert AuditEntry.objects.filter(action="segment.create").count() == 1


def test_rename_and_describe(console, shop, marketing_user):
    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    other = saved_segment_create(name="Never bought", filters={"never_bought": "true"})
    page = console.get(f"/analytics/saved-segments/{segment.pk}/edit/").content.decode()
    assert 'value="Bronze"' in page and "Filter: Tier: Bronze" in page

    response = console.post(f"/analytics/saved-segments/{segment.pk}/edit/", {"name": "never BOUGHT"})
    assert response.status_code == 400
    assert "A saved segment named “never BOUGHT” already exists." in response.content.decode()
    response = console.post(f"/analytics/saved-segments/{segment.pk}/edit/", {"name": "  "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert SavedSegment.objects.get(pk=segment.pk).name == "Bronze"

    response = console.post(
        f"/analytics/saved-segments/{segment.pk}/edit/", {"name": "Bronze members", "description": "Entry tier"}
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.filters) == (
        "Bronze members",
        "Entry tier",
        {"tier": str(bronze().pk)},
    )
    entry = AuditEntry.objects.get(action="segment.update")
    assert entry.actor == marketing_user
    assert entry.changes == {"name": ["Bronze", "Bronze members"], "description": ["", "Entry tier"]}
    audit = console.get("/audit/").content.decode()
    assert "Changed saved segment “Bronze members”" in audit
    assert other.name == "Never bought"


def test_delete_asks_first_then_deletes_on_post(console, shop, marketing_user):
    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    page = console.get(f"/analytics/saved-segments/{segment.pk}/delete/").content.decode()
    assert "Delete the saved segment “Bronze”?" in page and 'method="post"' in page
    assert SavedSegment.objects.exists()
    response = console.post(f"/analytics/saved-segments/{segment.pk}/delete/")
    assert response.status_code == 302 and not SavedSegment.objects.exists()
    assert AuditEntry.objects.get(action="segment.delete").changes == {
        "name": "Bronze", "description": "", "filter": "Tier: Bronze",
    }  # fmt: skip
    assert "Deleted saved segment “Bronze”" in console.get("/audit/").content.decode()


def test_a_segment_a_campaign_targets_cannot_be_deleted_and_the_page_says_why(console, shop):
    from campaigns.services.changes import campaign_create

    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    campaign_create(
        values={"name": "Spring", "kind": "broadcast", "points": 100, "channels": ["sms"],
                "target": "saved_segment", "target_saved_segment": segment}
    )  # fmt: skip
    response = console.post(f"/analytics/saved-segments/{segment.pk}/delete/")
    assert response.status_code == 400  # was a 500 (ProtectedError)
    assert "Campaigns target this segment, so it cannot be deleted: “Spring”." in response.content.decode()
    assert SavedSegment.objects.filter(pk=segment.pk).exists()
    assert not AuditEntry.objects.filter(action="segment.delete").exists()  # nothing written


@pytest.mark.parametrize("path", ["/analytics/saved-segments/{id}/edit/", "/analytics/saved-segments/{id}/delete/"])
def test_an_unknown_id_says_so_and_changes_nothing(console, shop, path):
    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    for method in (console.get, console.post):
        response = method(path.format(id=segment.pk + 100), {"name": "X"})
        assert response.status_code == 404
        assert f"Saved segment {segment.pk + 100} does not exist." in response.content.decode()
    assert list(SavedSegment.objects.values_list("name", flat=True)) == ["Bronze"]
    assert not AuditEntry.objects.filter(action__in=["segment.update", "segment.delete"]).exists()


def test_a_deleted_saved_segment_on_the_list_shows_nobody_and_exports_nothing(console, shop):
    response = console.get("/customers/", {"saved": "987"})
    page = response.content.decode()
    assert "This saved segment no longer exists." in page and names(page) == []
    assert "No customers match these filters." in page
    export = console.get("/customers/", {"saved": "987", "export": "csv"})
    assert export.status_code == 400 and not export.has_header("Content-Disposition")


def test_a_segment_whose_tier_is_gone_says_so_and_counts_nobody(console, shop):
    platinum = Tier.objects.create(
        name="Platinum", code="platinum", order=99, threshold="1000000.00", cashback_percent="15.00",
        redeem_cap_percent="30.00",
    )  # fmt: skip
    segment = saved_segment_create(name="Platinum", filters={"tier": str(platinum.pk)})
    platinum.delete()
    page = console.get("/analytics/saved-segments/").content.decode()
    assert segment_row(page, segment)[1:3] == ["Tier: no longer exists Tier no longer exists", "0"]
    page = console.get("/customers/", {"saved": segment.pk}).content.decode()
    assert names(page) == [] and "Tier no longer exists" in text(page, "saved-segment")
    assert csv_names(console.get("/customers/", {"saved": segment.pk, "export": "csv"})) == []


def test_the_segments_page_in_russian(console, shop):
    segment = saved_segment_create(name="Много баллов", filters={"balance_min": "500", "segment": "at_risk"})
    saved_segment_create(name="Бронза", filters={"tier": str(bronze().pk)})
    console.cookies["django_language"] = "ru"
    page = console.get("/analytics/saved-segments/").content.decode()
    assert '<html lang="ru"' in page
    row = segment_row(page, segment)
    # No RFM snapshot yet: "At risk" holds nobody. The values read Russian: the segment's label, grouping.
    assert row[0].startswith("Много баллов") and row[2] == "0" and "В зоне риска" in row[1]
    assert "Клиенты" in page  # "Customers", the link to the list
    assert segment_row(page, SavedSegment.objects.get(name="Бронза"))[2] == "4"  # Boris, Gleb, Dina, Vera


def test_the_list_in_russian_offers_to_save_with_thousands_typed_the_russian_way(console, shop):
    console.cookies["django_language"] = "ru"
    page = console.get("/customers/", {"balance_min": "1 000"}).content.decode()
    assert names(page) == ["Anna Petrova"]
    response = console.post("/analytics/saved-segments/new/", {"name": "Тысяча", "balance_min": "1 000"})
    assert response.status_code == 302
    assert SavedSegment.objects.get().filters == {"balance_min": "1000"}
    console.cookies["django_language"] = "en"
    page = console.get("/analytics/saved-segments/").content.decode()
    assert segment_row(page, SavedSegment.objects.get())[1:3] == ["Balance from 1,000 points", "1"]


def test_hostile_values_in_the_segment_forms_give_no_server_error_and_a_refusal_writes_nothing(console, shop):
    from hypothesis import given

    from console.tests.test_fuzz import FUZZ, bodies

    segment = saved_segment_create(name="Bronze", filters={"tier": str(bronze().pk)})
    fields = ("name", "description", "q", "tier", "saved", "segment", "never_bought", "consent_email",
              "balance_min", "balance_max", "joined_min", "last_purchase_max")  # fmt: skip

    def written() -> tuple:
        return (
            list(SavedSegment.objects.order_by("pk").values_list("name", "description", "filters")),
            AuditEntry.objects.count(),
        )

    @FUZZ
    @given(body=bodies(*fields))
    def run(body):
        before = written()
        response = console.post("/analytics/saved-segments/new/", body)
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert written() == before
        response = console.post(f"/analytics/saved-segments/{segment.pk}/edit/", body)
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert written()[0][0] == before[0][0]  # the edited segment as it was
        assert console.get("/customers/", body).status_code == 200

    run()


def test_the_analytics_pages_link_to_the_saved_segments(console, shop):
    for path in ("/analytics/", "/analytics/segments/"):
        assert 'href="/analytics/saved-segments/"' in console.get(path).content.decode()


@pytest.mark.parametrize("query", ["joined_min=0001-01-01", "last_purchase_min=0001-01-01", "joined_max=9999-12-31"])
def test_a_date_out_of_range_on_the_list_is_a_form_error_not_a_server_error(console, shop, query):
    response = console.get(f"/customers/?{query}")
    assert response.status_code in (200, 400)
    assert "Enter a date between 1 Jan 1900 and 31 Dec 2999." in response.content.decode()
    assert console.get(f"/customers/?{query}&export=csv").status_code == 400


def test_a_date_out_of_range_on_the_audit_log_is_a_form_error(console, shop, superuser):
    console.force_login(superuser)
    response = console.get("/audit/?when_min=0001-01-01")
    assert response.status_code in (200, 400)
    assert "Enter a date between 1 Jan 1900 and 31 Dec 2999." in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_the_list_page_refuses_other_methods(console, shop, method):
    response = getattr(console, method)("/analytics/saved-segments/", {"name": "Sneaky"})
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert not SavedSegment.objects.exists()
    assert console.head("/analytics/saved-segments/").status_code == 200


def test_other_methods_on_the_list_check_the_permission_first(client, cashier_user, shop):
    assert client.delete("/analytics/saved-segments/").status_code == 302  # anonymous: to log in
    client.force_login(cashier_user)
    assert client.delete("/analytics/saved-segments/").status_code == 403
