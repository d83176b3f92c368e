"""The overview at / (console.views.overview.home), where logging in lands: each role sees its own start."""

import pytest
from django.urls import reverse

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


def test_marketing_sees_the_overview_not_the_admin(client, marketing_user, customer, purchase_factory):
    purchase_factory(customer=customer, amount="1000.00")
    client.force_login(marketing_user)
    page = client.get("/").content.decode()
    assert "Program overview" in page
    assert 'data-testid="members">1<' in page
    assert 'data-testid="points-outstanding">50<' in page  # 5 % of 1 000
    # what each figure counts is said beside it (the dashboard's are as of its period's end, net of refunds)
    assert "Points outstanding now" in page and "The balances at this moment" in page
    assert "in checks" in page and "before refunds" in page
    assert "Django admin" not in page
    assert client.get("/admin/").status_code == 302  # not staff: the admin sends them to its login


def test_superuser_sees_everything_including_admin(client, superuser):
    client.force_login(superuser)
    page = client.get("/").content.decode()
    assert "Program overview" in page and "Till" in page and "Django admin" in page
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/loyalty/ledgerentry/").status_code == 200


def test_logout_needs_post(client, marketing_user):
    client.force_login(marketing_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_user_without_a_role_is_told_so(client, user_factory):
    user = user_factory(username="nobody", password="x-pw-123456")
    client.force_login(user)
    assert "no role in the program" in client.get("/").content.decode()


def test_russian_interface(client, marketing_user):
    client.force_login(marketing_user)
    client.cookies.load({"django_language": "ru"})
    page = client.get("/").content.decode()
    assert "Обзор программы" in page


def test_cashier_home_goes_to_the_till(client, cashier_user):
    client.force_login(cashier_user)
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/cashier/"
