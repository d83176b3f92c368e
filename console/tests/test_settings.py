"""The settings page (console.views.settings): a live preview, saving audited, invalid values refused."""

from decimal import Decimal as D

import pytest

from core.models import AuditEntry
from loyalty.models import ProgramSettings
from loyalty.tests.helpers import SETTINGS_FORM

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]


class TestSettings:
    def test_page_shows_the_preview_of_the_stored_rules(self, console):
        page = console.get("/settings/").content.decode()
        assert "A 1,000.00\u00a0₽ purchase earns 50 points;" in page
        assert "up to 300.00\u00a0₽ of it can be paid in points;" in page
        assert "points expire after 365 days." in page
        assert "csrfmiddlewaretoken" in page

    def test_preview_follows_the_typed_values_without_saving(self, console):
        page = console.get(
            "/settings/preview/", SETTINGS_FORM | {"base_cashback_percent": "7.5", "points_lifetime_days": ""}
        ).content.decode()
        assert "earns 75 points" in page and "points never expire." in page
        assert ProgramSettings.objects.get().base_cashback_percent == D("5.00")

    def test_preview_of_invalid_values_asks_to_fix_them(self, console):
        page = console.get("/settings/preview/", SETTINGS_FORM | {"redeem_cap_percent": "0"}).content.decode()
        assert "Fix the highlighted values" in page

    def test_save_applies_and_audits_old_and_new(self, console, marketing_user):
        response = console.post(
            "/settings/", SETTINGS_FORM | {"base_cashback_percent": "7", "activation_delay_days": "14"}
        )
        assert response.status_code == 302
        program = ProgramSettings.objects.get()
        assert (program.base_cashback_percent, program.activation_delay_days) == (D("7.00"), 14)
        entry = AuditEntry.objects.get(action="settings.update")
        assert entry.actor == marketing_user
        assert entry.changes["base_cashback_percent"] == ["5.00", "7.00"]
        assert entry.changes["activation_delay_days"] == [0, 14]  # day counts stored as numbers

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("base_cashback_percent", "101", "Ensure this value is less than or equal to 100."),
            ("base_cashback_percent", "-1", "Ensure this value is greater than or equal to 0."),
            ("redeem_cap_percent", "0", "Ensure this value is greater than or equal to 0.01."),
            ("point_value", "0", "Ensure this value is greater than or equal to 0.01."),
            ("point_value", "abc", "Enter a number."),
            ("points_lifetime_days", "0", "Ensure this value is greater than or equal to 1."),
        ],
    )
    def test_invalid_values_say_why_and_change_nothing(self, console, field, value, message):
        response = console.post("/settings/", SETTINGS_FORM | {field: value})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert ProgramSettings.objects.get().base_cashback_percent == D("5.00")
        assert not AuditEntry.objects.filter(action="settings.update").exists()
