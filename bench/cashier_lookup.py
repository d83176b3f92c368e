"""Benchmark: the till with 1 000 000 customers on PostgreSQL.

    .venv/bin/python bench/cashier_lookup.py [--customers 1000000] [--lookups 2000] [--purchases 500] [--reload]

Bulk-loads customers with COPY (valid phones, Luhn-checked card numbers, Russian names stored "first
name surname", a tenth of them with ё) into its own database `boomerang_bench_till` (override with
BENCH_DATABASE_URL); the data stays for the next run unless --reload. Then, in this process, it sends
requests through Django's full stack (middleware, session auth, the view, the template) with the test
client, and reports the server-side time:
- lookup by kind, each POST /cashier/ q=… (--lookups of each):
  - phone or card: a random customer's phone typed in one of three formats, or a card number as a
    scanner types it (one match → the redirect to the card);
  - last 4 digits: `4567` (100 customers end so at 1 000 000: 20 of them in the pick list);
  - surname first: `степанова валерия` for "Валерия Степанова" (about 50 customers share a full name);
  - ё typed as е: `Семенова Алена` for "Алёна Семёнова";
  - surname + last 4 digits: `Степанова 4567` (mostly one customer: the card; a pick list where the
    surname is inside another, as Панов in Степанов);
  - surname only: `Степанова` (about 2 400 customers: 20 of them, "add the name");
- card: GET /cashier/customer/<id>/ (what the cashier sees next);
- purchase: POST /cashier/customer/<id>/purchase/ redeeming points, the receipt redirect included.
Goals on this 2-core machine: lookup p95 under 20 ms (every kind), purchase under 50 ms.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _database import ensure_database  # noqa: E402 - bench/ is on sys.path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boomerang_bench_till"
)
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)


def card_for(i: int) -> str:
    from customers.rules import luhn_check_digit

    body = "27" + f"{i:010d}"
    return body + luhn_check_digit(body)


def phone_for(i: int) -> str:
    return f"+7912{i:07d}"


# Common Russian surnames (the masculine form; name_for makes the feminine one) and first names, a few
# dozen of them with ё, so that a full name is shared by about 50 of 1 000 000 customers and a surname by
# about 2 400: as crowded as a big city's base, more than a small shop's.
SURNAMES = """Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков
Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров
Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев
Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов
Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков
Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев
Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов
Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов
Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов
Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов
Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев
Харитонов Князев Цветков Левин Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов
Майоров Демидов Елисеев Рыбаков Сафонов Плотников Демин Хохлов Жданов Руденко Шевченко Мясников Носов
Субботин Блинов Кошелев Ершов Рябов Пугачёв Горбачёв Шубин Носков Лаптев Третьяков Дьячков Бобров Зуев
Кравцов Дорофеев Осипенко Попков Баженов Рогов Мухин Агафонов Суханов Шаров Зимин Щукин Быстров Лёвин
Рожков Веселов Уваров Пестов Фадеев Шилов Костин Голованов Корнилов Игнатов Евдокимов Зиновьев Широков""".split()
MALE_NAMES = """Александр Алексей Андрей Антон Артём Борис Вадим Валерий Василий Виктор Виталий Владимир
Владислав Вячеслав Геннадий Георгий Глеб Григорий Даниил Денис Дмитрий Евгений Егор Иван Игорь Илья Кирилл
Константин Лев Леонид Максим Марк Матвей Михаил Никита Николай Олег Павел Пётр Роман Руслан Семён Сергей
Станислав Степан Тимофей Тимур Фёдор Юрий Ярослав""".split()
FEMALE_NAMES = """Александра Алёна Алина Алла Анастасия Ангелина Анна Антонина Валентина Валерия Вера Вероника
Виктория Галина Дарья Диана Ева Евгения Екатерина Елена Елизавета Жанна Зоя Инна Ирина Карина Кира Ксения
Лариса Лидия Любовь Людмила Маргарита Марина Мария Надежда Наталья Нина Оксана Олеся Ольга Полина Светлана
София Таисия Тамара Татьяна Ульяна Юлия Яна""".split()


def surname_for(i: int) -> str:
    surname = SURNAMES[(i // 2) % len(SURNAMES)]
    if i % 2 and surname.endswith(("ов", "ев", "ёв", "ин")):  # odd: a woman (Руденко stays Руденко)
        return surname + "а"
    return surname


def name_for(i: int) -> str:
    """The i-th customer's name, "first name surname" as the till's enrol form stores it."""
    first_names = FEMALE_NAMES if i % 2 else MALE_NAMES
    return f"{first_names[(i // (2 * len(SURNAMES))) % len(first_names)]} {surname_for(i)}"


def load(n: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE customers_customer, loyalty_purchase, loyalty_tierstatus, loyalty_tierchange, "
            "loyalty_purchaseline, loyalty_refund, loyalty_ledgerentry, loyalty_pointslot, loyalty_lotdebit, "
            "loyalty_pointsaccount, customers_auditentry RESTART IDENTITY CASCADE"
        )
    started = time.perf_counter()
    raw = connection.connection  # the psycopg connection under Django's
    with raw.cursor() as cur:
        with cur.copy(
            "COPY customers_customer (name, phone, card_number, consent_email, consent_sms, referral_code, notes,"
            " language, enrol_fingerprint, created_at) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row(
                    (
                        name_for(i),
                        phone_for(i),
                        card_for(i),
                        i % 3 == 0,
                        i % 4 == 0,
                        f"B{i:09d}",
                        "",
                        "ru",
                        "",
                        "2026-01-01",
                    )
                )
    raw.commit()
    with connection.cursor() as cur:
        cur.execute("ANALYZE customers_customer")
    print(f"loaded {n:,} customers with COPY in {time.perf_counter() - started:.1f} s", flush=True)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {p50 * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms   max {ordered[-1] * 1000:6.2f} ms  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--purchases", type=int, default=500)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from cashier.views import PICK_LIST_SIZE
    from customers.models import Customer
    from customers.selectors import customer_lookup
    from loyalty import services

    call_command("migrate", verbosity=0)
    last = Customer.objects.filter(pk=args.customers).values_list("name", flat=True).first()
    if args.reload or Customer.objects.count() != args.customers or last != name_for(args.customers):
        load(args.customers)
    else:
        print(f"reusing {args.customers:,} loaded customers (pass --reload to load again)")

    cashier, _ = User.objects.get_or_create(username="bench-cashier")
    cashier.groups.add(Group.objects.get(name="Cashiers"))
    client = Client()
    client.force_login(cashier)
    rng = random.Random(7)

    formats = [
        lambda i: phone_for(i),
        lambda i: f"8 (912) {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}",
        lambda i: f"+7 912 {i // 10000 % 1000:03d} {i // 100 % 100:02d} {i % 100:02d}",
        lambda i: card_for(i),
    ]

    def surname_first(i: int) -> str:
        first, surname = name_for(i).split(" ", 1)
        return f"{surname} {first}"

    yo = [i for i in range(1, min(args.customers, 20_000) + 1) if "ё" in name_for(i)]
    kinds = {  # kind: (the query for customer i, how customers are picked, what the till answers)
        "phone or card": (lambda i: rng.choice(formats)(i), None, {302}),
        "last 4 digits": (lambda i: phone_for(i)[-4:], None, {200}),
        "surname first": (lambda i: surname_first(i).lower(), None, {200, 302}),
        "ё typed as е": (lambda i: surname_first(i).replace("ё", "е"), yo, {200, 302}),
        "surname + last 4": (lambda i: f"{surname_for(i)} {phone_for(i)[-4:]}", None, {200, 302}),
        "surname only": (lambda i: surname_for(i), None, {200}),
    }
    for _ in range(50):  # warm up connections and caches
        client.post("/cashier/", {"q": phone_for(rng.randint(1, args.customers))})

    lookups: dict[str, list[float]] = {kind: [] for kind in kinds}
    queries: dict[str, list[float]] = {kind: [] for kind in kinds}  # customer_lookup alone: the database's part
    card = []
    load_before = os.getloadavg()[0]
    for _ in range(args.lookups):
        for kind, (query_for, pick_from, statuses) in kinds.items():
            i = rng.choice(pick_from) if pick_from else rng.randint(1, args.customers)
            query = query_for(i)
            t = time.perf_counter()
            response = client.post("/cashier/", {"q": query})
            lookups[kind].append(time.perf_counter() - t)
            assert response.status_code in statuses, (kind, query, response.status_code)
            if response.status_code == 302:
                assert response.url == f"/cashier/customer/{i}/", (kind, query, response.url)
            else:
                assert 'id="results"' in response.content.decode(), (kind, query)
            if kind == "phone or card":
                t = time.perf_counter()
                client.get(response.url)
                card.append(time.perf_counter() - t)
            t = time.perf_counter()
            customer_lookup(query, limit=PICK_LIST_SIZE + 1)
            queries[kind].append(time.perf_counter() - t)

    # Give the purchase customers some points first, through the service.
    buyers = [rng.randint(1, args.customers) for _ in range(args.purchases)]
    for i in set(buyers):
        services.points_award(customer_id=i, points=500, reason="bench opening balance")
    purchase = []
    for i in buyers:
        data = {"amount": f"{rng.randint(300, 5000)}.00", "redeem_points": "50", "idempotency_key": uuid.uuid4().hex}
        t = time.perf_counter()
        response = client.post(f"/cashier/customer/{i}/purchase/", data)
        purchase.append(time.perf_counter() - t)
        assert response.status_code == 302, response.content[:500]

    for kind, samples in lookups.items():
        print(f"lookup: {kind:<17} (POST /cashier/)        {percentiles(samples)}")
        print(f"        {'':<17} (customer_lookup alone) {percentiles(queries[kind])}")
    print(f"card                     (GET /cashier/customer/<id>/)   {percentiles(card)}")
    print(f"purchase                 (POST …/purchase/, with points) {percentiles(purchase)}")
    print("goals: lookup p95 < 20 ms, purchase < 50 ms")
    print(f"load average (1 min) {load_before:.1f} before the lookups, {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
