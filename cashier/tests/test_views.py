"""The till (cashier.views): search, the customer's card, the live quote, purchases, refunds, enrolment."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditEntry
from customers.models import Customer
from loyalty import services
from loyalty.models import Purchase, Refund
from loyalty.tests.helpers import balance, bonus

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(client, cashier_user):
    client.force_login(cashier_user)
    return client


class TestSearch:
    def test_search_field_is_focused_on_load(self, till):
        page = till.get("/cashier/").content.decode()
        assert 'name="q"' in page and "autofocus" in page

    @pytest.mark.parametrize("query", ["8 (912) 345 67 89", "+7 912 345-67-89", "89123456789"])
    def test_one_match_opens_the_card(self, till, customer, query):
        response = till.post("/cashier/", {"q": query})
        assert response.status_code == 302 and response.url == f"/cashier/customer/{customer.pk}/"

    def test_scanned_card_number_opens_the_card(self, till, customer):
        response = till.post("/cashier/", {"q": customer.card_number})
        assert response.url == f"/cashier/customer/{customer.pk}/"

    def test_several_matches_show_a_pick_list_with_masked_phones(self, till, customer, customer_factory):
        other = customer_factory(name="Anna Sidorova", phone="+79001112233")
        page = till.post("/cashier/", {"q": "anna"}).content.decode()
        assert "Anna Petrova" in page and "Anna Sidorova" in page
        assert "+7 900 ***-**-33" in page and "+79001112233" not in page
        assert f"/cashier/customer/{other.pk}/" in page

    def test_no_match_offers_enrolment_with_the_phone_prefilled(self, till, program):
        page = till.post("/cashier/", {"q": "8 999 111 22 33"}).content.decode()
        assert "No customer matches" in page
        assert 'href="/cashier/enrol/?from=search"' in page  # no phone in the link
        form = till.get("/cashier/enrol/?from=search").content.decode()
        assert 'value="+79991112233"' in form  # the searched phone arrives intact, "+" included

    def test_a_phone_never_travels_in_a_url(self, till, customer):
        """Access logs and browser history hold URLs: the search is POSTed and a match opens /customer/<id>/."""
        response = till.post("/cashier/", {"q": "+7 912 345-67-89"})
        assert response.status_code == 302 and response.url == f"/cashier/customer/{customer.pk}/"
        page = till.get("/cashier/", {"q": "+7 912 345-67-89"}).content.decode()  # an old bookmark
        assert "Anna Petrova" not in page and 'method="post"' in page

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("", "Type a phone number, a card number, an email or at least two letters of a name."),
            ("   ", "Type a phone number, a card number, an email or at least two letters of a name."),
            ("a", "“a” is too short: type at least two letters of the name."),
            ("567", "“567” is too short: type at least the last 4 digits of the phone."),
        ],
    )
    def test_empty_or_too_short_search_says_what_to_type(self, till, program, query, message):
        page = till.post("/cashier/", {"q": query}).content.decode()
        assert message in page.replace("&ldquo;", "“").replace("&rdquo;", "”")
        assert "No customer matches" not in page and "?from=search" not in page  # no enrolment offered


class TestNonAsciiDigits:
    """ "²".isdigit() is True but int("²") raises: the till says nobody matches, never a server error."""

    @pytest.mark.parametrize("query", ["²²²²", "#²", "٤٥٦٧", "²700000000000"])
    def test_search_with_non_ascii_digits(self, till, program, customer_factory, query):
        customer_factory(name="Anna Petrova", phone="+7 912 100-45-67")
        response = till.post("/cashier/", {"q": query})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Anna Petrova" not in page


class TestSearchLikeATill:
    """Issue #12: the last digits of a phone, the surname first, ё = е; several matches make a pick list."""

    @pytest.fixture
    def people(self, program, customer_factory):
        return {
            "valeria": customer_factory(name="Валерия Степанова", phone="+7 912 100-45-67"),
            "alena": customer_factory(name="Алёна Семёнова", phone="+7 912 200-45-67"),
            "olga": customer_factory(name="Ольга Семенова", phone="+7 912 300-11-22"),
        }

    def test_last_four_digits_show_a_pick_list_with_masked_phones(self, till, people):
        response = till.post("/cashier/", {"q": "4567"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "2 customers match “4567”: pick one." in page
        assert "Алёна Семёнова" in page and "Валерия Степанова" in page and "Ольга" not in page
        assert "+7 912 ***-**-67" in page and "+79122004567" not in page and "200-45-67" not in page
        assert page.index("Алёна Семёнова") < page.index("Валерия Степанова")  # by name
        assert f"/cashier/customer/{people['alena'].pk}/" in page

    @pytest.mark.parametrize("query", ["Степанова Валерия", "валерия степанова", "1004567", "Степанова 4567"])
    def test_one_match_by_name_or_phone_ending_opens_the_card(self, till, people, query):
        response = till.post("/cashier/", {"q": query})
        assert response.status_code == 302 and response.url == f"/cashier/customer/{people['valeria'].pk}/"

    def test_e_finds_yo_and_yo_finds_e(self, till, people):
        for query in ("Семенова", "семёнова"):
            page = till.post("/cashier/", {"q": query}).content.decode()
            assert "2 customers match" in page and "Алёна Семёнова" in page and "Ольга Семенова" in page
        response = till.post("/cashier/", {"q": "Семенова Алена"})
        assert response.url == f"/cashier/customer/{people['alena'].pk}/"
        response = till.post("/cashier/", {"q": "Семёнова Ольга"})
        assert response.url == f"/cashier/customer/{people['olga'].pk}/"

    def test_more_matches_than_fit_say_how_to_narrow_them_down(self, till, program, customer_factory):
        for n in range(21):
            customer_factory(name=f"Ирина Петрова {n:02d}", phone=f"+7 912 5{n:02d}-77-77")
        page = till.post("/cashier/", {"q": "7777"}).content.decode()
        assert "More customers match “7777” than fit here; 20 of them are below." in page
        assert page.count("Ирина Петрова") == 20
        last = Customer.objects.get(name="Ирина Петрова 20")
        response = till.post("/cashier/", {"q": "петрова 520-77-77"})
        assert response.url == f"/cashier/customer/{last.pk}/"

    def test_in_russian(self, till, people):
        till.cookies["django_language"] = "ru"
        page = till.post("/cashier/", {"q": "семенова"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert "2 клиента подходят под «семенова»: выберите нужного." in page
        assert "Алёна Семёнова" in page and "Ольга Семенова" in page
        page = till.post("/cashier/", {"q": "567"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert "«567» — слишком коротко: введите хотя бы 4 последние цифры телефона." in page


class TestCard:
    def test_card_shows_balance_tier_progress_burns_and_last_purchases(self, till, customer, program):
        services.purchase_record(customer_id=customer.pk, amount="13500.00", external_id="R-1")
        services.points_award(customer_id=customer.pk, points=300, reason="Welcome bonus", use_lifetime=False)
        page = till.get(f"/cashier/customer/{customer.pk}/").content.decode()
        assert "Anna Petrova" in page and "+7 912 ***-**-89" in page and customer.card_number in page
        assert 'id="balance">975<' in page
        assert "Spend 1,500.00\u00a0₽ more to reach Silver" in page
        assert "Welcome bonus: 300 points" in page
        assert "675 points burn on" in page
        assert "R-1" in page

    def test_a_bonus_shows_the_last_day_it_can_be_spent(self, till, customer, program):
        """A bonus burning at the shop's midnight starting 25 March 2030 can pay through 24 March; one
        burning at 15:00 on 25 March through the 25th; a bonus that never burns shows no date."""
        from loyalty.rules import local_midnight

        burns = local_midnight(dt.date(2030, 3, 25))
        first = services.points_award(customer_id=customer.pk, points=300, reason="Spring", expires_at=burns)
        later = services.points_award(
            customer_id=customer.pk, points=40, reason="Later", expires_at=burns + dt.timedelta(hours=15)
        )
        services.points_award(customer_id=customer.pk, points=20, reason="Forever", use_lifetime=False)
        page = till.get(f"/cashier/customer/{customer.pk}/").content.decode()
        assert f'data-bonus="{first.lot.pk}">Spring: 300 points — valid through 24 Mar 2030<' in page
        assert f'data-bonus="{later.lot.pk}">Later: 40 points — valid through 25 Mar 2030<' in page
        assert re.search(r">Forever: 20 points</li>", page)
        assert "until" not in page

    def test_a_referral_bonus_reads_in_the_readers_language(self, till, customer, program):
        """The demo data's referral bonus, written in English, reads in Russian on the Russian till; a text
        a person wrote under the same source stays as written."""
        from django.utils import translation

        from loyalty.reasons import referral_reason

        with translation.override("en"):
            services.points_award(customer_id=customer.pk, points=300, reason=referral_reason(), source="referral")
        services.points_award(customer_id=customer.pk, points=5, reason="Thanks for Bob", source="referral")
        till.cookies["django_language"] = "ru"
        page = till.get(f"/cashier/customer/{customer.pk}/").content.decode()
        assert "Бонус за приглашение: приглашённый вами друг совершил первую покупку" in page
        assert "Referral bonus" not in page and "Thanks for Bob" in page

    def test_pending_points_are_shown_apart(self, till, customer, program):
        program.activation_delay_days = 14
        program.save()
        services.purchase_record(customer_id=customer.pk, amount="1000.00")
        page = till.get(f"/cashier/customer/{customer.pk}/").content.decode()
        assert 'id="available">0<' in page and 'id="pending">50<' in page

    def test_unknown_customer_is_404(self, till, program):
        assert till.get("/cashier/customer/999999/").status_code == 404


class TestQuote:
    def test_quote_shows_the_maximum_while_typing(self, till, customer, program):
        services.points_award(customer_id=customer.pk, points=1000, reason="gift")
        page = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": "1000"}).content.decode()
        assert 'max="300"' in page and 'id="max-redeem">300<' in page
        assert "earns 50 points" in page
        page = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": "200"}).content.decode()
        assert 'max="60"' in page

    @pytest.mark.parametrize("amount", ["", "-5", "abc"])
    def test_quote_without_a_valid_amount_asks_for_it(self, till, customer, amount):
        page = till.get(f"/cashier/customer/{customer.pk}/quote/", {"amount": amount}).content.decode()
        assert "Type the amount" in page


class TestPurchase:
    def post(self, till, customer, **data):
        payload = {"amount": "1000.00", "redeem_points": "0", "external_id": "", "idempotency_key": "k-1"} | data
        return till.post(f"/cashier/customer/{customer.pk}/purchase/", payload)

    def test_purchase_with_maximum_redemption_shows_the_receipt(self, till, customer, cashier_user):
        services.points_award(customer_id=customer.pk, points=1000, reason="gift")
        response = self.post(till, customer, redeem_points="300")
        purchase = Purchase.objects.get()
        assert response.url == f"/cashier/purchase/{purchase.pk}/"
        assert purchase.created_by == cashier_user and purchase.origin == "cashier"
        page = till.get(response.url).content.decode()
        assert 'id="paid">700.00\u00a0₽<' in page
        assert 'id="points-spent">300<' in page and 'id="points-earned">+35<' in page
        assert 'id="new-balance">735<' in page

    @pytest.mark.parametrize("redeem", ["9" * 30, "9223372036854775807", "1000000000000001"])
    def test_a_huge_points_value_says_it_is_too_large(self, till, customer, redeem):
        response = self.post(till, customer, redeem_points=redeem)
        assert response.status_code == 400
        page = response.content.decode()
        assert "Points value is too large." in page and "9 223" not in page and "9,223" not in page
        assert not Purchase.objects.exists()

    def test_double_submit_records_once(self, till, customer):
        first = self.post(till, customer)
        second = self.post(till, customer)
        assert first.url == second.url
        assert Purchase.objects.count() == 1
        assert balance(customer) == 50

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("-100", "Ensure this value is greater than or equal to 0.01."),
            ("abc", "Enter a number."),
            ("1e12", "Enter a number."),
            ("1 000 000 000 000", "Amount is too large."),
            ("12345678901234567890", "Amount is too large."),
            ("12 34", "Enter a number."),
            ("999.999", "Ensure that there are no more than 2 decimal places."),
        ],
    )
    def test_bad_amount_is_refused_on_the_page(self, till, customer, amount, message):
        response = self.post(till, customer, amount=amount)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert Purchase.objects.count() == 0

    def test_tampered_redemption_above_the_maximum_is_refused(self, till, customer):
        services.points_award(customer_id=customer.pk, points=1000, reason="gift")
        response = self.post(till, customer, redeem_points="301")
        assert response.status_code == 400
        assert "at most 300 can be redeemed" in response.content.decode()
        assert Purchase.objects.count() == 0 and balance(customer) == 1000

    def test_negative_points_are_refused(self, till, customer):
        response = self.post(till, customer, redeem_points="-5")
        assert response.status_code == 400 and Purchase.objects.count() == 0


class TestRefund:
    def test_refund_part_then_the_rest_then_too_much(self, till, customer, cashier_user, purchase_factory):
        purchase = purchase_factory(customer=customer, amount="1000.00", external_id="R-9")
        url = f"/cashier/purchase/{purchase.pk}/refund/"
        response = till.post(url, {"amount": "400.00", "scope": "amount", "idempotency_key": "r-1"}, follow=True)
        page = response.content.decode()
        assert "Refunded 400.00\u00a0₽. Hand back 400.00\u00a0₽ in money." in page
        assert "20 earned points taken back. Balance now 30." in page
        assert Refund.objects.get().created_by == cashier_user
        too_much = till.post(url, {"amount": "600.01", "scope": "amount", "idempotency_key": "r-2"})
        assert too_much.status_code == 400
        assert "only 600.00\u00a0₽ of this purchase remains to refund" in too_much.content.decode()
        empty = till.post(url, {"amount": "", "scope": "amount", "idempotency_key": "r-3"})
        assert empty.status_code == 400
        assert "Enter the amount to refund, or choose “Refund the rest”." in empty.content.decode()
        assert Refund.objects.count() == 1 and balance(customer) == 30
        page = till.get(f"/cashier/purchase/{purchase.pk}/").content.decode()
        assert "Refund the rest (600.00\u00a0₽)" in page
        till.post(url, {"amount": "5", "scope": "rest", "idempotency_key": "r-4"})
        assert balance(customer) == 0
        assert "fully refunded" in till.get(f"/cashier/purchase/{purchase.pk}/").content.decode()
        assert list(Refund.objects.order_by("pk").values_list("amount", flat=True)) == [
            Decimal("400.00"),
            Decimal("600.00"),
        ]

    def test_a_refund_of_a_purchase_paid_partly_with_points_says_how_much_money_to_hand_back(
        self, till, customer, purchase_factory
    ):
        """1 000 ₽ paid with 300 points (1 point = 1 ₽) and 700 ₽: refunding 500 ₽ returns floor(300 × 0.5) = 150
        points and hands back 500 − 150 = 350 ₽; the rest returns 150 points and 350 ₽, 700 ₽ in all."""
        bonus(customer, 300, now=timezone.now() - dt.timedelta(minutes=1))
        purchase = purchase_factory(customer=customer, amount="1000.00", redeem_points=300)
        assert purchase.paid_amount == Decimal("700.00")
        url = f"/cashier/purchase/{purchase.pk}/refund/"
        page = till.post(url, {"amount": "500", "scope": "amount", "idempotency_key": "m-1"}, follow=True)
        assert (
            "Refunded 500.00\u00a0₽. Hand back 350.00\u00a0₽ in money. "
            "150 points paid for 150.00\u00a0₽ go back to the card."
        ) in page.content.decode()
        page = till.post(url, {"scope": "rest", "idempotency_key": "m-2"}, follow=True).content.decode()
        assert "Hand back 350.00\u00a0₽ in money." in page
        assert page.count("350.00\u00a0₽</td>") == 2  # the refunds table's "Money back" column

    def test_find_purchase_by_receipt_number(self, till, customer, purchase_factory):
        purchase = purchase_factory(customer=customer, amount="100.00", external_id="R-77")
        assert till.get("/cashier/receipt/", {"receipt": "R-77"}).url == f"/cashier/purchase/{purchase.pk}/"
        assert till.get("/cashier/receipt/", {"receipt": " r-77 "}).url == f"/cashier/purchase/{purchase.pk}/"
        assert till.get("/cashier/receipt/", {"receipt": f"#{purchase.pk}"}).url == f"/cashier/purchase/{purchase.pk}/"
        assert "No purchase with receipt number" in till.get("/cashier/receipt/", {"receipt": "nope"}).content.decode()


class TestEnrol:
    def test_quick_enrolment_opens_the_card_with_its_number(self, till, program, cashier_user):
        response = till.post(
            "/cashier/enrol/",
            {"phone": "8 (912) 000-11-22", "name": "Oleg", "idempotency_key": "e-1", "consent_sms": "on"},
            follow=True,
        )
        customer = Customer.objects.get()
        assert customer.phone == "+79120001122" and customer.consent_sms
        assert f"Oleg is enrolled. Card number: {customer.card_number}" in response.content.decode()
        assert AuditEntry.objects.get(action="customer.enrol").actor == cashier_user

    @pytest.mark.parametrize("shop_language", ["en", "ru"])
    def test_the_language_select_offers_both_with_the_shops_chosen(self, till, program, settings, shop_language):
        settings.LANGUAGE_CODE = shop_language
        till.cookies["django_language"] = "en"  # the cashier reads English whatever the shop's language
        page = till.get("/cashier/enrol/").content.decode()
        select = page[page.index('id="id_language"') :]
        options = re.findall(r'<option value="(\w+)"( selected)?>', select[: select.index("</select>")])
        assert options == [(code, " selected" if code == shop_language else "") for code in ("en", "ru")]

    def test_the_customer_is_enrolled_in_the_language_chosen(self, till, program, settings):
        settings.LANGUAGE_CODE = "en"
        body = {"phone": "+7 912 000-11-22", "name": "Ольга", "language": "ru", "idempotency_key": "e-3"}
        response = till.post("/cashier/enrol/", body, follow=True)
        assert "Ольга is enrolled." in response.content.decode()
        assert Customer.objects.get().language == "ru"

    def test_without_a_language_the_customer_gets_the_shops(self, till, program, settings):
        settings.LANGUAGE_CODE = "ru"
        till.post("/cashier/enrol/", {"phone": "+7 912 000-11-22", "name": "Oleg", "idempotency_key": "e-4"})
        assert Customer.objects.get().language == "ru"

    @pytest.mark.parametrize("language", ["de", "russian", "RU"])
    def test_a_language_not_offered_is_refused_with_the_reason_and_enrols_nobody(self, till, program, language):
        body = {"phone": "+7 912 000-11-22", "name": "Oleg", "language": language, "idempotency_key": "e-5"}
        response = till.post("/cashier/enrol/", body)
        assert response.status_code == 400
        assert f"Select a valid choice. {language} is not one of the available choices." in response.content.decode()
        assert not Customer.objects.exists()

    def test_duplicate_phone_is_refused_on_the_form(self, till, customer):
        response = till.post("/cashier/enrol/", {"phone": "+7 912 345 67 89", "name": "X", "idempotency_key": "e-2"})
        assert response.status_code == 400
        assert "A customer with phone +79123456789 already exists." in response.content.decode()
        assert Customer.objects.count() == 1

    def test_prefilled_phone_comes_from_the_search_not_the_url(self, till, program):
        till.post("/cashier/", {"q": "+375 29 123-45-67"})  # nobody has it
        page = till.get("/cashier/enrol/", {"from": "search"}).content.decode()
        assert 'value="+375291234567"' in page
        assert 'value="+79991112233"' not in till.get("/cashier/enrol/", {"phone": "+79991112233"}).content.decode()


@pytest.mark.parametrize(
    "url",
    ["/cashier/", "/cashier/enrol/", "/cashier/receipt/?receipt=1", "/cashier/customer/1/", "/cashier/purchase/1/"],
)
def test_marketing_without_cashier_role_is_refused_and_anonymous_sent_to_login(client, marketing_user, url):
    assert client.get(url).status_code == 302
    client.force_login(marketing_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/tiers/", "/admin/"])
def test_cashier_cannot_open_the_back_office(till, url):
    response = till.get(url)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response.url  # the admin's own login: cashiers are not staff


@pytest.mark.parametrize("length", [65, 100, 5000])
def test_a_key_field_longer_than_its_bound_is_refused_and_records_nothing(till, customer, length):
    """Hidden idempotency keys are bounded (issue #11: a 100-character key gave a 500)."""
    from loyalty.models import Purchase

    response = till.post(
        f"/cashier/customer/{customer.pk}/purchase/",
        {"amount": "100.00", "redeem_points": "0", "idempotency_key": "k" * length},
    )
    assert response.status_code == 400
    assert not Purchase.objects.exists()
    enrol = till.post(
        "/cashier/enrol/", {"name": "Boris", "phone": "+7 900 111-22-33", "idempotency_key": "k" * length}
    )
    assert enrol.status_code == 400
