"""The back office has no data of its own; this model only carries the role's permission."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsoleAccess(models.Model):
    """No table (`managed = False`): the anchor of the `console.view_dashboard` permission that the
    Marketing group holds. Moved here from `ProgramSettings` (issue #10), keeping the permission row."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboard", _("Can view the back-office overview and analytics"))]
        verbose_name = _("back-office access")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
