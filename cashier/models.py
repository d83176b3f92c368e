"""The till has no data of its own; this model only carries the role's permission."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CashierAccess(models.Model):
    """No table (`managed = False`): the anchor of the `cashier.use_cashier` permission that the
    Cashiers group holds. Moved here from `ProgramSettings` (issue #10), keeping the permission row."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("use_cashier", _("Can use the cashier page"))]
        verbose_name = _("till access")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
