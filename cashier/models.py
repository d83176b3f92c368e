"""The till has no data of its own; this model only carries the role's permission."""

from django.utils.translation import gettext_lazy as _

from core.models import PermissionAnchor


class CashierAccess(PermissionAnchor):
    """The anchor of the `cashier.use_cashier` permission that the Cashiers group holds. Moved here from
    `ProgramSettings` (issue #10), keeping the permission row."""

    class Meta(PermissionAnchor.Meta):
        permissions = [("use_cashier", _("Can use the cashier page"))]
        verbose_name = _("till access")
        verbose_name_plural = _("till access")
