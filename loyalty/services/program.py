"""Program settings: the rules every operation reads."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_diff, audit_record

from ..exceptions import InvalidInput
from ..models import ProgramSettings
from ..selectors import program_settings_get, rules_forget

SETTINGS_FIELDS = (
    "currency",
    "point_value",
    "base_cashback_percent",
    "redeem_cap_percent",
    "points_lifetime_days",
    "activation_delay_days",
    "tier_window_days",
    "tier_grace_days",
    "manual_adjustment_limit",
    "max_purchase_amount",
    "boost_combine",
    "boost_cap_percent",
)


def _normalised(field: str, value: Any) -> Any:
    """The value as the database stores it (7 → 7.00 for a 2-place decimal), so that the audit shows a
    change only where there is one."""
    model_field = ProgramSettings._meta.get_field(field)
    if value is None or value == "":
        return None if model_field.null else value
    try:
        value = model_field.to_python(value)
    except ValidationError:
        return value  # full_clean reports it
    if isinstance(value, Decimal):
        try:
            return value.quantize(Decimal(1).scaleb(-model_field.decimal_places))
        except InvalidOperation:
            return value  # too many digits to quantize: full_clean reports it
    return value


def program_settings_update(*, actor: Any, origin: str = "", **fields: Any) -> ProgramSettings:
    """Change the program rules. They apply from the next operation on; history is never rewritten
    (each purchase keeps the cashback % and point value it was recorded with). Audited old → new."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"not a program setting: {sorted(unknown)}")
    with transaction.atomic():
        rules_forget()  # read this transaction's own changes from here on
        program = ProgramSettings.objects.select_for_update().get(pk=program_settings_get().pk)
        new = {field: _normalised(field, value) for field, value in fields.items()}
        changes = audit_diff({field: getattr(program, field) for field in new}, new)
        for field in changes:
            setattr(program, field, new[field])
        if not changes:
            return program
        try:
            program.full_clean()
        except ValidationError as exc:  # report the first message, on its field
            messages = exc.message_dict
            field, errors = next(iter(messages.items()))
            raise InvalidInput(errors[0], field=None if field == "__all__" else field) from None
        program.save()
        audit_record(
            action=AuditAction.SETTINGS_UPDATE,
            obj=program,
            summary=_("Program settings changed: %(fields)s") % {"fields": ", ".join(changes)},
            actor=actor,
            origin=origin,
            changes=changes,
        )
    return program
