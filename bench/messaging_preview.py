"""Benchmark: rendering templates for real customers, as the template editor's preview and the notices do.

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python bench/messaging_preview.py

Needs a database with the demo data (`manage.py migrate`, `seed_demo`, `create_demo_users`; a year of
purchases, refunds, bonuses and tier reviews for 3 000 customers). Times `placeholder_values` (in Russian)
for the 200 customers who bought last, with its query count, then 100 POSTs of the editor's preview
endpoint (Django's test client, logged in as `marketing`), each rendering an SMS for one of them found by
card number. The first request pays the URL configuration's and templates' loading: it is shown apart.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from customers.models import Customer  # noqa: E402
from messaging.services import placeholder_values  # noqa: E402

PREVIEW = "/messages/templates/points_earned/sms/ru/preview/"
BODY = "{name}, у вас {balance}, до {next_tier} осталось {spend_needed}"


def main() -> None:
    customers = list(Customer.objects.order_by("-last_purchase_at", "-id")[:200])
    times, counts = [], set()
    for customer in customers:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            placeholder_values(customer, language="ru")
            times.append(time.perf_counter() - start)
        counts.add(len(queries))
    print(
        f"placeholder_values: {len(times)} customers, median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms, queries per customer {sorted(counts)}"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="marketing"))
    times = []
    for customer in customers[:100]:
        start = time.perf_counter()
        response = client.post(PREVIEW, {"body": BODY, "customer": customer.card_number}, HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200 and customer.name.split()[0] in response.content.decode()
    rest = times[1:]
    print(
        f"preview POST: first {times[0] * 1000:.0f} ms; the other {len(rest)}: median "
        f"{statistics.median(rest) * 1000:.1f} ms, max {max(rest) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
