"""Every back-office URL, requested as anonymous, cashier, marketing and superuser."""

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "login"
OK, FORBIDDEN = 200, 403

# url → expected status for (cashier, marketing, superuser); anonymous always goes to the login page.
MATRIX = {
    "/": (302, OK, OK),  # cashiers are sent on to the till
    "/settings/": (FORBIDDEN, OK, OK),
    "/settings/preview/": (FORBIDDEN, OK, OK),
    "/tiers/": (FORBIDDEN, OK, OK),
    "/customers/": (FORBIDDEN, OK, OK),
    "/customers/{customer}/": (FORBIDDEN, OK, OK),
    "/audit/": (FORBIDDEN, OK, OK),
    "/api-clients/": (FORBIDDEN, OK, OK),
    "/customers/import/": (FORBIDDEN, OK, OK),
    "/customers/import/sample.csv": (FORBIDDEN, OK, OK),
    "/cashier/": (OK, FORBIDDEN, OK),
    "/cashier/enrol/": (OK, FORBIDDEN, OK),
    "/cashier/customer/{customer}/": (OK, FORBIDDEN, OK),
    "/cashier/customer/{customer}/quote/?amount=100": (OK, FORBIDDEN, OK),
    "/cashier/purchase/{purchase}/": (OK, FORBIDDEN, OK),
}
ROLES = ("cashier_user", "marketing_user", "superuser")


@pytest.fixture
def objects(program, customer_factory, purchase_factory):
    customer = customer_factory(name="Matrix")
    purchase = purchase_factory(customer=customer, amount="100.00")
    return {"customer": customer.pk, "purchase": purchase.pk}


@pytest.mark.parametrize("url", MATRIX)
def test_anonymous_is_sent_to_login(client, objects, url):
    response = client.get(url.format(**objects))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("url", MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_roles(client, request, objects, url, role):
    client.force_login(request.getfixturevalue(role))
    expected = MATRIX[url][ROLES.index(role)]
    assert client.get(url.format(**objects)).status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_django_admin_is_for_superusers_only(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get("/admin/")
    assert response.status_code == (200 if role == "superuser" else 302)


def test_every_admin_list_opens_for_a_superuser(client, superuser, objects):
    from django.contrib import admin
    from django.urls import reverse

    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
