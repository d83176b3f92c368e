from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CashierConfig(AppConfig):
    """The till screens (/cashier/): find a customer, ring up a purchase with points, refund, enrol.
    A screen on top: it may import every domain app, and nothing imports it."""

    name = "cashier"
    verbose_name = _("Till")
