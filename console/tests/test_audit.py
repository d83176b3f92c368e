"""The audit log page (console.views.audit) reads in words, in the reader's language (issue #12): actions by
name, changes as "label: old → new" with every value formatted by its kind, customers by name with a link,
summaries written for the reader (not in the language of whoever made the change), purchases and refunds
made at the till with the cashier who made them, filters by action and by customer; rows written before
all this stay readable."""

import datetime as dt
import html
import re
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import translation

from api.services import api_client_create, api_client_revoke, api_client_rotate
from core.audit import AuditAction
from core.models import AuditEntry
from customers.services import customer_erase, customer_update
from customers.tests.factories import CustomerFactory
from loyalty import services
from loyalty.models import Tier
from loyalty.tests.helpers import SETTINGS_FORM

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]

NBSP = "\u00a0"


def text(markup: str) -> str:
    """Markup as a reader sees it: tags dropped, entities decoded, runs of ordinary white space made one
    space (no-break spaces stay: they are part of the formatted numbers)."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def audit_text(client, language: str = "en", **query) -> str:
    """The text of the log's table (not of the filter form above it) in `language`, with `query` applied."""
    client.cookies["django_language"] = language
    response = client.get("/audit/", query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    return text(body[body.index("<table") : body.index("</table>")])


def rub(amount: str) -> str:
    return f"{amount}{NBSP}₽"


def ru_number(digits: str) -> str:
    """ "15 000,00" with the no-break space Russian formats group with."""
    return digits.replace(" ", NBSP)


def tier_rows() -> list[dict]:
    return [{f: getattr(t, f) for f in services.TIER_FIELDS} | {"id": t.pk} for t in Tier.objects.order_by("order")]


class TestActionNames:
    def test_actions_are_named_in_words_in_both_languages(self, console, customer, marketing_user):
        services.points_adjust(customer_id=customer.pk, points=10, reason="Gift card", actor=marketing_user)
        page = audit_text(console, action="points.adjust")
        assert "Manual adjustment" in page and "points.adjust" not in page
        assert "Customer enrolled" not in page
        page = audit_text(console, "ru")
        assert "Ручная корректировка" in page and "Клиент зарегистрирован" in page
        assert "points.adjust" not in page and "customer.enrol" not in page


class TestChangesInWords:
    def test_a_tier_threshold_change_shows_money_old_and_new(self, console, marketing_user):
        tiers = tier_rows()
        gold_perks = ", ".join(tiers[2]["perks"]) or "—"
        tiers[1]["threshold"] = D("20000.00")
        tiers[2]["perks"] = ["Free delivery", "Gift wrap"]
        services.tiers_save(tiers=tiers, actor=marketing_user)
        page = audit_text(console, action="tiers.update")
        assert f"Tiers changed: Gold, Silver Gold Perks: {gold_perks} → Free delivery, Gift wrap" in page
        assert f"Silver Threshold: {rub('15,000.00')} → {rub('20,000.00')}" in page
        page = audit_text(console, "ru", action="tiers.update")
        expected = f"Порог: {rub(ru_number('15 000,00'))} → {rub(ru_number('20 000,00'))}"
        assert "Изменены уровни: Gold, Silver" in page and expected in page

    def test_a_new_and_a_deleted_tier_show_their_values(self, console, marketing_user):
        tiers = tier_rows()
        tiers.append(
            {
                "name": "VIP",
                "code": "vip",
                "order": 4,
                "colour": "#000000",
                "threshold": D("150000"),
                "min_purchases": None,
                "cashback_percent": D("12.5"),
                "redeem_cap_percent": D("50"),
                "perks": ["Personal manager", "Free delivery"],
            }
        )
        services.tiers_save(tiers=tiers, actor=marketing_user)
        page = audit_text(console, action="tiers.update")
        assert f"VIP Tier: created Name: VIP Code: vip Order: 4 Colour: #000000 Threshold: {rub('150,000.00')}" in page
        assert f"Min. purchases: — Cashback: 12.5{NBSP}% Redemption cap: 50{NBSP}%" in page
        assert "Perks: Personal manager, Free delivery" in page
        services.tiers_save(tiers=tier_rows()[:3], actor=marketing_user)
        page = audit_text(console, "ru", action="tiers.update")
        assert "VIP Уровень: удалён Имя: VIP" in page and f"Кешбэк: 12,5{NBSP}%" in page

    def test_settings_changes_show_percentages_days_and_never(self, console):
        Tier.objects.filter(code="bronze").update(threshold=D("1000.00"))  # base rates apply to new customers
        form = SETTINGS_FORM | {"base_cashback_percent": "6", "points_lifetime_days": "", "activation_delay_days": "1"}
        assert console.post("/settings/", form).status_code == 302
        page = audit_text(console, action="settings.update")
        assert f"Base cashback: 5{NBSP}% → 6{NBSP}%" in page
        assert "Point lifetime: 365 days → points never expire" in page
        assert "Activation delay: 0 days → 1 day" in page
        assert "Program settings changed: Base cashback, Point lifetime, Activation delay" in page
        page = audit_text(console, "ru", action="settings.update")
        assert f"Базовый кешбэк: 5{NBSP}% → 6{NBSP}%" in page
        assert "Срок действия баллов: 365 дней → баллы не сгорают" in page
        assert "Отсрочка активации: 0 дней → 1 день" in page
        assert "Изменены настройки программы: Базовый кешбэк, Срок действия баллов, Отсрочка активации" in page

    def test_money_settings_show_the_currency(self, console, marketing_user):
        services.program_settings_update(actor=marketing_user, max_purchase_amount="2500000", point_value="0.5")
        page = audit_text(console, action="settings.update")
        assert f"Point value: {rub('1.00')} → {rub('0.50')}" in page
        assert f"Largest purchase accepted: {rub('10,000,000.00')} → {rub('2,500,000.00')}" in page
        page = audit_text(console, "ru", action="settings.update")
        assert f"Стоимость балла: {rub('1,00')} → {rub('0,50')}" in page

    def test_profile_changes_show_phones_dates_and_yes_no(self, console, customer, marketing_user):
        customer_update(
            customer=customer,
            actor=marketing_user,
            phone="89215267371",
            birthday=dt.date(1990, 5, 1),
            consent_email=True,
        )
        page = audit_text(console, action="customer.update")
        assert "Phone: +7 912 345-67-89 → +7 921 526-73-71" in page
        assert "Birthday: — → 1 May 1990" in page and "Email consent: No → Yes" in page
        assert "Changed Phone, Birthday, Email consent of Anna Petrova" in page
        page = audit_text(console, "ru", action="customer.update")
        assert "Телефон: +7 912 345-67-89 → +7 921 526-73-71" in page
        assert "День рождения: — → 1 мая 1990 г." in page and "Согласие на email-рассылку: Нет → Да" in page
        assert "Клиент Anna Petrova: изменены поля Телефон, День рождения, Согласие на email-рассылку" in page

    def test_an_adjustment_shows_signed_points_and_the_balance_before_and_after(
        self, console, customer, marketing_user
    ):
        services.points_adjust(customer_id=customer.pk, points=1500, reason="Gift card", actor=marketing_user)
        services.points_adjust(customer_id=customer.pk, points=-1, reason="Typo", actor=marketing_user)
        page = audit_text(console, action="points.adjust")
        assert "+1,500 points: Gift card Points: +1,500 Reason: Gift card Balance: 0 → 1,500" in page
        assert "−1 point: Typo Points: −1 Reason: Typo Balance: 1,500 → 1,499" in page
        page = audit_text(console, "ru", action="points.adjust")
        assert f"+1{NBSP}500 баллов: Gift card Баллы: +1{NBSP}500 Причина: Gift card" in page
        assert "−1 балл: Typo" in page and f"Баланс: 1{NBSP}500 → 1{NBSP}499" in page

    def test_api_clients_are_named_in_every_entry(self, console, marketing_user):
        created = api_client_create(name="Web shop", actor=marketing_user, origin="console")
        rotated = api_client_rotate(client_id=created.client.pk, actor=marketing_user, origin="console")
        api_client_revoke(client_id=created.client.pk, actor=marketing_user, origin="console")
        old, new = created.client.key_prefix, rotated.client.key_prefix
        page = audit_text(console, "ru")
        assert f"Отозван API-клиент Web shop (ключ {new}…)" in page
        assert f"Ключ: {old}… → {new}…" in page
        assert "Клиент API отозван" in page  # the action


class TestCustomers:
    def test_customers_are_named_with_a_link_to_their_page(self, console, customer, marketing_user):
        services.points_adjust(customer_id=customer.pk, points=10, reason="Gift card", actor=marketing_user)
        other = CustomerFactory(name="Boris Orlov")
        body = console.get("/audit/").content.decode()
        assert f'<a href="/customers/{customer.pk}/">Anna Petrova</a>' in body
        assert f'<a href="/customers/{other.pk}/">Boris Orlov</a>' in body
        adjustments = console.get("/audit/", {"action": "points.adjust"}).content.decode()
        assert f'<a href="/customers/{customer.pk}/">Anna Petrova</a>' in adjustments
        assert "Boris Orlov" not in adjustments

    def test_filter_by_customer_phone_card_or_name(self, console, customer, marketing_user):
        services.points_adjust(customer_id=customer.pk, points=10, reason="Gift card", actor=marketing_user)
        other = CustomerFactory(name="Boris Orlov")
        services.points_adjust(customer_id=other.pk, points=20, reason="Birthday", actor=marketing_user)
        for query in ("8 912 345 67 89", customer.card_number, "anna"):
            page = audit_text(console, customer=query)
            assert "Gift card" in page and "Enrolled Anna Petrova" in page, query
            assert "Birthday" not in page and "Boris Orlov" not in page, query
        assert "No entries match the filter." in audit_text(console, customer="Nobody at all")

    def test_filter_by_action_lists_translated_labels(self, console):
        body = console.get("/audit/").content.decode()
        assert '<option value="points.adjust">Manual adjustment</option>' in body
        assert '<option value="purchase.record">Purchase recorded</option>' in body
        console.cookies["django_language"] = "ru"
        body = console.get("/audit/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert '<option value="points.adjust">Ручная корректировка</option>' in body
        assert '<option value="" selected>Все действия</option>' in body

    def test_an_erased_customer_reads_as_erased_in_the_readers_language(self, console, customer, marketing_user):
        customer_update(customer=customer, actor=marketing_user, email="anna@example.com")
        customer_erase(customer=customer, actor=marketing_user, origin="console")
        page = audit_text(console, "ru", action="customer.update")
        assert "(персональные данные удалены)" in page and "Email: (удалено)" in page
        assert "anna@example.com" not in page and "Anna Petrova" not in page
        page = audit_text(console, action="customer.enrol")
        assert "(personal data erased)" in page and "Anna Petrova" not in page


class TestSummaryInTheReadersLanguage:
    def test_a_change_made_in_russian_reads_in_english_and_back(self, console, marketing_user):
        with translation.override("ru"):
            customer = CustomerFactory(name="Vera Sokolova", actor=marketing_user)
        stored = AuditEntry.objects.get(action="customer.enrol").summary
        assert stored.startswith("В программу добавлен клиент Vera Sokolova")  # written in the actor's language
        page = audit_text(console, action="customer.enrol")
        assert f"Enrolled Vera Sokolova, card {customer.card_number}" in page
        assert "В программу добавлен" not in page
        page = audit_text(console, "ru", action="customer.enrol")
        assert f"В программу добавлен клиент Vera Sokolova, карта {customer.card_number}" in page


class TestOldRows:
    """Rows written before the call sites stored JSON values and enough to describe them."""

    def test_old_rows_stay_readable(self, console, customer):
        old = [
            (
                AuditAction.SETTINGS_UPDATE,
                {"activation_delay_days": ["0", "14"], "base_cashback_percent": ["5.00", "7.00"]},
            ),
            (
                AuditAction.TIERS_UPDATE,
                {"Gold": {"min_purchases": ["None", "3"], "perks": ["[]", "['Gift wrap']"]}, "VIP": "created"},
            ),
            (AuditAction.POINTS_ADJUST, {"customer": customer.pk, "points": 10, "reason": "Gift", "balance_after": 10}),
            (AuditAction.CUSTOMER_UPDATE, {"consent_sms": ["False", "True"]}),
            (AuditAction.API_CLIENT_REVOKE, {}),
        ]
        for action, changes in old:
            AuditEntry.objects.create(
                action=action,
                object_type="customers.customer" if action == AuditAction.CUSTOMER_UPDATE else "",
                object_id=str(customer.pk) if action == AuditAction.CUSTOMER_UPDATE else "",
                summary=f"stored summary of {action}",
                changes=changes,
            )
        page = audit_text(console)
        assert "Activation delay: 0 days → 14 days" in page and f"Base cashback: 5{NBSP}% → 7{NBSP}%" in page
        assert "Gold Min. purchases: — → 3 Perks: — → Gift wrap VIP Tier: created" in page
        assert "+10 points: Gift" in page and "Balance after: 10" in page
        assert "SMS consent: No → Yes" in page and "Changed SMS consent of Anna Petrova" in page
        assert "stored summary of api_client.revoke" in page  # too little stored to write it again
        page = audit_text(console, "ru")
        assert "Отсрочка активации: 0 дней → 14 дней" in page and "Согласие на SMS-рассылку: Нет → Да" in page

    def test_an_import_row_reads_with_plurals(self, console):
        AuditEntry.objects.create(
            action=AuditAction.CUSTOMER_IMPORT,
            summary="stored",
            changes={"file": "base.csv", "rows": 1, "points": 2500, "customers_with_balance": 1, "job": 7},
        )
        page = audit_text(console, action="customer.import")
        assert "Imported 1 customer from base.csv" in page
        assert "File: base.csv Customers: 1 Opening points: 2,500 Customers with opening points: 1" in page
        page = audit_text(console, "ru", action="customer.import")
        assert "Загружен 1 клиент из файла base.csv" in page and f"Начальные баллы: 2{NBSP}500" in page


class TestTillPurchasesAndRefunds:
    def test_a_till_purchase_and_refund_are_in_the_log_with_the_cashier(self, console, customer, cashier_user):
        till = Client()  # another browser: the console client stays signed in as Marketing
        till.force_login(cashier_user)
        response = till.post(
            f"/cashier/customer/{customer.pk}/purchase/",
            {"amount": "1000.00", "redeem_points": "", "external_id": "R-1", "idempotency_key": "p-1"},
        )
        assert response.status_code == 302
        purchase = customer.purchases.get()
        refund = till.post(
            f"/cashier/purchase/{purchase.pk}/refund/", {"amount": "400", "scope": "amount", "idempotency_key": "r-1"}
        )
        assert refund.status_code == 302
        page = audit_text(console, action="purchase.record")
        assert f"cashier Till Purchase recorded Anna Petrova Purchase R-1 for {rub('1,000.00')}" in page
        assert f"Receipt: R-1 Amount: {rub('1,000.00')} Paid in money: {rub('1,000.00')}" in page
        assert "Paid with points: 0 Points earned: 50 Balance: 0 → 50" in page
        page = audit_text(console, action="purchase.refund")
        assert f"cashier Till Purchase refunded Anna Petrova Refund of {rub('400.00')} on purchase R-1" in page
        assert "Cashback taken back: 20 Balance: 50 → 30" in page
        assert "Purchase R-1" in audit_text(console, text="R-1")  # the receipt number finds it
        page = audit_text(console, "ru", customer=customer.card_number)
        assert f"cashier Касса Покупка записана Anna Petrova Покупка R-1 на {rub(ru_number('1 000,00'))}" in page
        assert f"Возврат {rub('400,00')} по покупке R-1" in page and "Списано кешбэка: 20 Баланс: 50 → 30" in page
        assert AuditEntry.objects.get(action="purchase.record").actor == cashier_user

    def test_api_and_unattended_purchases_write_no_audit_row(self, customer, api_client_factory):
        client = api_client_factory().client
        purchase = services.purchase_record(
            customer_id=customer.pk, amount="100.00", api_client=client, origin=f"api:{client.name}"
        ).purchase
        services.purchase_refund(purchase_id=purchase.pk, api_client=client, origin=f"api:{client.name}")
        assert not AuditEntry.objects.filter(action__in=["purchase.record", "purchase.refund"]).exists()

    def test_a_refused_purchase_writes_no_audit_row(self, customer, cashier_user):
        from loyalty.exceptions import RedeemTooMuch

        with pytest.raises(RedeemTooMuch):
            services.purchase_record(customer_id=customer.pk, amount="100.00", redeem_points=5, actor=cashier_user)
        assert not AuditEntry.objects.filter(action="purchase.record").exists()


class TestFilters:
    def test_lists_and_filters_changes(self, console, customer, marketing_user):
        console.post("/settings/", SETTINGS_FORM | {"manual_adjustment_limit": "20000"})
        services.points_adjust(customer_id=customer.pk, points=10, reason="Gift card", actor=marketing_user)
        page = audit_text(console)
        assert "Program settings changed" in page and "Customer enrolled" in page and "Manual adjustment" in page
        filtered = audit_text(console, action="settings.update")
        assert "Program settings changed" in filtered and "Enrolled Anna Petrova" not in filtered
        by_who = audit_text(console, actor="marketing")
        assert "Program settings changed" in by_who and "Enrolled Anna Petrova" not in by_who


def test_the_action_filter_offers_all_actions_first_in_both_languages(console):
    def first_option(page: str) -> str:
        select = re.search(r'<select name="action".*?</select>', page, re.S).group(0)
        return re.findall(r"<option[^>]*>([^<]*)</option>", select)[0]

    assert first_option(console.get("/audit/").content.decode()) == "All actions"
    console.cookies["django_language"] = "ru"
    assert first_option(console.get("/audit/").content.decode()) == "Все действия"


def test_a_campaign_edit_logs_only_what_changed_in_the_readers_language(client, marketing_user, program):
    """Saving a campaign with its holdout as "5.0" (stored 5.00) and an empty budget logs nothing; a real
    change reads in the reader's language, whoever made it."""
    from campaigns.models import Campaign
    from campaigns.services.changes import campaign_create, campaign_update
    from core.models import AuditEntry

    with translation.override("en"):
        campaign = campaign_create(
            values={"name": "Spring", "kind": Campaign.Kind.BROADCAST, "holdout_percent": D("5.00")},
            actor=marketing_user,
        )
        count = AuditEntry.objects.count()
        campaign_update(
            campaign_id=campaign.pk, values={"holdout_percent": "5.0", "budget_points": None}, actor=marketing_user
        )
        assert AuditEntry.objects.count() == count
        campaign_update(campaign_id=campaign.pk, values={"holdout_percent": D("7.5")}, actor=marketing_user)
    client.force_login(marketing_user)
    table = audit_text(client, "ru", action="campaign.update")
    assert "Контрольная группа, %" in table, table
    assert "Holdout" not in table and "holdout_percent" not in table
    assert f"5{NBSP}%" in table and f"7,5{NBSP}%" in table


def test_campaign_rows_and_the_daily_jobs_read_in_russian(client, marketing_user, program, customer_factory):
    """Campaign changes, status changes (by a person and by the daily job, with its reason) and a
    template save, all made in English, read in Russian: summaries written again, the job's reason
    translated, and a template save that left the (SMS-less) subject alone logs no "Тема: — → —"."""
    from django.utils import timezone

    from campaigns.models import Campaign
    from campaigns.services.changes import campaign_create, campaign_launch, campaign_update
    from campaigns.services.daily import campaigns_daily_run
    from messaging.services import template_save

    customer_factory(consent_sms=True)
    with translation.override("en"):
        campaign = campaign_create(
            values={"name": "BC list 25", "kind": Campaign.Kind.BROADCAST, "points": 0, "channels": ["sms"]},
            actor=marketing_user,
        )
        campaign_update(campaign_id=campaign.pk, values={"holdout_percent": D("15")}, actor=marketing_user)
        template_save(kind=campaign.message_kind, channel="sms", language="ru", body="Новости", actor=marketing_user)
        template_save(kind=campaign.message_kind, channel="sms", language="ru", body="Новости!", actor=marketing_user)
        campaign_launch(campaign_id=campaign.pk, actor=marketing_user)
        now = timezone.now()
        campaigns_daily_run(as_of=timezone.localdate(now), now=now)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.FINISHED
    # A row written before the name was stored in the changes (the tester's): its English summary.
    AuditEntry.objects.create(
        action=AuditAction.CAMPAIGN_STATUS, object_type="campaigns.campaign", object_id=str(campaign.pk),
        summary="Campaign “Old one”: Active → Finished", origin="job:campaigns_daily",
        changes={"status": ["active", "finished"], "why": "ended"}, created_at=now,
    )  # fmt: skip
    client.force_login(marketing_user)
    table = audit_text(client, "ru")
    assert "Создана кампания «BC list 25»" in table
    assert "Изменена кампания «BC list 25»" in table and "Changed campaign" not in table
    assert "Запущена кампания «BC list 25»" in table and "Launched campaign" not in table
    assert "Кампания «BC list 25»: Активна → Завершена" in table, table
    assert "Причина: рассылка отправлена" in table and "broadcast sent" not in table
    assert "Кампания «Old one»: Активна → Завершена" in table and "Причина: наступило окончание" in table
    assert "campaigns_daily" not in table and "job:" not in table
    assert "Шаблон Кампания «BC list 25» / SMS / Русский сохранён" in table and "saved" not in table
    assert "campaign:" not in table
    assert "Тема" not in table  # neither save changed the subject an SMS does not have
    assert "Текст: Новости → Новости!" in table
    english = audit_text(client, "en")
    assert "Campaign “BC list 25”: Active → Finished" in english and "Why: the broadcast was sent" in english
    assert "Daily campaign run" in english and "Scheduled job" not in english
    assert "Template Campaign “BC list 25” / SMS / Russian saved" in english


def test_boost_settings_read_by_their_labels_and_values(console, marketing_user):
    """The boost settings under their labels, the rule by its choice's label and the cap as a percentage,
    in both languages (the tester saw "Boost combine: best → sum")."""
    services.program_settings_update(actor=marketing_user, boost_combine="sum", boost_cap_percent="10")
    page = audit_text(console, action="settings.update")
    assert "Several earning boosts on one line: Only the largest boost counts → Boosts add up, to the cap" in page, page
    assert f"Cap of added-up boosts: 20{NBSP}% → 10{NBSP}%" in page
    assert "Boost combine" not in page and "best" not in page
    page = audit_text(console, "ru", action="settings.update")
    assert (
        "Несколько ускорений начисления на одной позиции: Действует только самое большое ускорение → "
        "Ускорения складываются, но не выше предела" in page
    ), page
    assert f"20{NBSP}% → 10{NBSP}%" in page


def test_a_new_campaign_lists_only_its_kinds_fields_and_no_empty_ones(client, marketing_user):
    """A boost's creation lists its multiplier and category, not the points or "days before" of other
    kinds, nor empty lists ("Weekdays: []"); its weekdays read by name."""
    from campaigns.models import Campaign
    from campaigns.services.changes import campaign_create

    with translation.override("en"):
        campaign_create(
            values={
                "name": "Shoes ×2",
                "kind": Campaign.Kind.BOOST,
                "boost_multiplier": D("2"),
                "boost_category": "shoes",
                "boost_weekdays": [5, 6],
            },
            actor=marketing_user,
        )
        campaign_create(values={"name": "Hello", "kind": Campaign.Kind.WELCOME, "points": 100}, actor=marketing_user)
    client.force_login(marketing_user)
    table = audit_text(client, action="campaign.create")
    boost = table[table.index("Created campaign “Shoes ×2”") :]
    welcome = table[table.index("Created campaign “Hello”") : table.index("Created campaign “Shoes ×2”")]
    assert "Multiplier: ×2" in boost and "Category: shoes" in boost and "Weekdays: Saturday, Sunday" in boost
    assert "Points:" not in boost and "Days before" not in boost and "[]" not in boost
    assert "Points: 100" in welcome and "Multiplier" not in welcome and "Weekdays" not in welcome
    assert "[]" not in table, table


def test_an_invalid_date_filter_lists_no_entries_only_its_error(console, customer):
    """A reversed range: the error, and no entry (the whole log under it would read as the filter's answer)."""
    assert "Enrolled Anna Petrova" in audit_text(console)
    response = console.get("/audit/", {"when_min": "2026-12-02", "when_max": "2026-11-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The first date is after the second." in page
    assert "<table" not in page and "Enrolled Anna Petrova" not in page
    out_of_range = console.get("/audit/", {"when_min": "0001-01-01"}).content.decode()
    assert "Enter a date between" in out_of_range and "Enrolled Anna Petrova" not in out_of_range


def test_an_empty_filtered_list_says_nothing_matches_and_an_empty_log_says_nothing_yet(console):
    assert not AuditEntry.objects.exists()
    assert "Nothing recorded yet." in audit_text(console)
    # An empty form applied (every field blank) sets no filter.
    assert "Nothing recorded yet." in audit_text(console, when_min="", when_max="", action="", text="")
    assert "No entries match the filter." in audit_text(console, text="no such words anywhere")
    assert "No entries match the filter." in audit_text(console, when_min="2000-01-01", when_max="2000-01-02")


def test_origins_read_in_words():
    """Where a change came from, in the reader's language: a management command by its name (the tester
    saw "command:create_api_client" as stored)."""
    from django.utils import translation

    from core.audit import audit_origin_label

    assert audit_origin_label("command:create_api_client") == "Command create_api_client"
    assert audit_origin_label("api:Shop") == "API: Shop"
    with translation.override("ru"):
        assert audit_origin_label("command:create_api_client") == "Команда create_api_client"
        assert audit_origin_label("cashier") == "Касса"


def test_a_boosts_multiplier_and_tiers_read_as_the_language_writes_them(client, marketing_user, program):
    """The tester saw "Tiers: 3" (an id) and "Множитель: 2.0" (a dot): the tiers by name, the multiplier as
    "×1.5" / "×1,5"."""
    from campaigns.models import Campaign
    from campaigns.services.changes import campaign_create
    from loyalty.models import Tier

    gold = Tier.objects.create(
        code="goldx", name="Golden", order=50, threshold=D("50000"), cashback_percent=D("7"), redeem_cap_percent=D("50")
    )
    campaign_create(
        values={
            "name": "Gold ×1.5",
            "kind": Campaign.Kind.BOOST,
            "boost_multiplier": D("1.5"),
            "target": Campaign.Target.TIERS,
        },
        tier_ids=[gold.pk],
        actor=marketing_user,
    )
    client.force_login(marketing_user)
    english = audit_text(client, action="campaign.create")
    assert "Multiplier: ×1.5" in english and "Tiers: Golden" in english, english
    russian = audit_text(client, "ru", action="campaign.create")
    assert "Множитель: ×1,5" in russian and "2.0" not in russian
