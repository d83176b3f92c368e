"""The audit log page (console.views.audit): lists and filters changes, names actions in words."""

import re

import pytest

from loyalty import services
from loyalty.tests.helpers import SETTINGS_FORM

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]


class TestAudit:
    def test_lists_and_filters_changes(self, console, customer, marketing_user):
        console.post("/settings/", SETTINGS_FORM | {"base_cashback_percent": "6"})
        page = console.get("/audit/").content.decode()
        assert "settings.update" in page and "customer.enrol" in page
        assert "5.00 → 6.00" in page
        services.points_adjust(customer_id=customer.pk, points=10, reason="Gift card", actor=marketing_user)
        page = console.get("/audit/", {"action": "points.adjust"}).content.decode()
        assert "<strong>reason</strong>: Gift card" in page  # a plain value, not “G → i”
        filtered = console.get("/audit/", {"action": "settings.update"}).content.decode()
        assert "settings.update" in filtered and "Enrolled Anna Petrova" not in filtered
        by_who = console.get("/audit/", {"actor": "marketing"}).content.decode()
        assert "Program settings changed" in by_who and "Enrolled Anna Petrova" not in by_who


def test_audit_actions_are_named_in_words_in_both_languages(client, marketing_user, customer):
    services.points_adjust(customer_id=customer.pk, points=10, reason="Gift card", actor=marketing_user)
    client.force_login(marketing_user)
    page = client.get("/audit/", {"action": "points.adjust"}).content.decode()
    assert "<td>Manual adjustment <code" in page and "<td>Customer enrolled <code" not in page
    client.cookies["django_language"] = "ru"
    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "<td>Ручная корректировка <code" in page and "<td>Клиент зарегистрирован <code" in page


def test_the_action_filter_offers_any_action_first_in_both_languages(console):
    def first_option(page: str) -> str:
        select = re.search(r'<select name="action".*?</select>', page, re.S).group(0)
        return re.findall(r"<option[^>]*>([^<]*)</option>", select)[0]

    assert first_option(console.get("/audit/").content.decode()) == "Any"
    console.cookies["django_language"] = "ru"
    assert first_option(console.get("/audit/").content.decode()) == "Любое"
