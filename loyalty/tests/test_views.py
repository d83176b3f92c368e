import pytest
from django.urls import reverse

from loyalty import services

pytestmark = pytest.mark.django_db


def test_login_page_has_csrf_and_logs_in(client, marketing_user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    response = client.post("/accounts/login/", {"username": "marketing", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response.url == "/"


def test_wrong_password_says_so(client, marketing_user):
    response = client.post("/accounts/login/", {"username": "marketing", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_marketing_sees_the_overview_not_the_admin(client, marketing_user, customer):
    services.purchase_record(customer_id=customer.pk, amount="1000.00")
    client.force_login(marketing_user)
    page = client.get("/").content.decode()
    assert "Program overview" in page
    assert 'data-testid="members">1<' in page
    assert "50" in page  # points outstanding
    assert "Django admin" not in page
    assert client.get("/admin/").status_code == 302  # not staff: the admin sends them to its login


def test_cashier_sees_search_only_and_finds_by_phone_in_another_format(client, cashier_user, customer):
    services.purchase_record(customer_id=customer.pk, amount="1000.00")
    client.force_login(cashier_user)
    page = client.get("/", {"q": "8 (912) 345 67 89"}).content.decode()
    assert "Program overview" not in page
    assert "Anna Petrova" in page
    assert "+7 912 ***-**-89" in page
    assert "+79123456789" not in page  # the full phone is not shown at the till


def test_cashier_search_for_nobody_says_so(client, cashier_user, customer):
    client.force_login(cashier_user)
    page = client.get("/", {"q": "Zzyzx"}).content.decode()
    assert "No customer matches “Zzyzx”." in page


def test_superuser_sees_everything_including_admin(client, superuser):
    client.force_login(superuser)
    page = client.get("/").content.decode()
    assert "Program overview" in page and "Find a customer" in page and "Django admin" in page
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/loyalty/ledgerentry/").status_code == 200


def test_logout_needs_post(client, marketing_user):
    client.force_login(marketing_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_user_without_a_role_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-pw-123456")
    client.force_login(user)
    assert "no role in the program" in client.get("/").content.decode()


def test_russian_interface(client, marketing_user):
    client.force_login(marketing_user)
    client.cookies.load({"django_language": "ru"})
    page = client.get("/").content.decode()
    assert "Обзор программы" in page


def test_cashier_search_shows_tier_and_what_is_left_to_the_next(client, cashier_user, customer):
    services.purchase_record(customer_id=customer.pk, amount="13500.00")
    client.force_login(cashier_user)
    page = client.get("/", {"q": customer.card_number}).content.decode()
    assert "Bronze" in page
    assert "Spend 1,500.00\u00a0₽ more to reach Silver" in page
