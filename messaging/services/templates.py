"""Message templates: saved per kind, channel and language, with only the known placeholders."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record

from .. import rules
from ..exceptions import MessagingError, TemplateInvalid, UnknownChannel
from ..models import Channel, MessageTemplate


def _placeholders_check(text: str, field: str) -> None:
    """Raise TemplateInvalid (on `field`) for a malformed brace or a placeholder not in rules.PLACEHOLDERS."""
    try:
        unknown = rules.template_unknown_placeholders(text)
    except rules.PlaceholderError as error:
        if error.fragment:
            message = _(
                "“%(fragment)s” is not a placeholder: braces must enclose a name such as {name}; write {{ and }} for a brace itself."
            ) % {"fragment": error.fragment}
        else:
            message = _(
                "A brace opens or closes nothing: braces must enclose a placeholder such as {name}; write {{ and }} for a brace itself."
            )
        raise TemplateInvalid(message, field=field) from error
    if unknown:
        raise TemplateInvalid(
            _("Unknown placeholders: %(unknown)s. Use only: %(known)s.")
            % {
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in rules.PLACEHOLDERS),
            },
            field=field,
        )


def template_check(*, subject: str, body: str) -> None:
    """Check a template's subject and text as template_save does, without saving: TemplateInvalid (on
    "body" or "subject") for an empty text, a malformed brace or a placeholder not in rules.PLACEHOLDERS.
    The editor's live preview calls it on every keystroke."""
    if not body.strip():
        raise TemplateInvalid(_("A template needs a text."), field="body")
    _placeholders_check(subject, "subject")
    _placeholders_check(body, "body")


def template_save(
    *,
    kind: str,
    channel: str,
    language: str,
    body: str,
    subject: str = "",
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> MessageTemplate:
    """Create or change the template of `kind` on `channel` in `language` (one of settings.LANGUAGES).
    Refused with TemplateInvalid (nothing written) when the text is empty or the subject or text holds a
    malformed brace or an unknown placeholder (issue #14: "unknown placeholders refused when saving");
    UnknownChannel, MessagingError (unknown language, empty kind). Audited (`message_template.save`) with
    the subject and text old → new, each only when it changed. Returns the template."""
    kind = kind.strip()
    if not kind:
        raise MessagingError(_("A template needs a kind."), field="kind")
    if channel not in Channel.values:
        raise UnknownChannel(_("Unknown channel “%(channel)s”.") % {"channel": channel})
    if language not in dict(settings.LANGUAGES):
        raise MessagingError(_("Unknown language “%(language)s”.") % {"language": language}, field="language")
    template_check(subject=subject, body=body)
    now = now or timezone.now()
    with transaction.atomic():
        template = (
            MessageTemplate.objects.select_for_update().filter(kind=kind, channel=channel, language=language).first()
        )
        old = (template.subject, template.body) if template else ("", "")
        if template is None:
            template = MessageTemplate(kind=kind, channel=channel, language=language)
        elif old == (subject, body):
            return template
        template.subject, template.body, template.updated_at = subject, body, now
        template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        template.save()
        audit_record(
            action=AuditAction.MESSAGE_TEMPLATE_SAVE,
            obj=template,
            summary=_("Template %(template)s saved") % {"template": str(template)},
            actor=actor,
            origin=origin,
            changes={
                "template": str(template),
                # only what changed: an SMS (no subject) never logs "Subject: — → —"
                **({"subject": [old[0], subject]} if old[0] != subject else {}),
                **({"body": [old[1], body]} if old[1] != body else {}),
            },
            at=now,
        )
    return template
