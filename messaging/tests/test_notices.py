"""The built-in notices (issue #14), worked by hand: points made by the real purchase service at historic
moments (5 % cashback, 365-day lifetime: a purchase on day P burns at the start of P + 365), the daily
notices queued set-based, then sent through the console provider, whose text is what the customer reads.
The shop's clock is Europe/Moscow; the daily job runs for 1 March 2026 at noon."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.models import Tier, TierStatus
from loyalty.rules import local_midnight
from loyalty.services import daily_run, purchase_record, purchase_refund, tier_recalculate_all
from messaging.models import Message, MessageStatusChange
from messaging.services.consent import consent_set
from messaging.services.notice_jobs import (
    balance_reminder_notices_queue,
    notices_daily,
    points_burning_notices_queue,
    tier_at_risk_notices_queue,
    tier_review_upgrade_notices_queue,
)
from messaging.services.notices import notice_setting_update
from messaging.services.outbox import message_queue, message_send
from messaging.services.templates import template_save

from .conftest import local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]

AS_OF = dt.date(2026, 3, 1)
NOON = local("2026-03-01 12:00")
# The purchase notices' tasks run on commit, at the real time: their purchases are made just now (a purchase
# older than a day gets no notice: test_an_old_purchase_gets_no_notice).
RECENT = timezone.now() - dt.timedelta(minutes=5)
BURN_DAY = AS_OF + dt.timedelta(days=7)  # 8 March 2026


@pytest.fixture(autouse=True)
def notice_settings(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    settings.LANGUAGE_CODE = "en"
    settings.MESSAGING_CHANNEL_PROVIDERS = {"sms": "console", "messenger": "console"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESSAGING_QUIET_HOURS_START, settings.MESSAGING_QUIET_HOURS_END = 21, 9
    settings.MESSAGING_FREQUENCY_CAP_MESSAGES, settings.MESSAGING_FREQUENCY_CAP_DAYS = 3, 7
    settings.MESSAGING_SERVICE_NEEDS_CONSENT = False


@pytest.fixture
def templates():
    for channel in ("sms", "email"):
        template_save(kind="points_burning", channel=channel, language="en", subject="Points burn soon",
                      body="{name}, {points} burn on {expires_on}.")  # fmt: skip
    template_save(kind="points_burning", channel="sms", language="ru", body="{name}, {points} сгорят {expires_on}")
    template_save(kind="points_earned", channel="sms", language="en", body="You earned {points}. Balance: {balance}.")
    template_save(kind="tier_upgrade", channel="sms", language="en", body="Welcome to {tier}!")
    template_save(kind="tier_at_risk", channel="sms", language="en",
                  body="Spend {spend_needed} more by {expires_on} to keep {tier}.")  # fmt: skip
    template_save(kind="balance_reminder", channel="sms", language="en", body="You have {balance} waiting.")


@pytest.fixture
def anna(customer_factory):
    return customer_factory(
        name="Anna Petrova", phone="+7 912 345-67-89", email="anna@example.com", consent_email=True, consent_sms=True
    )


def bought(customer, amount: str, day: dt.date, hour: int = 12):
    """A purchase of `amount` on `day` at `hour` shop time (5 %: 2 400.00 earns 120 points)."""
    return purchase_record(customer_id=customer.pk, amount=amount, now=local_midnight(day) + dt.timedelta(hours=hour))


def burning_in_7_days(customer, amount: str = "2400.00"):
    """A lot burning at the start of BURN_DAY: bought 365 days before it."""
    return bought(customer, amount, BURN_DAY - dt.timedelta(days=365))


def sent_text(message: Message) -> str:
    """The text the customer got: the message sent when it is due (a notice after a purchase is queued on
    the real clock, held until 09:00 if that is night)."""
    assert message_send(message_id=message.pk, now=message.next_attempt_at) == "sent"
    message.refresh_from_db()
    return message.text


# --- points about to burn --------------------------------------------------------------------------------


def test_a_lot_burning_in_7_days_gives_one_notice_with_its_points_and_date(anna, templates):
    burning_in_7_days(anna)
    assert points_burning_notices_queue(as_of=AS_OF, now=NOON) == {"queued": 1, "skipped": 0, "held": 0}
    message = Message.objects.get(kind="points_burning")
    assert (message.status, message.channel, message.purpose, message.text) == ("queued", "sms", "service", "")
    assert message.dedupe_key == f"points_burning:{anna.pk}:2026-03-08"
    assert message.next_attempt_at == NOON  # deferred: the dispatcher hands it out
    assert list(message.status_changes.values_list("status", "reason")) == [("queued", "queued")]
    assert sent_text(message) == "Anna, 120 points burn on 8 March 2026."
    # they burn at the start of 8 March: 7 March is the last day they can pay
    assert message.values == {"points": 120, "expires_on": "2026-03-08", "valid_through": "2026-03-07"}


def test_two_lots_on_the_same_date_give_one_notice_with_the_sum(anna, templates):
    burning_in_7_days(anna, "2400.00")  # 120 points
    bought(anna, "1000.00", BURN_DAY - dt.timedelta(days=365), hour=18)  # 50 points, the same burning date
    bought(anna, "2000.00", BURN_DAY - dt.timedelta(days=364))  # burns a day later: not in this notice
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    assert sent_text(Message.objects.get(kind="points_burning")) == "Anna, 170 points burn on 8 March 2026."


def test_running_the_job_twice_still_gives_one_notice(anna, templates):
    burning_in_7_days(anna)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    assert points_burning_notices_queue(as_of=AS_OF, now=NOON + dt.timedelta(hours=1)) == {
        "queued": 0, "skipped": 0, "held": 0,
    }  # fmt: skip
    assert Message.objects.filter(kind="points_burning").count() == 1
    assert MessageStatusChange.objects.count() == 1


def test_spent_points_do_not_burn(anna, templates):
    burning_in_7_days(anna)  # 120 points
    purchase_record(customer_id=anna.pk, amount="1000.00", redeem_points=120, now=NOON - dt.timedelta(days=1))
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    assert not Message.objects.filter(kind="points_burning").exists()


def test_a_customer_without_consent_is_skipped_with_the_reason_when_service_needs_it(
    customer_factory, templates, settings
):
    settings.MESSAGING_SERVICE_NEEDS_CONSENT = True
    boris = customer_factory(name="Boris Ivanov", phone="+79261112233", consent_sms=False, consent_email=False)
    burning_in_7_days(boris)
    assert points_burning_notices_queue(as_of=AS_OF, now=NOON) == {"queued": 0, "skipped": 1, "held": 0}
    message = Message.objects.get(kind="points_burning")
    assert (message.status, message.skip_reason, message.channel) == ("skipped", "no_consent", "sms")
    assert list(message.status_changes.values_list("status", "reason")) == [("skipped", "no_consent")]


def test_a_customer_without_an_address_is_skipped_with_the_reason(customer_factory, templates):
    notice_setting_update(kind="points_burning", enabled=True, channels=["email"])
    boris = customer_factory(name="Boris Ivanov", phone="+79261112233", email="")
    burning_in_7_days(boris)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    message = Message.objects.get(kind="points_burning")
    assert (message.status, message.skip_reason) == ("skipped", "no_address")


def test_a_stop_reply_moves_the_notice_to_the_next_channel(anna, templates):
    consent_set(customer_id=anna.pk, channel="sms", granted=False, source="stop")
    burning_in_7_days(anna)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    message = Message.objects.get(kind="points_burning")
    assert (message.status, message.channel, message.address) == ("queued", "email", "anna@example.com")
    assert sent_text(message) == "Anna, 120 points burn on 8 March 2026."
    assert message.subject == "Points burn soon"


def test_a_stop_reply_on_the_only_channel_skips_as_unsubscribed(anna, templates):
    notice_setting_update(kind="points_burning", enabled=True, channels=["sms"])
    consent_set(customer_id=anna.pk, channel="sms", granted=False, source="stop")
    burning_in_7_days(anna)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    assert Message.objects.get(kind="points_burning").skip_reason == "unsubscribed"


def test_a_switched_off_notice_queues_nothing(anna, templates):
    notice_setting_update(kind="points_burning", enabled=False, channels=["sms", "email"])
    burning_in_7_days(anna)
    assert points_burning_notices_queue(as_of=AS_OF, now=NOON) == {"queued": 0, "skipped": 0, "held": 0}
    assert not Message.objects.exists()


def test_a_notice_without_a_template_queues_nothing(anna):
    burning_in_7_days(anna)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    assert not Message.objects.exists()


def test_days_before_is_the_notice_setting(anna, templates):
    notice_setting_update(kind="points_burning", enabled=True, channels=["sms"], days_before=3)
    burning_in_7_days(anna)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    assert not Message.objects.exists()
    points_burning_notices_queue(as_of=AS_OF + dt.timedelta(days=4), now=NOON + dt.timedelta(days=4))
    assert Message.objects.get().dedupe_key == f"points_burning:{anna.pk}:2026-03-08"


def test_quiet_hours_hold_an_sms_notice_until_the_morning(anna, templates):
    burning_in_7_days(anna)
    late = local("2026-03-01 23:30")
    assert points_burning_notices_queue(as_of=AS_OF, now=late) == {"queued": 1, "skipped": 0, "held": 1}
    message = Message.objects.get()
    assert (message.next_attempt_at, message.held_reason) == (local("2026-03-02 09:00"), "quiet hours")
    assert list(message.status_changes.values_list("reason", flat=True)) == [
        "queued", "held until 2026-03-02 09:00 (quiet hours)",
    ]  # fmt: skip
    assert message_send(message_id=message.pk, now=late) == "queued"  # not before 09:00


@pytest.mark.parametrize("shop_language", ["en", "ru"])
def test_each_notice_is_in_its_customers_language_whatever_the_shops(
    anna, customer_factory, templates, settings, shop_language
):
    """The bulk statement stores each customer's own language on the row, and the worker renders it so."""
    from customers.services import customer_update

    customer_update(customer=anna, language="ru")
    john = customer_factory(name="John Smith", phone="+7 912 345-67-80", consent_sms=True, language="en")
    burning_in_7_days(anna, "2400.00")  # 120 points
    burning_in_7_days(john, "420.00")  # 21 points
    settings.LANGUAGE_CODE = shop_language
    assert points_burning_notices_queue(as_of=AS_OF, now=NOON) == {"queued": 2, "skipped": 0, "held": 0}
    to_anna, to_john = (Message.objects.get(customer=c) for c in (anna, john))
    assert (to_anna.language, to_john.language) == ("ru", "en")
    assert sent_text(to_anna) == "Anna, 120 баллов сгорят 8 марта 2026 г."
    assert sent_text(to_john) == "John, 21 points burn on 8 March 2026."
    to_anna.refresh_from_db()
    assert to_anna.language == "ru"


def test_a_customers_language_no_longer_offered_gets_the_shops(anna, templates, settings):
    from customers.models import Customer

    Customer.objects.filter(pk=anna.pk).update(language="de")  # a language since removed from the settings
    burning_in_7_days(anna)
    points_burning_notices_queue(as_of=AS_OF, now=NOON)
    message = Message.objects.get()
    assert message.language == "en"
    assert sent_text(message) == "Anna, 120 points burn on 8 March 2026."


def test_a_notice_after_a_purchase_is_in_the_customers_language(anna, templates, django_capture_on_commit_callbacks):
    from customers.services import customer_update

    template_save(kind="points_earned", channel="sms", language="ru", body="Вам начислено {points}. Баланс: {balance}.")
    customer_update(customer=anna, language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="440.00", now=RECENT)  # 22 points
    message = Message.objects.get(kind="points_earned")
    assert message.language == "ru"
    assert sent_text(message) == "Вам начислено 22 балла. Баланс: 22 балла."


# --- points earned, tier upgrade: after a purchase ---------------------------------------------------------


def test_an_old_purchase_gets_no_notice_when_its_task_runs_late(anna, templates, django_capture_on_commit_callbacks):
    """A backlog of tasks (the worker was down, the demo's year of purchases): "you earned 50 points" about a
    purchase of two days ago is not sent; one of 23 hours ago is."""
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="1000.00", now=timezone.now() - dt.timedelta(days=2))
    assert not Message.objects.filter(kind="points_earned").exists()
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="1000.00", now=timezone.now() - dt.timedelta(hours=23))
    assert Message.objects.filter(kind="points_earned").count() == 1


def test_points_earned_after_a_purchase_once_even_when_the_purchase_is_retried(
    anna, templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="1000.00", idempotency_key="till-1", now=RECENT)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="1000.00", idempotency_key="till-1", now=RECENT)
    message = Message.objects.get(kind="points_earned")
    assert message.values == {"points": 50}
    assert sent_text(message) == "You earned 50 points. Balance: 50 points."


def test_a_refund_does_not_notify(anna, templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = purchase_record(customer_id=anna.pk, amount="1000.00", now=RECENT)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_refund(purchase_id=result.purchase.pk, now=RECENT + dt.timedelta(hours=1))
    assert list(Message.objects.values_list("kind", flat=True)) == ["points_earned"]


def test_a_purchase_paid_only_in_points_earns_no_notice(anna, templates, django_capture_on_commit_callbacks):
    purchase_record(customer_id=anna.pk, amount="2000.00", now=RECENT - dt.timedelta(days=1))  # 100 points
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="100.00", redeem_points=30, now=RECENT)  # 70.00 paid: 3 points
        purchase_record(customer_id=anna.pk, amount="10.00", redeem_points=3, now=RECENT)  # 7.00 paid: 0 points
    assert Message.objects.filter(kind="points_earned").count() == 1


@pytest.fixture
def tiers(db):
    Tier.objects.all().delete()
    silver = Tier.objects.create(name="Silver", code="silver", order=1, threshold=Decimal("0.00"),
                                 cashback_percent=Decimal("5.00"), redeem_cap_percent=Decimal("30.00"))  # fmt: skip
    gold = Tier.objects.create(name="Gold", code="gold", order=2, threshold=Decimal("10000.00"),
                               cashback_percent=Decimal("7.00"), redeem_cap_percent=Decimal("30.00"))  # fmt: skip
    return silver, gold


def test_a_tier_upgrade_by_a_purchase_notifies_once(anna, templates, tiers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="1000.00", now=RECENT)  # joins Silver: no upgrade notice
    assert not Message.objects.filter(kind="tier_upgrade").exists()
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(customer_id=anna.pk, amount="9000.00", now=RECENT + dt.timedelta(hours=1))  # 10 000: Gold
    message = Message.objects.get(kind="tier_upgrade")
    assert sent_text(message) == "Welcome to Gold!"


def test_the_daily_reviews_upgrades_notify_once(anna, templates, tiers):
    silver, _gold = tiers
    bought(anna, "10000.00", AS_OF - dt.timedelta(days=10))  # Gold at once…
    TierStatus.objects.filter(customer=anna).update(tier=silver)  # …as if the purchase came in by an import
    assert tier_recalculate_all(as_of=AS_OF, now=NOON)["upgraded"] == 1
    assert tier_review_upgrade_notices_queue(as_of=AS_OF, now=NOON)["queued"] == 1
    assert tier_review_upgrade_notices_queue(as_of=AS_OF, now=NOON)["queued"] == 0
    assert sent_text(Message.objects.get(kind="tier_upgrade")) == "Welcome to Gold!"


# --- tier at risk, balance reminder ------------------------------------------------------------------------


def test_tier_at_risk_says_the_exact_money_and_the_last_day(anna, templates, tiers):
    _silver, gold = tiers
    bought(anna, "6800.00", AS_OF - dt.timedelta(days=100))
    # Gold, found under its threshold 23 days ago: with the 30-day grace, the review of 8 March moves her down.
    TierStatus.objects.update_or_create(
        customer=anna, defaults={"tier": gold, "below_since": AS_OF - dt.timedelta(days=23), "changed_at": NOON}
    )
    notice_setting_update(kind="tier_at_risk", enabled=True, channels=["sms"])
    assert tier_at_risk_notices_queue(as_of=AS_OF, now=NOON) == {"queued": 1, "skipped": 0, "held": 0}
    message = Message.objects.get(kind="tier_at_risk")
    assert (message.purpose, message.values["expires_on"]) == ("marketing", "2026-03-07")
    assert Decimal(message.values["spend_needed"]) == Decimal("3200.00")  # exact, stored as text (never a float)
    assert sent_text(message) == "Spend 3,200.00\u00a0₽ more by 7 March 2026 to keep Gold."
    assert tier_at_risk_notices_queue(as_of=AS_OF, now=NOON)["queued"] == 0  # once per review date


def test_tier_at_risk_needs_marketing_consent(customer_factory, templates, tiers):
    _silver, gold = tiers
    boris = customer_factory(name="Boris Ivanov", phone="+79261112233", consent_sms=False)
    bought(boris, "6800.00", AS_OF - dt.timedelta(days=100))
    TierStatus.objects.update_or_create(
        customer=boris, defaults={"tier": gold, "below_since": AS_OF - dt.timedelta(days=23), "changed_at": NOON}
    )
    notice_setting_update(kind="tier_at_risk", enabled=True, channels=["sms"])
    tier_at_risk_notices_queue(as_of=AS_OF, now=NOON)
    assert Message.objects.get(kind="tier_at_risk").skip_reason == "no_consent"


def test_balance_reminder_once_per_idle_period(anna, templates):
    bought(anna, "4000.00", AS_OF - dt.timedelta(days=60))  # 200 points, 60 days ago
    notice_setting_update(kind="balance_reminder", enabled=True, channels=["sms"], idle_days=60, min_balance=150)
    assert balance_reminder_notices_queue(as_of=AS_OF, now=NOON)["queued"] == 1
    assert sent_text(Message.objects.get(kind="balance_reminder")) == "You have 200 points waiting."
    for days in (1, 59):  # the next days: nothing; 60 days after the first one: the second
        balance_reminder_notices_queue(as_of=AS_OF + dt.timedelta(days=days), now=NOON + dt.timedelta(days=days))
        assert Message.objects.filter(kind="balance_reminder").count() == 1
    balance_reminder_notices_queue(as_of=AS_OF + dt.timedelta(days=60), now=NOON + dt.timedelta(days=60))
    assert Message.objects.filter(kind="balance_reminder").count() == 2


def test_balance_reminder_not_for_a_recent_buyer_nor_a_small_balance(anna, customer_factory, templates):
    bought(anna, "4000.00", AS_OF - dt.timedelta(days=59))  # 200 points, 59 days ago: too recent
    boris = customer_factory(name="Boris Ivanov", phone="+79261112233", consent_sms=True)
    bought(boris, "2000.00", AS_OF - dt.timedelta(days=90))  # 100 points: under the minimum of 150
    notice_setting_update(kind="balance_reminder", enabled=True, channels=["sms"], min_balance=150)
    assert balance_reminder_notices_queue(as_of=AS_OF, now=NOON)["queued"] == 0


def test_balance_reminder_respects_the_frequency_cap(anna, templates):
    bought(anna, "4000.00", AS_OF - dt.timedelta(days=90))
    for hour in (9, 10, 11):
        message_queue(customer_id=anna.pk, channel="email", kind="promo", purpose="marketing", text="Sale",
                      now=NOON - dt.timedelta(hours=12 - hour))  # fmt: skip
    notice_setting_update(kind="balance_reminder", enabled=True, channels=["sms"])
    balance_reminder_notices_queue(as_of=AS_OF, now=NOON)
    assert Message.objects.get(kind="balance_reminder").skip_reason == "frequency_cap"


# --- the daily run ------------------------------------------------------------------------------------------


def test_the_daily_run_queues_the_daily_notices(anna, templates, django_capture_on_commit_callbacks):
    burning_in_7_days(anna)
    with django_capture_on_commit_callbacks(execute=True):
        daily_run(as_of=AS_OF, now=NOON)
    assert list(Message.objects.values_list("kind", "status")) == [("points_burning", "queued")]
    assert notices_daily(as_of=AS_OF, now=NOON)["points_burning"] == {"queued": 0, "skipped": 0, "held": 0}


def test_notice_settings_refuse_bad_values_and_change_nothing():
    from messaging.exceptions import MessagingError
    from messaging.selectors import notice_settings

    for kwargs in (
        {"channels": []},
        {"channels": ["sms", "sms"]},
        {"channels": ["fax"]},
        {"channels": ["sms"], "days_before": 0},
        {"channels": ["sms"], "idle_days": 3651},
        {"channels": ["sms"], "min_balance": 0},
    ):
        with pytest.raises(MessagingError):
            notice_setting_update(kind="points_burning", enabled=False, **kwargs)
    setting = notice_settings()["points_burning"]
    assert (setting.enabled, setting.channels, setting.days_before) == (True, ["sms", "email"], 7)
