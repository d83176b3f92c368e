"""Django admin in the shop's language: every app, model and column a superuser sees in Russian is named
in Russian (issue #12), third-party apps included."""

import re

import pytest
from django.contrib import admin

from customers.services import customer_enrol
from loyalty import services

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яё]", re.I)
# Names that stay as they are in Russian: proper names and abbreviations.
SAME_IN_RUSSIAN = {"REST API", "ID", "SKU", "Email"}
# What the Russian admin index used to show in English.
ENGLISH_NAMES = ["Lot debits", "Jobs", "JOBS", "Axes", "Points lots", "Tier changes", "Customers", "Purchases"]


@pytest.fixture
def russian_admin(client, superuser):
    client.force_login(superuser)
    client.cookies["django_language"] = "ru"
    return client


def test_the_admin_index_names_every_app_and_model_in_russian(russian_admin):
    page = russian_admin.get("/admin/").content.decode()
    apps = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    models = re.findall(r'<th scope="row" id="[^"]+">\s*<a [^>]*>([^<]+)</a>', page)
    assert len(apps) >= 7 and len(models) >= 20  # the page was read, not an error or a login form
    assert {"Фоновые задачи", "Защита входа", "Программа лояльности"} <= set(apps)
    assert {"Списания из партий баллов", "Партии баллов", "Смены уровней"} <= set(models)
    assert [name for name in apps + models if not CYRILLIC.search(name) and name not in SAME_IN_RUSSIAN] == []
    assert [name for name in ENGLISH_NAMES if name in page] == []


def test_the_admin_lists_label_their_columns_in_russian(russian_admin):
    """Every list of the project's own models, with rows in it, shows Russian column headers."""
    anna = customer_enrol(name="Anna Petrova", phone="+79123456789")
    services.purchase_record(customer_id=anna.pk, amount="2000.00")  # 100 points
    second = services.purchase_record(customer_id=anna.pk, amount="1000.00", redeem_points=100)  # a lot debit
    services.purchase_refund(purchase_id=second.purchase.pk, amount="500.00")
    checked = {}
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in ("core", "customers", "loyalty", "api") or not model.objects.exists():
            continue
        page = russian_admin.get(f"/admin/{meta.app_label}/{meta.model_name}/").content.decode()
        thead = page.split('<table id="result_list">')[1].split("</thead>")[0]
        headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<div class="text">(.*?)</div>', thead)]
        checked[meta.label] = [h for h in headers if h and not CYRILLIC.search(h) and h not in SAME_IN_RUSSIAN]
    assert "loyalty.LotDebit" in checked and "loyalty.TierChange" in checked and "loyalty.Refund" in checked
    assert {label: english for label, english in checked.items() if english} == {}
    lot_debits = russian_admin.get("/admin/loyalty/lotdebit/").content.decode()
    assert "Операция по счёту баллов" in lot_debits and "Списано баллов" in lot_debits
