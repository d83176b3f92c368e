"""Create and edit a campaign (campaign_create, campaign_update): the values checked by `fields`, the
tiers and variants written, the audit row with what changed."""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditAction, audit_diff, audit_record, audit_value, audit_values_equal
from core.formatting import points_format
from core.idempotency import once_per_key, request_fingerprint
from core.models import FormSubmission

from ...exceptions import CampaignError
from ...models import Campaign, CampaignVariant
from ...selectors import campaign_points_granted
from .fields import (
    FIELDS,
    FIELDS_WHILE_RUNNING,
    Status,
    _campaign_locked,
    _check_end_ahead,
    _check_fields,
    _check_kind_variants,
    _check_variants,
    _clean_values,
    _tiers_check,
)
from .status import campaign_budget_problem, campaign_channels_problem


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    """The campaign's fields, tiers and variants as the model holds them (`audit_diff` compares and stores
    them as JSON)."""
    values = {name: getattr(campaign, name if name != "target_saved_segment" else name + "_id") for name in FIELDS}
    values["status"] = campaign.status
    if campaign.pk:
        values["target_tiers"] = sorted(campaign.target_tiers.values_list("pk", flat=True))
        values["variants"] = [f"{v.code}:{v.points}×{v.weight}" for v in campaign.variants.order_by("code")]
    return values


def _apply(campaign: Campaign, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(campaign, name, value)


def _variants_write(campaign: Campaign, variants: list[dict[str, Any]]) -> None:
    campaign.variants.all().delete()  # a draft's variants: nothing refers to them yet
    CampaignVariant.objects.bulk_create(CampaignVariant(campaign=campaign, **variant) for variant in variants)


def campaign_create(
    *,
    values: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]] = (),
    tier_ids: Sequence[int] = (),
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> Campaign:
    """Create a draft campaign from `values` (field name → value, names in FIELDS; the model's defaults
    for the rest), its A/B `variants` ({"code", "points", "weight"}: none, or two or more with distinct
    codes) and, for a "tiers" target, `tier_ids`. Nothing grants until it is launched (campaign_launch).

    Raises CampaignError (on the field at fault; nothing written): an empty name, an unknown kind, target,
    consent, RFM segment, action or channel, an end not after the start, a holdout outside 0–90 %, bad
    absence steps, weekdays or hours, variants with one member, a duplicate code or a bad weight. ValueError
    for a key that is not in FIELDS (a programming error). Audited (AuditAction.CAMPAIGN_CREATE, every
    value).

    `idempotency_key` (the form's one-time key, ≤ 100 characters): the first call with it creates the
    campaign; any later one creates nothing and returns that campaign (whatever it posts: a double click of
    "Create"), or None when that draft was deleted since."""
    if idempotency_key:
        return once_per_key(
            model=FormSubmission,
            key=f"campaign.create:{idempotency_key}",
            fingerprint=_CREATE_FINGERPRINT,
            create=lambda _locked: _create_keyed(
                idempotency_key=f"campaign.create:{idempotency_key}",
                values=values,
                variants=variants,
                tier_ids=tier_ids,
                actor=actor,
                origin=origin,
                now=now,
            ),  # fmt: skip
            replay=lambda row: Campaign.objects.filter(pk=int(row.object_id)).first(),
            lock=lambda: _key_lock(f"campaign.create:{idempotency_key}"),
        )
    now = now or timezone.now()
    campaign = Campaign(created_at=now, updated_at=now, status=Status.DRAFT)
    _apply(campaign, _clean_values(values))
    _check_fields(campaign, now=now)
    _check_end_ahead(campaign.ends_at, now=now)
    clean_variants = _check_variants(variants)
    _check_kind_variants(campaign, clean_variants)
    ids = _tiers_check(tier_ids)
    campaign.created_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        campaign.save()
        campaign.target_tiers.set(ids)
        _variants_write(campaign, clean_variants)
        audit_record(
            action=AuditAction.CAMPAIGN_CREATE,
            obj=campaign,
            summary=_("Created campaign “%(name)s”") % {"name": campaign.name},
            actor=actor,
            origin=origin,
            changes={name: audit_value(value) for name, value in _snapshot(campaign).items()},
        )
    return campaign


def _budget_change(campaign: Campaign, new: int | None) -> None:
    """Check a new points budget (None = no budget) of a locked campaign: any value at least the points
    already granted (campaign_points_granted), up or down, or none. A boost that had no budget kept no
    counter (its points are its grant rows'): given one, its counter starts from what its rows granted net
    of refunds (the figure its page and results show).
    Raises CampaignError on "budget_points" naming the points granted."""
    granted = campaign_points_granted(campaign)
    if new is not None and new < granted:
        raise CampaignError(
            ngettext(
                "The budget cannot be below the %(granted)s point already granted.",
                "The budget cannot be below the %(granted)s points already granted.",
                granted,
            )
            % {"granted": points_format(granted)},
            field="budget_points",
        )
    if new is not None and campaign.budget_points is None:
        campaign.points_granted = granted


def _check_launched_edit(campaign: Campaign, *, budget_changed: bool, channels_changed: bool) -> None:
    """The launch checks of the fields a launched campaign may change, on the values it is about to save:
    a changed budget must still cover the largest grant, changed channels must each have a template (a
    broadcast at least one); a boost's are not checked, as at launch (campaign_budget_problem,
    campaign_channels_problem). An unchanged field is not checked again (a template deleted since does not
    block renaming the campaign). Raises the CampaignError launch would, its channels' message pointing to
    the campaign's page (the edit page has no Messages section)."""
    if budget_changed and (error := campaign_budget_problem(campaign, list(campaign.variants.all()))):
        raise error
    if channels_changed and (error := campaign_channels_problem(campaign, on_edit=True)):
        raise error


def campaign_update(
    *,
    campaign_id: int,
    values: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]] | None = None,
    tier_ids: Sequence[int] | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
) -> Campaign:
    """Change a campaign. A draft: any of FIELDS, its `variants` and `tier_ids` (None = leave them). A
    launched one (scheduled, active, paused): only FIELDS_WHILE_RUNNING, the end not in the past and the
    budget any value not below the points already granted, or none (see the module's docstring), and a
    changed budget or channels pass launch's checks (_check_launched_edit: the budget covers the largest
    grant, each channel has a template, a broadcast has a channel); a
    value of another field that differs from the stored one, or variants or tiers that differ, are refused.
    A finished campaign cannot change.

    Raises CampaignError as campaign_create does, and for the rules above (nothing written). Audited
    (AuditAction.CAMPAIGN_UPDATE: [old, new] of each change) when something changed."""
    now = now or timezone.now()
    clean = _clean_values(values)
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        before = _snapshot(campaign)
        before_end = campaign.ends_at
        if campaign.status == Status.FINISHED:
            raise CampaignError(_("A finished campaign cannot be changed."))
        running = campaign.status != Status.DRAFT
        if running:
            clean.pop("kind", None)  # the form shows it but it is fixed
            frozen = {name for name, value in clean.items() if name not in FIELDS_WHILE_RUNNING}
            for name in sorted(frozen):
                current = getattr(campaign, name if name != "target_saved_segment" else name + "_id")
                value = clean[name]
                value = getattr(value, "pk", value)
                if not audit_values_equal(current, value):
                    raise CampaignError(
                        _(
                            "Only the name, end, budget, channels and response window of a launched campaign can change."
                        ),
                        field=name,
                    )
                del clean[name]
            new_end = clean.get("ends_at", campaign.ends_at)
            if new_end != campaign.ends_at and new_end is not None and new_end <= now:
                raise CampaignError(
                    _("A launched campaign's end can only move to a moment still ahead (or finish it)."),
                    field="ends_at",
                )
            if variants is not None and _check_variants(variants) != [
                {"code": v.code, "points": v.points, "weight": v.weight} for v in campaign.variants.order_by("code")
            ]:
                raise CampaignError(_("A launched campaign's variants cannot change."), field="variants")
            if tier_ids is not None and sorted(set(map(int, tier_ids))) != before["target_tiers"]:
                raise CampaignError(_("A launched campaign's target cannot change."), field="target_tiers")
        if "budget_points" in clean and clean["budget_points"] != campaign.budget_points:
            _budget_change(campaign, clean["budget_points"])
        old_budget, old_channels = campaign.budget_points, list(campaign.channels or [])
        _apply(campaign, clean)
        _check_fields(campaign, now=now)
        if running:
            _check_launched_edit(
                campaign,
                budget_changed=campaign.budget_points != old_budget,
                channels_changed=list(campaign.channels or []) != old_channels,
            )
        if not running:
            if campaign.ends_at != before_end:
                _check_end_ahead(campaign.ends_at, now=now)
            if variants is not None:
                clean_variants = _check_variants(variants)
                _check_kind_variants(campaign, clean_variants)
                _variants_write(campaign, clean_variants)
            if tier_ids is not None:
                campaign.target_tiers.set(_tiers_check(tier_ids))
        campaign.updated_at = now
        campaign.save()
        changes = audit_diff(before, _snapshot(campaign))
        if changes:
            audit_record(
                action=AuditAction.CAMPAIGN_UPDATE,
                obj=campaign,
                summary=_("Changed campaign “%(name)s”") % {"name": campaign.name},
                actor=actor,
                origin=origin,
                changes={**changes, "campaign": campaign.name},
            )
        else:
            transaction.set_rollback(True)  # nothing changed: not even updated_at
    return campaign


_CREATE_FINGERPRINT = request_fingerprint({"form": "campaign.create"})  # any repeat replays the first


def _key_lock(key: str) -> None:
    """Serialise two submissions of one key (a double click: both requests at once) on PostgreSQL, so the
    second finds the first's row instead of creating a second campaign."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _create_keyed(*, idempotency_key: str, **kwargs: Any) -> Campaign:
    campaign = campaign_create(**kwargs)
    FormSubmission.objects.create(
        idempotency_key=idempotency_key,
        request_fingerprint=_CREATE_FINGERPRINT,
        object_type=Campaign._meta.label_lower,
        object_id=str(campaign.pk),
    )
    return campaign


def campaign_delete(*, campaign_id: int, actor: Any = None, origin: str = "") -> str:
    """Delete a draft campaign (its variants, tiers, uploaded list and message templates with it) and
    return its name. Only a draft: a launched or finished one has grants, messages and results to keep,
    so CampaignError says so (a launched one: finish it instead; a finished one: it stays for its results)
    and nothing is deleted. Audited (AuditAction.CAMPAIGN_DELETE, every value
    the draft had)."""
    from messaging.models import MessageTemplate

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise CampaignError(_("This campaign does not exist (any more)."))
        if campaign.status == Status.FINISHED:  # nothing to advise: its results are what it is kept for
            raise CampaignError(_("A finished campaign stays for its results; it cannot be deleted."))
        if campaign.status != Status.DRAFT:  # launched (scheduled, active, paused): finishing is the way out
            raise CampaignError(
                _("Only a draft can be deleted; this campaign is %(status)s. Finish it instead: its results stay.")
                % {"status": campaign.get_status_display()}
            )
        snapshot = {name: audit_value(value) for name, value in _snapshot(campaign).items()}
        name = campaign.name
        audit_record(
            action=AuditAction.CAMPAIGN_DELETE,
            obj=campaign,
            summary=_("Deleted draft campaign “%(name)s”") % {"name": name},
            actor=actor,
            origin=origin,
            changes=snapshot,
        )
        MessageTemplate.objects.filter(kind=campaign.message_kind).delete()
        campaign.delete()
    return name
