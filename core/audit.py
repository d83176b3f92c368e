"""One vocabulary for the audit log: every audited action, with a label for people (translated).

Services pass an AuditAction to customers.services.audit_record; the stored value is the dotted code
(`points.adjust`), which filters and exports keep using; pages show the label.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CUSTOMER_ENROL = "customer.enrol", _("Customer enrolled")
    CUSTOMER_UPDATE = "customer.update", _("Customer profile changed")
    CUSTOMER_IMPORT = "customer.import", _("Customers imported")
    POINTS_ADJUST = "points.adjust", _("Manual adjustment")
    SETTINGS_UPDATE = "settings.update", _("Program settings changed")
    TIERS_UPDATE = "tiers.update", _("Tiers changed")
    API_CLIENT_CREATE = "api_client.create", _("API client created")
    API_CLIENT_REVOKE = "api_client.revoke", _("API client revoked")
    API_CLIENT_ROTATE = "api_client.rotate", _("API client given a new key")
