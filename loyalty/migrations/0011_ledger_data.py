"""Ledger exactness, step 2 of 3: bring existing rows inside the rules the constraints of 0012 add."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

MAX_DAYS = 36500


def settings_within_bounds(apps, schema_editor):
    """Bring a saved settings row inside the new constraints (day counts ≤ 100 years, a lifetime longer
    than the activation delay) before they are added, so that the migration never fails on old data."""
    ProgramSettings = apps.get_model("loyalty", "ProgramSettings")
    for row in ProgramSettings.objects.all():
        for field in ("points_lifetime_days", "activation_delay_days", "tier_window_days", "tier_grace_days"):
            value = getattr(row, field)
            if value is not None and value > MAX_DAYS:
                setattr(row, field, MAX_DAYS)
        if row.activation_delay_days >= MAX_DAYS:
            row.activation_delay_days = MAX_DAYS - 1
        if row.points_lifetime_days is not None and row.points_lifetime_days <= row.activation_delay_days:
            row.points_lifetime_days = row.activation_delay_days + 1
        row.save()


def receipts_once(apps, schema_editor):
    """Purchases recorded twice under one receipt number before the rule existed keep their number on
    the first; later ones get `~<id>` appended, so that the unique constraints can be added."""
    Purchase = apps.get_model("loyalty", "Purchase")
    duplicated = (
        Purchase.objects.exclude(external_id="").values("origin", "external_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    for group in duplicated:
        later = Purchase.objects.filter(origin=group["origin"], external_id=group["external_id"]).order_by("id")[1:]
        for purchase in later:
            purchase.external_id = f"{purchase.external_id[:88]}~{purchase.pk}"
            purchase.save(update_fields=["external_id"])


def shortfalls_become_points_owed(apps, schema_editor):
    """Shortfalls recorded by refunds before points owed existed were forgotten; they become the debt
    that later credits pay first (set-based: one UPDATE from an aggregate)."""
    PointsAccount = apps.get_model("loyalty", "PointsAccount")
    Refund = apps.get_model("loyalty", "Refund")
    owed = (
        Refund.objects.filter(purchase__customer_id=OuterRef("pk"), points_shortfall__gt=0)
        .values("purchase__customer_id")
        .annotate(total=Sum("points_shortfall"))
        .values("total")
    )
    PointsAccount.objects.filter(
        pk__in=Refund.objects.filter(points_shortfall__gt=0).values("purchase__customer_id")
    ).update(points_owed=Coalesce(Subquery(owed), 0))


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0010_ledger_exactness")]

    operations = [
        migrations.RunPython(settings_within_bounds, migrations.RunPython.noop),
        migrations.RunPython(shortfalls_become_points_owed, migrations.RunPython.noop),
        migrations.RunPython(receipts_once, migrations.RunPython.noop),
    ]
