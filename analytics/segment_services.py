"""Writes of saved segments (issue #13): create, change the name or description, delete; each one
transaction with its audit row. The filter of a saved segment is fixed when it is created (save the list's
filter again under another name to change it)."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record

from .exceptions import SavedSegmentError
from .models import SavedSegment
from .segments import SEPARATOR, filter_describe, filter_params_clean, saved_segment_get

NAME_MAX = SavedSegment._meta.get_field("name").max_length
DESCRIPTION_MAX = SavedSegment._meta.get_field("description").max_length


def _name_check(name: str, *, exclude_id: int | None = None) -> str:
    """The name stripped; SavedSegmentError (field "name") when empty, too long or already used by
    another saved segment in any case ("Lapsed Gold" = "lapsed gold", "Спящие" = "СПЯЩИЕ").

    The case is folded in Python (str.casefold) over the existing names, not by the database: SQLite's
    LOWER() and LIKE fold only ASCII, so on the README's default database the constraint on Lower(name)
    lets "Спящие" and "СПЯЩИЕ" both in. There are few saved segments, so all names are read. The
    constraint stays as the guard against two concurrent creations."""
    name = (name or "").strip()
    if not name:
        raise SavedSegmentError(_("Enter the segment's name."), field="name")
    if len(name) > NAME_MAX:
        raise SavedSegmentError(_("The name can have at most %(n)s characters.") % {"n": NAME_MAX}, field="name")
    folded = name.casefold()
    others = SavedSegment.objects.exclude(pk=exclude_id).values_list("name", flat=True)
    if any(other.casefold() == folded for other in others):
        raise _duplicate(name)
    return name


def _duplicate(name: str) -> SavedSegmentError:
    return SavedSegmentError(_("A saved segment named “%(name)s” already exists.") % {"name": name}, field="name")


def _description_check(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise SavedSegmentError(
            _("The description can have at most %(n)s characters.") % {"n": DESCRIPTION_MAX}, field="description"
        )
    return description


def _locked(segment_id: int | str) -> SavedSegment:
    """The saved segment, locked for the rest of the transaction; SavedSegmentNotFound when there is none
    (or it was deleted meanwhile)."""
    segment = SavedSegment.objects.select_for_update().filter(pk=saved_segment_get(segment_id).pk).first()
    return segment or saved_segment_get(segment_id)


def saved_segment_create(
    *, name: str, description: str = "", filters: Mapping[str, str], actor: Any = None, origin: str = ""
) -> SavedSegment:
    """Save the customer-list filter `filters` (query parameters as the list's form sends them, in the
    active language) under `name` (unique in any case, at most 100 characters) with an optional
    `description` (at most 500). The filter is stored canonical (analytics.segments.filter_params_clean).

    Raises SavedSegmentError: an empty, too long or taken name ("name"), a too long description
    ("description"), an invalid or empty filter ("filters"). Nothing is written then. Audited
    (AuditAction.SEGMENT_CREATE, the filter in words in the actor's language)."""
    name = _name_check(name)
    description = _description_check(description)
    clean = filter_params_clean(filters)
    now = timezone.now()
    try:
        with transaction.atomic():
            segment = SavedSegment.objects.create(
                name=name,
                description=description,
                filters=clean,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=now,
                updated_at=now,
            )
            audit_record(
                action=AuditAction.SEGMENT_CREATE,
                obj=segment,
                summary=_("Created saved segment “%(name)s”") % {"name": name},
                actor=actor,
                origin=origin,
                changes={"name": name, "description": description, "filter": SEPARATOR.join(filter_describe(clean))},
            )
    except IntegrityError:
        raise _duplicate(name) from None  # created concurrently under the same name
    return segment


def saved_segment_update(
    *, segment_id: int | str, name: str, description: str = "", actor: Any = None, origin: str = ""
) -> SavedSegment:
    """Rename the saved segment and/or change its description (the filter stays). Raises
    SavedSegmentNotFound for an unknown id, SavedSegmentError as saved_segment_create does for the name
    and the description; nothing is written then, nor when nothing changes. Audited
    (AuditAction.SEGMENT_UPDATE: [old, new] of what changed)."""
    name = _name_check(name, exclude_id=saved_segment_get(segment_id).pk)
    description = _description_check(description)
    try:
        with transaction.atomic():
            segment = _locked(segment_id)
            changes: dict[str, Any] = {}
            if segment.name != name:
                changes["name"] = [segment.name, name]
            if segment.description != description:
                changes["description"] = [segment.description, description]
            if not changes:
                return segment
            changes.setdefault("name", name)  # the summary names the segment
            segment.name, segment.description, segment.updated_at = name, description, timezone.now()
            segment.save(update_fields=["name", "description", "updated_at"])
            audit_record(
                action=AuditAction.SEGMENT_UPDATE,
                obj=segment,
                summary=_("Changed saved segment “%(name)s”") % {"name": name},
                actor=actor,
                origin=origin,
                changes=changes,
            )
    except IntegrityError:
        raise _duplicate(name) from None
    return segment


def saved_segment_delete(*, segment_id: int | str, actor: Any = None, origin: str = "") -> None:
    """Delete the saved segment. Raises SavedSegmentNotFound for an unknown id (nothing is written). A
    saved segment whose filter names this one selects nobody from then on (its page says "Saved segment no
    longer exists"). Audited (AuditAction.SEGMENT_DELETE, with its name, description and filter in words).
    Raises SavedSegmentError (nothing is written) while a campaign targets it (campaigns.Campaign keeps its
    target segment, finished campaigns too, so that their results say whom they were for)."""
    with transaction.atomic():
        segment = _locked(segment_id)
        audit_record(
            action=AuditAction.SEGMENT_DELETE,
            obj=segment,
            summary=_("Deleted saved segment “%(name)s”") % {"name": segment.name},
            actor=actor,
            origin=origin,
            changes={
                "name": segment.name,
                "description": segment.description,
                "filter": SEPARATOR.join(filter_describe(segment.filters)),
            },
        )
        try:  # the audit row goes with the rest: the whole transaction is undone on a refusal
            segment.delete()
        except ProtectedError as error:
            names = sorted({str(obj) for obj in error.protected_objects})
            raise SavedSegmentError(
                _("Campaigns target this segment, so it cannot be deleted: %(names)s.")
                % {"names": ", ".join(f"“{name}”" for name in names)}
            ) from None
