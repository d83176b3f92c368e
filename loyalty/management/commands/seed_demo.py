"""Demo data: customers and 12 months of purchases, written through the real services.

    python manage.py seed_demo [--customers 3000] [--seed 42] [--force]

Deterministic for a seed and a date: `random.Random(seed)` draws a plan (who joins when, who buys what,
which purchases are refunded, ...), anchored to today's local date; the plan becomes a list of events
sorted by time, and each event calls a service with `now=` its historic moment, so tiers, redemption
caps, expiry and refunds behave exactly as they would have on the day. The points expiry job runs for
each past day as the history passes midnight (so "Expired" entries carry their real dates), and the
daily run for today closes the history: tier review and the check that balances equal the ledger.
"""

import datetime as dt
import logging
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import rules as customer_rules
from customers.exceptions import InvalidPhone
from customers.models import Customer
from customers.services import customer_enrol
from loyalty import rules
from loyalty.models import PointsAccount, Purchase
from loyalty.reasons import birthday_bonus_reason, referral_reason
from loyalty.selectors import ledger_problems, purchase_quote
from loyalty.services import (
    daily_run,
    points_adjust,
    points_award,
    points_expire_due,
    purchase_record,
    purchase_refund,
)

ORIGIN = "seed_demo"
HISTORY_DAYS = 365  # purchases over the last 12 months
MEMBERSHIP_DAYS = 425  # customers joined over the last ~14 months
CENT = Decimal("0.01")

# --- names -----------------------------------------------------------------------------------------

MALE_NAMES = (
    "Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл Михаил Никита Матвей Роман Егор Иван "
    "Павел Владимир Денис Евгений Николай Олег Тимур Константин Виктор Юрий Григорий Фёдор Станислав Антон "
    "Вадим Глеб Леонид Борис Ярослав"
).split()
FEMALE_NAMES = (
    "Анна Мария Елена Ольга Наталья Екатерина Татьяна Ирина Светлана Юлия Анастасия Дарья Ксения Полина "
    "Виктория Алина Марина Софья Вера Людмила Галина Валерия Елизавета Александра Кристина Надежда Евгения "
    "Вероника Алёна Диана Любовь Маргарита Варвара"
).split()
SURNAMES = (  # the masculine form; the feminine adds "а" (Иванов → Иванова, Ильин → Ильина)
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев "
    "Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев "
    "Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв "
    "Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков "
    "Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов "
    "Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев "
    "Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Быков Маслов "
    "Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов "
    "Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов "
    "Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов "
    "Анисимов Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Харитонов Князев Цветков"
).split()
INVARIANT_SURNAMES = "Шевченко Бондаренко Коваленко Ким Лысенко Черных Седых".split()  # same for women

TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
# Reserved for documentation (RFC 2606): demo addresses must never reach a real mailbox.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# --- what the shop sells ---------------------------------------------------------------------------

# category: (lowest, highest line amount in RUB, weight for most customers, weight for VIPs)
CATEGORIES = {
    "coffee": (220, 750, 16, 4),
    "bakery": (150, 900, 12, 3),
    "groceries": (300, 3000, 18, 6),
    "beauty": (390, 3900, 10, 9),
    "home": (450, 4500, 8, 8),
    "books": (350, 1600, 5, 4),
    "kids": (450, 4200, 7, 6),
    "clothing": (1200, 7900, 11, 22),
    "shoes": (2500, 9900, 4, 14),
    "electronics": (1900, 24900, 2, 9),
}
LINES_PER_CHECK = ((1, 64), (2, 23), (3, 9), (4, 4))
HOUR_WEIGHTS = {9: 3, 10: 4, 11: 5, 12: 7, 13: 8, 14: 6, 15: 5, 16: 6, 17: 8, 18: 9, 19: 8, 20: 5, 21: 3}
MONTH_WEIGHTS = {1: 0.75, 2: 0.8, 3: 0.9, 4: 0.9, 5: 0.95, 6: 0.9, 7: 0.85, 8: 0.9, 9: 0.95, 10: 1.0, 11: 1.15, 12: 1.5}
WEEKDAY_WEIGHTS = (0.85, 0.85, 0.9, 0.9, 1.05, 1.3, 1.2)  # Monday … Sunday
BUSIEST_DAY = max(MONTH_WEIGHTS.values()) * max(WEEKDAY_WEIGHTS)
# The share of days a customer's rhythm proposes that busy_day() keeps; the rate is divided by it.
MEAN_THINNING = sum(MONTH_WEIGHTS.values()) / 12 * sum(WEEKDAY_WEIGHTS) / 7 / BUSIEST_DAY


@dataclass(frozen=True)
class Segment:
    name: str
    share: float  # of customers
    purchases_per_month: float  # 0: exactly `fixed` purchases
    fixed: tuple[int, ...] = ()
    redeem_propensity: tuple[float, ...] = (0.0,)  # chance that a purchase redeems points, per customer
    lapse_chance: float = 0.0  # stops buying at some point of the year
    vip: bool = False


# Shares and rates are sized so that 3 000 customers (about 3 500 purchases) load in well under a minute
# on SQLite: through the services a purchase costs 8-13 ms on a small, busy machine (16-24 queries).
SEGMENTS = (
    Segment("never", 0.22, 0),
    Segment("once", 0.45, 0, fixed=(1, 1, 1, 1, 1, 2), redeem_propensity=(0.0, 0.0, 0.5)),
    Segment("occasional", 0.22, 0.13, redeem_propensity=(0.0, 0.2, 0.4, 0.7), lapse_chance=0.3),
    Segment("regular", 0.09, 0.45, redeem_propensity=(0.0, 0.25, 0.5, 0.8), lapse_chance=0.15),
    Segment("vip", 0.02, 1.0, redeem_propensity=(0.3, 0.6, 0.9), lapse_chance=0.05, vip=True),
)

ADJUSTMENTS_UP = (
    (gettext_lazy("Receipt not scanned at the till: points added by hand"), 0.05),  # 5 % of the missed check
    (gettext_lazy("Goodwill: apology for a faulty item"), 300),
    (gettext_lazy("Goodwill: delivery was late"), 500),
    (gettext_lazy("Compensation: the card reader was down"), 150),
)
ADJUSTMENTS_DOWN = (
    gettext_lazy("Correction: points credited twice for one receipt"),
    gettext_lazy("Correction: purchase by a family member recorded on this card"),
)


# --- the plan ---------------------------------------------------------------------------------------


@dataclass
class PlannedCustomer:
    index: int
    name: str
    phone: str
    email: str | None
    birthday: dt.date | None
    consent_email: bool
    consent_sms: bool
    notes: str
    joined: dt.datetime
    referrer: int | None  # index of an earlier customer
    segment: Segment
    purchases: list["PlannedPurchase"] = field(default_factory=list)


@dataclass
class PlannedPurchase:
    index: int
    customer: int
    at: dt.datetime
    amount: Decimal
    lines: list[dict[str, str]]  # recorded by the till for most checks; empty when it sent only the total
    redeem_share: float | None  # None: pays in money; else the share of the allowed maximum to redeem


@dataclass(order=True)
class Event:
    at: dt.datetime
    seq: int
    kind: str = field(compare=False)
    data: object = field(compare=False)


class Planner:
    """Draws the whole data set from one Random; knows nothing about the database."""

    def __init__(
        self, *, rng: random.Random, today: dt.date, count: int, taken_phones: set[str], taken_emails: set[str]
    ):
        self.rng = rng
        self.today = today
        self.count = count
        self.history_start = today - dt.timedelta(days=HISTORY_DAYS - 1)
        self.phones = taken_phones
        self.emails = taken_emails
        self.events: list[Event] = []
        self.purchase_count = 0

    def add(self, at: dt.datetime, kind: str, data: object) -> None:
        self.events.append(Event(at, len(self.events), kind, data))

    # time
    def moment(self, day: dt.date) -> dt.datetime:
        """A moment within the shop's opening hours on `day` (local time), busier at lunch and after work."""
        hour = self.rng.choices(list(HOUR_WEIGHTS), weights=list(HOUR_WEIGHTS.values()))[0]
        return rules.local_midnight(day) + dt.timedelta(hours=hour, seconds=self.rng.randrange(3600))

    def busy_day(self, day: dt.date) -> bool:
        weight = MONTH_WEIGHTS[day.month] * WEEKDAY_WEIGHTS[day.weekday()]
        return self.rng.random() < weight / BUSIEST_DAY

    # people
    def person(self) -> tuple[str, str, str]:
        female = self.rng.random() < 0.56
        first = self.rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        if self.rng.random() < 0.04:
            last = self.rng.choice(INVARIANT_SURNAMES)
        else:
            last = self.rng.choice(SURNAMES) + ("а" if female else "")
        return first, last, f"{first} {last}"

    def phone(self) -> str:
        while True:
            raw = "+79" + "".join(str(self.rng.randrange(10)) for _ in range(9))
            try:
                phone = customer_rules.phone_normalize(raw)
            except InvalidPhone:
                continue
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def email(self, first: str, last: str, birthday: dt.date | None) -> str:
        def latin(word: str) -> str:
            return "".join(TRANSLIT.get(ch, ch) for ch in word.lower()).replace("-", "")

        given, family = latin(first), latin(last)
        styles = [
            f"{given}.{family}",
            f"{given[0]}.{family}",
            f"{family}.{given}",
            f"{given}{family}",
            f"{family}{self.rng.randrange(1, 100)}",
        ]
        if birthday:
            styles.append(f"{given}.{family}{birthday.year % 100:02d}")
        local = self.rng.choice(styles)
        domain = self.rng.choice(EMAIL_DOMAINS)
        email = f"{local}@{domain}"
        suffix = 2
        while email in self.emails:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        self.emails.add(email)
        return email

    def customers(self) -> list[PlannedCustomer]:
        planned = []
        segments, shares = SEGMENTS, [s.share for s in SEGMENTS]
        for index in range(self.count):
            first, last, name = self.person()
            has_birthday = self.rng.random() < 0.6
            birthday = None
            if has_birthday:
                age = self.rng.choices(range(18, 76), weights=[max(1, 40 - abs(a - 34)) for a in range(18, 76)])[0]
                birthday = dt.date(self.today.year - age, 1, 1) + dt.timedelta(days=self.rng.randrange(365))
            email = self.email(first, last, birthday) if self.rng.random() < 0.62 else None
            # Joined over the last ~14 months up to yesterday, a little more often lately (the programme is
            # growing); never later today, so that every planned customer exists whatever the time of day.
            days_ago = 1 + int((MEMBERSHIP_DAYS - 1) * (1 - self.rng.random() ** 0.85))
            joined = self.moment(self.today - dt.timedelta(days=days_ago))
            notes = ""
            if self.rng.random() < 0.02:
                notes = self.rng.choice(
                    [_("Prefers SMS to calls."), _("Corporate client: invoices by email."), _("Lost the card once.")]
                )
            planned.append(
                PlannedCustomer(
                    index=index,
                    name=name,
                    phone=self.phone(),
                    email=email,
                    birthday=birthday,
                    consent_email=bool(email) and self.rng.random() < 0.55,
                    consent_sms=self.rng.random() < 0.4,
                    notes=notes,
                    joined=joined,
                    referrer=None,
                    segment=self.rng.choices(segments, weights=shares)[0],
                )
            )
        # About one in ten came with a friend's referral code: a customer who joined earlier.
        by_join = sorted(planned, key=lambda c: c.joined)
        for position, customer in enumerate(by_join[1:], start=1):
            if self.rng.random() < 0.1:
                customer.referrer = by_join[self.rng.randrange(position)].index
        return planned

    # purchases
    def basket(self, vip: bool) -> tuple[Decimal, list[dict[str, str]]]:
        names = list(CATEGORIES)
        weights = [CATEGORIES[n][3 if vip else 2] for n in names]
        n_lines = self.rng.choices([n for n, _w in LINES_PER_CHECK], weights=[w for _n, w in LINES_PER_CHECK])[0]
        lines = []
        for _line in range(n_lines + (1 if vip and self.rng.random() < 0.4 else 0)):
            category = self.rng.choices(names, weights=weights)[0]
            low, high = CATEGORIES[category][:2]
            roubles = int(math.exp(self.rng.uniform(math.log(low), math.log(high))))
            kopecks = self.rng.choice([0, 0, 90, 99, 50, self.rng.randrange(100)])
            amount = (Decimal(roubles) + Decimal(kopecks) / 100).quantize(CENT)
            sku = f"{category[:3].upper()}-{self.rng.randrange(1000, 10000)}"
            lines.append({"category": category, "sku": sku, "amount": str(amount)})
        return sum((Decimal(line["amount"]) for line in lines), Decimal("0.00")), lines

    def purchase_days(self, customer: PlannedCustomer) -> list[dt.date]:
        segment = customer.segment
        first_day = max(customer.joined.date(), self.history_start)
        last_day = self.today
        if segment.lapse_chance and self.rng.random() < segment.lapse_chance:
            last_day = first_day + dt.timedelta(days=self.rng.randrange(max(1, (last_day - first_day).days + 1)))
        span = (last_day - first_day).days + 1
        if segment.fixed:
            count = self.rng.choice(segment.fixed)
            days = []
            if customer.joined.date() >= self.history_start and self.rng.random() < 0.6:
                days.append(customer.joined.date())  # bought on the day they signed up
            while len(days) < count:
                days.append(first_day + dt.timedelta(days=self.rng.randrange(span)))
            return sorted(days)
        if not segment.purchases_per_month:
            return []
        # A renewal process: gaps around the customer's own rhythm, thinned by season and weekday.
        rate = segment.purchases_per_month / 30 * self.rng.uniform(0.6, 1.5) / MEAN_THINNING
        days, offset = [], self.rng.expovariate(rate) if customer.joined.date() < self.history_start else 0.0
        while offset < span:
            day = first_day + dt.timedelta(days=int(offset))
            if self.busy_day(day):
                days.append(day)
            offset += self.rng.gammavariate(2.0, 1 / (2 * rate))
        return days

    def purchases(self, customer: PlannedCustomer) -> None:
        segment = customer.segment
        propensity = self.rng.choice(segment.redeem_propensity)
        for day in self.purchase_days(customer):
            at = self.moment(day)
            if at <= customer.joined:
                at = customer.joined + dt.timedelta(minutes=self.rng.randrange(2, 40))
            amount, lines = self.basket(segment.vip)
            redeem_share = None
            if propensity and self.rng.random() < propensity:
                redeem_share = 1.0 if self.rng.random() < 0.65 else self.rng.uniform(0.2, 0.9)
            purchase = PlannedPurchase(
                index=self.purchase_count,
                customer=customer.index,
                at=at,
                amount=amount,
                lines=lines if self.rng.random() < 0.7 else [],
                redeem_share=redeem_share,
            )
            self.purchase_count += 1
            customer.purchases.append(purchase)
            self.add(at, "purchase", purchase)
            self.refunds(purchase)

    def refunds(self, purchase: PlannedPurchase) -> None:
        if self.rng.random() >= 0.05:
            return
        at = self.moment(purchase.at.date() + dt.timedelta(days=self.rng.choice([0, 1, 1, 2, 3, 5, 7, 10, 14])))
        if at <= purchase.at:
            at = purchase.at + dt.timedelta(minutes=self.rng.randrange(5, 90))
        if self.rng.random() < 0.5:
            self.add(at, "refund", (purchase.index, None))  # the whole check back
            return
        if len(purchase.lines) > 1:  # one item returned
            amount = Decimal(self.rng.choice(purchase.lines)["amount"])
        else:
            amount = (purchase.amount * Decimal(self.rng.uniform(0.2, 0.7))).quantize(CENT)
        if not 0 < amount < purchase.amount:
            return
        self.add(at, "refund", (purchase.index, amount))
        if self.rng.random() < 0.15:  # and later the rest
            self.add(at + dt.timedelta(days=self.rng.randrange(1, 10)), "refund", (purchase.index, None))

    # points that are not cashback
    def bonuses(self, customer: PlannedCustomer) -> None:
        first = customer.purchases[0] if customer.purchases else None
        if customer.referrer is not None and first is not None:
            self.add(first.at + dt.timedelta(minutes=1), "award", (customer.referrer, 300, "referral", customer.index))
        # Birthday points go to those who hear about them (a consent) and have bought before.
        if customer.birthday and (customer.consent_email or customer.consent_sms) and first is not None:
            for year in (self.today.year - 1, self.today.year):
                try:
                    day = customer.birthday.replace(year=year)
                except ValueError:  # 29 February
                    day = dt.date(year, 3, 1)
                if first.at.date() < day <= self.today:
                    at = rules.local_midnight(day) + dt.timedelta(hours=8)
                    self.add(at, "award", (customer.index, 200, "birthday", day))
        if customer.purchases and self.rng.random() < 0.015:
            purchase = self.rng.choice(customer.purchases)
            at = self.moment(purchase.at.date() + dt.timedelta(days=self.rng.randrange(1, 20)))
            if self.rng.random() < 0.3:
                points, reason = -self.rng.choice([50, 100, 150, 250]), self.rng.choice(ADJUSTMENTS_DOWN)
                self.add(at, "adjust", (customer.index, points, reason))
            else:
                reason, points = self.rng.choice(ADJUSTMENTS_UP)
                if isinstance(points, float):
                    points = int(purchase.amount * Decimal(str(points)))
                self.add(at, "adjust", (customer.index, points, reason))

    def plan(self) -> list[Event]:
        customers = self.customers()
        for customer in customers:
            self.add(customer.joined, "enrol", customer)
            self.purchases(customer)
        for customer in customers:
            self.bonuses(customer)
        # The expiry job after each past midnight; today's is part of the final daily run.
        day = self.history_start
        while day < self.today:
            self.add(rules.local_midnight(day) + dt.timedelta(minutes=15), "expire", day)
            day += dt.timedelta(days=1)
        self.events.sort()
        return self.events


# --- applying the plan through the services ---------------------------------------------------------


@dataclass
class Totals:
    customers: int = 0
    purchases: int = 0
    purchases_with_points: int = 0
    refunds: int = 0
    adjustments: int = 0
    bonuses: int = 0


class Seeder:
    def __init__(self, *, rng: random.Random):
        self.rng = rng
        self.customer_ids: dict[int, int] = {}
        self.referral_codes: dict[int, str] = {}
        self.purchase_ids: dict[int, int] = {}
        # Receipt numbers go on from the demo purchases already there (--force adds a second history).
        self.receipt = Purchase.objects.filter(origin=ORIGIN).count()
        self.totals = Totals()

    def apply(self, event: Event) -> None:
        getattr(self, f"apply_{event.kind}")(event.at, event.data)

    def apply_enrol(self, at: dt.datetime, planned: PlannedCustomer) -> None:
        customer = customer_enrol(
            name=planned.name,
            phone=planned.phone,
            email=planned.email,
            birthday=planned.birthday,
            consent_email=planned.consent_email,
            consent_sms=planned.consent_sms,
            referral_code=self.referral_codes[planned.referrer] if planned.referrer is not None else None,
            notes=planned.notes,
            origin=ORIGIN,
            now=at,
            rng=self.rng,
        )
        self.customer_ids[planned.index] = customer.pk
        self.referral_codes[planned.index] = customer.referral_code
        self.totals.customers += 1

    def apply_purchase(self, at: dt.datetime, planned: PlannedPurchase) -> None:
        customer_id = self.customer_ids[planned.customer]
        redeem = 0
        if planned.redeem_share is not None:
            allowed = purchase_quote(customer_id=customer_id, amount=planned.amount, now=at).max_redeem_points
            redeem = allowed if planned.redeem_share >= 1 else int(allowed * planned.redeem_share)
        self.receipt += 1
        result = purchase_record(
            customer_id=customer_id,
            amount=planned.amount,
            redeem_points=redeem,
            lines=planned.lines,
            external_id=f"CHK-{at:%y%m}-{self.receipt:06d}",
            origin=ORIGIN,
            now=at,
        )
        self.purchase_ids[planned.index] = result.purchase.pk
        self.totals.purchases += 1
        self.totals.purchases_with_points += bool(redeem)

    def apply_refund(self, at: dt.datetime, data: tuple[int, Decimal | None]) -> None:
        purchase_index, amount = data
        purchase_refund(purchase_id=self.purchase_ids[purchase_index], amount=amount, origin=ORIGIN, now=at)
        self.totals.refunds += 1

    def apply_award(self, at: dt.datetime, data: tuple) -> None:
        customer_index, points, source, detail = data
        if source == "referral":
            reason = referral_reason()
            expires_at = None  # the programme's lifetime
        else:
            reason = birthday_bonus_reason()
            expires_at = rules.local_midnight(detail + dt.timedelta(days=14))
        points_award(
            customer_id=self.customer_ids[customer_index],
            points=points,
            reason=reason,
            source=source,
            expires_at=expires_at,
            now=at,
        )
        self.totals.bonuses += 1

    def apply_adjust(self, at: dt.datetime, data: tuple) -> None:
        customer_index, points, reason = data
        customer_id = self.customer_ids[customer_index]
        if points < 0:
            balance = PointsAccount.objects.filter(pk=customer_id).values_list("balance", flat=True).first() or 0
            points = -min(-points, balance)
            if not points:
                return  # nothing left to correct
        points_adjust(customer_id=customer_id, points=points, reason=str(reason), actor=None, origin=ORIGIN, now=at)
        self.totals.adjustments += 1

    def apply_expire(self, at: dt.datetime, day: dt.date) -> None:
        points_expire_due(as_of=day, now=at)


@contextmanager
def bulk_load_connection() -> Iterator[None]:
    """The settings of this process's database connection for one long load, put back afterwards.

    - No query log: with DEBUG on, Django keeps every query it runs and, on SQLite, runs a second query
      for each one to quote its parameters for that log. The load runs about 120 000 queries that nobody
      reads there (about a tenth of its time).
    - On SQLite, a page cache (64 MiB) that holds the whole demo database (about 7 MB), so that the one
      open transaction does not spill changed pages to the file as it goes (with the default 2 MB cache:
      about 160 000 page writes for 1 000 customers, 800 with this one), and temporary tables (the tier
      review's) in memory. Both are settings of this connection only.
    """
    pragmas = {"cache_size": -64 * 1024, "temp_store": 2} if connection.vendor == "sqlite" else {}
    with override_settings(DEBUG=False):
        with connection.cursor() as cursor:
            before = {}
            for name, value in pragmas.items():
                cursor.execute(f"PRAGMA {name}")
                before[name] = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA {name} = {int(value)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for name, value in before.items():
                    cursor.execute(f"PRAGMA {name} = {int(value)}")


class Command(BaseCommand):
    help = (
        "Load a deterministic demo data set (customers, 12 months of purchases, redemptions, refunds, "
        "bonuses, adjustments) through the loyalty services. Does nothing if customers exist, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=3000, help="how many customers (default 3000)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--force", action="store_true", help="add demo data even if customers exist")

    def handle(self, *args, **options):
        # django-q says "Enqueued [boomerang] N" for every task queued: thousands of lines while seeding.
        logging.getLogger("django-q").setLevel(logging.WARNING)
        count = options["customers"]
        if count < 1:
            raise CommandError("--customers must be at least 1")
        existing = Customer.objects.count()
        if existing and not options["force"]:
            self.stdout.write(f"Demo data already present ({existing} customers); use --force to add anyway")
            return
        started = time.perf_counter()
        now = timezone.now()
        today = timezone.localdate(now)
        rng = random.Random(options["seed"])
        taken_phones, taken_emails = set(), set()
        if existing:  # --force: new customers must not collide with the ones already there
            taken_phones = set(Customer.objects.values_list("phone", flat=True))
            taken_emails = set(Customer.objects.exclude(email=None).values_list("email", flat=True))
        planner = Planner(rng=rng, today=today, count=count, taken_phones=taken_phones, taken_emails=taken_emails)
        # Today's history stops at this moment: nothing is recorded in the future.
        events = [event for event in planner.plan() if event.at <= now]
        seeder = Seeder(rng=rng)
        # One transaction for the whole load: one commit (one sync to disk) instead of one per service call.
        with bulk_load_connection(), transaction.atomic():
            for event in events:
                seeder.apply(event)
            result = daily_run(as_of=today, now=now)  # today's expiry, the tier review and the ledger check
            # Never leave a broken ledger behind: roll the whole load back. (The run checked it already; a
            # run skipped because another one held its lock did not.)
            if result.get("balance_mismatches", 0) or "skipped" in result:
                mismatches = ledger_problems(as_of=today)
                if mismatches:
                    raise CommandError(f"the ledger does not add up for these customers: {mismatches}")
        outstanding = PointsAccount.objects.aggregate(s=Sum("balance"))["s"] or 0
        totals = seeder.totals
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {totals.customers} customers, {totals.purchases} purchases "
                f"({totals.purchases_with_points} paid partly with points), {totals.refunds} refunds, "
                f"{totals.bonuses} bonuses, {totals.adjustments} adjustments; "
                f"{outstanding} points outstanding; {time.perf_counter() - started:.1f} s"
            )
        )
