"""RFM snapshot retention (analytics.services.rfm_snapshots_to_keep / rfm_snapshots_prune) on hand-made dates,
and the daily task's window from the analytics settings.

Latest snapshot L = 30 Nov 2026. Kept: every snapshot after L − 35 days (27 Oct … 30 Nov), and the first
snapshot of each calendar month from November 2024 (24 months before L's month) on."""

import datetime as dt
from decimal import Decimal as D

import pytest

from analytics.models import AnalyticsSettings, RfmScore, RfmSnapshot
from analytics.selectors import analytics_settings_get
from analytics.services import rfm_snapshots_prune, rfm_snapshots_to_keep
from analytics.tasks import rfm_snapshot_task
from loyalty.tests.helpers import at, buy

d = dt.date.fromisoformat
KEPT = {
    d("2026-11-30"): "the latest",
    d("2026-10-27"): "the 35th day back (L − 34)",
    d("2026-10-01"): "the first of October",
    d("2025-03-15"): "the first (and only) one of March 2025",
    d("2024-11-03"): "the first of November 2024, the 24th month back",
}
DROPPED = {
    d("2026-10-26"): "L − 35, not the first of its month",
    d("2026-10-02"): "the second of October",
    d("2025-03-20"): "the second of March 2025",
    d("2024-10-31"): "the first of October 2024, 25 months back",
}


def test_the_rule_keeps_35_days_and_the_first_of_each_month_for_24_months():
    assert rfm_snapshots_to_keep([*KEPT, *DROPPED]) == set(KEPT)
    assert rfm_snapshots_to_keep([]) == set()


@pytest.mark.django_db
def test_pruning_deletes_the_dropped_snapshots_and_their_rows(program, customer_factory):
    people = [customer_factory(name=f"C{i}") for i in range(3)]
    for day in [*KEPT, *DROPPED]:
        snapshot = RfmSnapshot.objects.create(as_of=day, window_days=365, computed_at=at(day), customers=3)
        RfmScore.objects.bulk_create(
            RfmScore(snapshot=snapshot, customer=c, recency_days=1, frequency=1, monetary=D("1.00"),
                     recency_score=1, frequency_score=1, monetary_score=1, segment="lost")
            for c in people
        )  # fmt: skip
    assert rfm_snapshots_prune() == 4
    assert set(RfmSnapshot.objects.values_list("as_of", flat=True)) == set(KEPT)
    assert RfmScore.objects.count() == 3 * len(KEPT)
    assert rfm_snapshots_prune() == 0  # nothing more to drop


@pytest.mark.django_db
def test_the_daily_task_uses_the_window_setting_then_prunes(program, customer_factory):
    """Z bought on 1 March and 20 May 2026: over 365 days before 1 June F = 2, over 30 days F = 1."""
    z = customer_factory(name="Z", now=at(d("2026-01-01")))
    buy(z, D("100.00"), now=at(d("2026-03-01")))
    buy(z, D("100.00"), now=at(d("2026-05-20")))
    RfmSnapshot.objects.create(as_of=d("2026-04-02"), window_days=365, computed_at=at(d("2026-04-02")))
    RfmSnapshot.objects.create(as_of=d("2026-04-03"), window_days=365, computed_at=at(d("2026-04-03")))
    analytics_settings_get()
    AnalyticsSettings.objects.filter(pk=1).update(rfm_window_days=30)
    # 3 April is 59 days before 1 June and not the first of its month: dropped.
    assert rfm_snapshot_task("2026-06-01") == {"date": "2026-06-01", "customers": 1, "pruned": 1}
    snapshot = RfmSnapshot.objects.get(as_of=d("2026-06-01"))
    assert snapshot.window_days == 30
    assert RfmScore.objects.get(snapshot=snapshot).frequency == 1
    assert set(RfmSnapshot.objects.values_list("as_of", flat=True)) == {d("2026-04-02"), d("2026-06-01")}
