"""The audited actions, with a label for people (translated); `core.models.AuditEntry.action` stores the
dotted code."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CUSTOMER_ENROL = "customer.enrol", _("Customer enrolled")
    CUSTOMER_UPDATE = "customer.update", _("Customer profile changed")
    CUSTOMER_IMPORT = "customer.import", _("Customers imported")
    CUSTOMER_EXPORT = "customer.export", _("Customer's personal data exported")
    CUSTOMER_ERASE = "customer.erase", _("Customer's personal data erased")
    CUSTOMER_CONSENT = "customer.consent", _("Marketing consent changed")
    POINTS_ADJUST = "points.adjust", _("Manual adjustment")
    PURCHASE_RECORD = "purchase.record", _("Purchase recorded")
    PURCHASE_REFUND = "purchase.refund", _("Purchase refunded")
    SETTINGS_UPDATE = "settings.update", _("Program settings changed")
    TIERS_UPDATE = "tiers.update", _("Tiers changed")
    API_CLIENT_CREATE = "api_client.create", _("API client created")
    API_CLIENT_REVOKE = "api_client.revoke", _("API client revoked")
    API_CLIENT_ROTATE = "api_client.rotate", _("API client given a new key")
    ANALYTICS_SETTINGS_UPDATE = "analytics_settings.update", _("Analytics settings changed")
    SEGMENT_CREATE = "segment.create", _("Saved segment created")
    SEGMENT_UPDATE = "segment.update", _("Saved segment changed")
    SEGMENT_DELETE = "segment.delete", _("Saved segment deleted")
    MESSAGE_QUEUE = "message.queue", _("Message queued")
    MESSAGE_TEMPLATE_SAVE = "message_template.save", _("Message template saved")
    NOTICE_SETTING_UPDATE = "notice_setting.update", _("Notice settings changed")
    CAMPAIGN_CREATE = "campaign.create", _("Campaign created")
    CAMPAIGN_UPDATE = "campaign.update", _("Campaign changed")
    CAMPAIGN_LAUNCH = "campaign.launch", _("Campaign launched")
    CAMPAIGN_PAUSE = "campaign.pause", _("Campaign paused")
    CAMPAIGN_RESUME = "campaign.resume", _("Campaign resumed")
    CAMPAIGN_FINISH = "campaign.finish", _("Campaign finished")
    CAMPAIGN_LIST_UPLOAD = "campaign.list_upload", _("Campaign list uploaded")
    CAMPAIGN_STATUS = "campaign.status", _("Campaign status changed")
    CAMPAIGN_DELETE = "campaign.delete", _("Draft campaign deleted")


# What `customer_erase` leaves in place of every personal value of a customer's earlier entries.
ERASED = "(erased)"
# `object_type` of an entry about a customer (customers.Customer's label).
CUSTOMER_OBJECT = "customers.customer"
