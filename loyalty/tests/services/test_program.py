"""Program settings (loyalty.services.program): changes audited with old and new values; values that would
break purchases refused, by the service, the database and the settings page.

The TestCase… classes are issue #9's hand-worked stories (their default settings: loyalty/tests/helpers.py).
"""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from loyalty import services
from loyalty.exceptions import InvalidInput
from loyalty.models import ProgramSettings
from loyalty.tests.helpers import SETTINGS_FORM, T, buy

pytestmark = pytest.mark.django_db


class TestProgramSettings:
    def test_change_is_audited_with_old_and_new_values(self, program, marketing_user):
        services.program_settings_update(
            actor=marketing_user, base_cashback_percent=D("7.5"), redeem_cap_percent=D("30")
        )
        entry = AuditEntry.objects.get(action="settings.update")
        assert entry.actor == marketing_user
        assert entry.changes == {"base_cashback_percent": ["5.00", "7.50"]}  # as stored; 30 == 30.00: no change

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("base_cashback_percent", D("101"), "less than or equal to 100"),
            ("redeem_cap_percent", D("0"), "greater than or equal to 0.01"),
            ("point_value", D("0"), "greater than or equal to 0.01"),
        ],
    )
    def test_invalid_values_are_refused_and_change_nothing(self, program, marketing_user, field, value, message):
        with pytest.raises(InvalidInput, match=message):
            services.program_settings_update(actor=marketing_user, **{field: value})
        program.refresh_from_db()
        assert (program.base_cashback_percent, program.redeem_cap_percent, program.point_value) == (
            D("5.00"),
            D("30.00"),
            D("1.00"),
        )
        assert not AuditEntry.objects.filter(action="settings.update").exists()


class TestCase9And13SettingsThatBreakPurchasesAreRefused:
    @pytest.mark.parametrize("lifetime", [10, 14])
    def test_lifetime_not_longer_than_the_activation_delay(self, program, marketing_user, lifetime):
        with pytest.raises(InvalidInput, match="must be longer than the activation delay") as exc:
            services.program_settings_update(
                actor=marketing_user, points_lifetime_days=lifetime, activation_delay_days=14
            )
        assert exc.value.field == "points_lifetime_days"
        assert ProgramSettings.objects.get().points_lifetime_days == 365

    @pytest.mark.parametrize(
        "field", ["points_lifetime_days", "activation_delay_days", "tier_window_days", "tier_grace_days"]
    )
    def test_day_counts_are_bounded_to_100_years(self, program, marketing_user, field, customer_factory):
        with pytest.raises(InvalidInput, match="less than or equal to 36500"):
            services.program_settings_update(actor=marketing_user, **{field: 3_000_000})
        buy(customer_factory(name="A"), "100.00", now=T)  # purchases still work

    def test_the_largest_bound_still_computes(self, program, marketing_user, customer_factory):
        services.program_settings_update(
            actor=marketing_user, points_lifetime_days=36500, activation_delay_days=36499, tier_window_days=36500
        )
        result = buy(customer_factory(name="A"), "1000.00", now=T)
        assert result.purchase.earned_points == 50

    def test_the_database_refuses_them_too(self, program):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramSettings.objects.filter(pk=1).update(tier_grace_days=3_000_000)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramSettings.objects.filter(pk=1).update(points_lifetime_days=5, activation_delay_days=5)

    def test_the_settings_page_shows_the_reason(self, client, marketing_user, program):
        client.force_login(marketing_user)
        response = client.post(
            "/settings/", SETTINGS_FORM | {"points_lifetime_days": "7", "activation_delay_days": "14"}
        )
        assert response.status_code == 400
        assert "must be longer than the activation delay" in response.content.decode()
        response = client.post("/settings/", SETTINGS_FORM | {"tier_grace_days": "3000000"})
        assert response.status_code == 400
        assert ProgramSettings.objects.get().tier_grace_days == 30
