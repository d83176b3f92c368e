"""The back office has no data of its own; this model only carries the role's permission."""

from django.utils.translation import gettext_lazy as _

from core.models import PermissionAnchor


class ConsoleAccess(PermissionAnchor):
    """The anchor of the `console.view_dashboard` permission that the Marketing group holds. Moved here from
    `ProgramSettings` (issue #10), keeping the permission row."""

    class Meta(PermissionAnchor.Meta):
        permissions = [("view_dashboard", _("Can view the back-office overview and analytics"))]
        verbose_name = _("back-office access")
        verbose_name_plural = _("back-office access")
