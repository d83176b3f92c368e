"""One vocabulary for the audit log: every audited action and every field its changes name, with labels
for people (translated), and how the log reads in words.

Services pass an AuditAction to `audit_record` inside the transaction of the change; the stored value is
the dotted code (`points.adjust`), which filters and exports keep using; pages show the label. `changes`
holds JSON values (`audit_value`): {"field": [old, new]} for a change, {"field": value} for a fact. The
page does not show the summary stored at write time (it is in the language of whoever made the change):
`audit_entry_describe` writes it again, in the reader's language, from the action and the stored changes,
with each value formatted by its kind (money, points, dates, yes/no…). Rows written before a call site
stored enough to describe them fall back to their stored summary.

By concern: `actions` (the vocabulary of actions), `record` (writing an entry), `fields` (the fields
changes name, their labels and kinds, and how a value reads), `describe` (an entry in words). Core knows
the fields of the apps above it as strings only.
"""

from .actions import CUSTOMER_OBJECT, ERASED, AuditAction
from .describe import AuditLine, ChangeRow, audit_customer_id, audit_entry_describe, audit_origin_label
from .fields import FIELDS, AuditField, Kind, audit_fields_register, audit_rows_filter_register, audit_value_format
from .record import audit_diff, audit_record, audit_value, audit_values_equal

__all__ = [
    "CUSTOMER_OBJECT",
    "ERASED",
    "FIELDS",
    "AuditAction",
    "AuditField",
    "AuditLine",
    "ChangeRow",
    "Kind",
    "audit_customer_id",
    "audit_diff",
    "audit_entry_describe",
    "audit_fields_register",
    "audit_origin_label",
    "audit_rows_filter_register",
    "audit_record",
    "audit_value",
    "audit_values_equal",
    "audit_value_format",
]
