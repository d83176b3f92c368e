from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_functions(sender, connection, **kwargs) -> None:
    """Give SQLite the SQL twin of campaigns.rules.bucket (PostgreSQL has it from migration 0002)."""
    if connection.vendor == "sqlite":
        from .rules import bucket

        connection.connection.create_function(
            "campaign_bucket", 3, lambda campaign, customer, salt: bucket(campaign, customer, salt), deterministic=True
        )


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        connection_created.connect(_sqlite_functions, dispatch_uid="campaigns_sqlite_functions")
        from .audit import register
        from .subscribers import subscribe

        subscribe()
        register()
