"""How the audit log reads a message template's code ("campaign:7 / email / en", messaging's
MessageTemplate.__str__): its kind by its label (a campaign's by the campaign's name), its channel and
language by theirs. Registered with core.audit from ConsoleConfig.ready: the console reads both messaging
and campaigns, which messaging may not."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campaigns.selectors import campaign_kind_labels
from core.audit import AuditAction, AuditField, audit_fields_register
from messaging.models import Channel
from messaging.selectors import kind_label


def template_audit_label(value) -> str:
    """A stored template code in the active language: "campaign:7 / email / en" → "Campaign “Spring” /
    Email / English" (one query for a campaign's kind). ValueError for a value not of three parts."""
    kind, channel, language = (part.strip() for part in str(value).split(" / "))
    kind_text = campaign_kind_labels([kind]).get(kind) or kind_label(kind)
    channel_text = dict(Channel.choices).get(channel, channel)
    language_text = dict(settings.LANGUAGES).get(language, language)
    return f"{kind_text} / {channel_text} / {language_text}"


def register() -> None:
    audit_fields_register(
        AuditAction.MESSAGE_TEMPLATE_SAVE, {"template": AuditField(_("Template"), reader=template_audit_label)}
    )
