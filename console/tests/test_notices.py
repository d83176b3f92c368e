"""The built-in notices page (/messages/notices/, issue #14): Marketing switches a notice on or off and sets
its channels and numbers; each change is audited; bad input is a 400 with the reason and changes nothing."""

import html
import re

import pytest
from django.urls import reverse

from core.models import AuditEntry
from messaging.selectors import notice_settings
from messaging.services import template_save
from messaging.services.notices import notice_setting_update

pytestmark = [pytest.mark.django_db]

URL = "/messages/notices/"


def text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_the_url_name():
    assert reverse("console:message_notices") == URL


def test_marketing_sees_every_notice(client, marketing_user):
    client.force_login(marketing_user)
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response.content.decode())
    for label in ("Points earned", "Points about to burn", "Tier upgrade", "Tier at risk", "Balance reminder"):
        assert label in page
    assert 'name="points_burning-days_before" value="7"' in response.content.decode()
    assert 'name="balance_reminder-idle_days" value="60"' in response.content.decode()


def test_a_cashier_is_refused_and_a_stranger_sent_to_log_in(client, cashier_user):
    assert client.get(URL).status_code == 302
    client.force_login(cashier_user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"kind": "points_burning"}).status_code == 403


def test_switching_a_notice_on_with_its_numbers_is_saved_and_audited(client, marketing_user):
    client.force_login(marketing_user)
    response = client.post(URL, {
        "kind": "balance_reminder", "balance_reminder-enabled": "on", "balance_reminder-channel_1": "email",
        "balance_reminder-channel_2": "sms", "balance_reminder-channel_3": "",
        "balance_reminder-idle_days": "90", "balance_reminder-min_balance": "1 000",
    })  # fmt: skip
    assert response.status_code == 302
    row = notice_settings()["balance_reminder"]
    assert (row.enabled, row.channels, row.idle_days, row.min_balance) == (True, ["email", "sms"], 90, 1000)
    entry = AuditEntry.objects.get(action="notice_setting.update")
    assert entry.actor == marketing_user
    assert entry.changes["idle_days"] == [60, 90]
    assert "Notice “Balance reminder” saved." in text(client.get(URL).content.decode())


def test_a_bad_value_is_a_400_with_the_reason_and_changes_nothing(client, marketing_user):
    client.force_login(marketing_user)
    for data, reason in (
        ({"points_burning-days_before": "0"}, "Enter a number of days from 1 to 3,650."),
        ({"points_burning-days_before": "abc"}, "Enter a whole number."),
        ({"points_burning-channel_2": "sms"}, "Choose each channel once."),
        ({"points_burning-channel_1": "fax"}, "Select a valid choice."),
    ):
        post = {"kind": "points_burning", "points_burning-channel_1": "sms", "points_burning-days_before": "7",
                **data}  # fmt: skip
        response = client.post(URL, post)
        assert response.status_code == 400, data
        assert reason in text(response.content.decode()), data
    row = notice_settings()["points_burning"]
    assert (row.enabled, row.channels, row.days_before) == (True, ["sms", "email"], 7)
    assert not AuditEntry.objects.filter(action="notice_setting.update").exists()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        # one more than the column holds, and more than any key: both were 500s; both name the column's limit
        ("2147483648", "Ensure this value is less than or equal to 2,147,483,647."),
        ("99999999999999999999", "Ensure this value is less than or equal to 2,147,483,647."),
    ],
)
def test_a_huge_minimum_balance_is_a_400_not_a_500(client, marketing_user, value, reason):
    client.force_login(marketing_user)
    post = {"kind": "balance_reminder", "balance_reminder-channel_1": "sms", "balance_reminder-idle_days": "60",
            "balance_reminder-min_balance": value}  # fmt: skip
    response = client.post(URL, post)
    assert response.status_code == 400
    assert reason in text(response.content.decode())
    assert notice_settings()["balance_reminder"].min_balance == 100


def test_an_unknown_notice_is_a_400(client, marketing_user):
    client.force_login(marketing_user)
    assert client.post(URL, {"kind": "lottery"}).status_code == 400


def test_a_notice_on_without_any_template_is_flagged_with_a_link_to_the_editor(client, marketing_user):
    """Issue #14 (tester): a notice switched on with no template on any of its channels sends nothing, and
    the page said nothing about it. A template on one of its channels (any language) clears the flag."""
    client.force_login(marketing_user)
    notice_setting_update(kind="points_burning", enabled=True, channels=["sms", "email"], actor=marketing_user)
    notice_setting_update(kind="tier_upgrade", enabled=False, channels=["email"], actor=marketing_user)
    page = client.get(URL).content.decode()
    flagged = re.findall(r'id="notice-(\w+)-no-template">(.*?)</div>', page, flags=re.S)
    # points_earned is on from the start (the defaults), and has no template either.
    assert [kind for kind, _flag in flagged] == ["points_earned", "points_burning"]
    assert "On, but no template: nothing is sent." in text(flagged[1][1])
    assert 'href="/messages/templates/points_burning/sms/en/"' in flagged[1][1]
    template_save(kind="points_burning", channel="email", language="ru", body="{points}", actor=marketing_user)
    page = client.get(URL).content.decode()
    assert re.findall(r'id="notice-(\w+)-no-template"', page) == ["points_earned"]
