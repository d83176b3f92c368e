"""Writes for the loyalty program, by sub-domain. Import services from here."""

from ..exceptions import InvalidInput  # noqa: F401 - re-exported for callers that catch it here
from .ledger import (  # noqa: F401
    BatchItem,
    PurchaseResult,
    RefundResult,
    daily_run,
    ledger_entry_next_id_sql,
    points_adjust,
    points_award,
    points_credit_bulk,
    points_credit_bulk_sql,
    points_expire_due,
    purchase_amount_check,
    purchase_record,
    purchase_record_batch,
    purchase_refund,
    spend_days_rebuild,
)
from .program import SETTINGS_FIELDS, program_settings_update  # noqa: F401
from .tiers import (  # noqa: F401
    TIER_FIELDS,
    tier_recalculate_all,
    tier_upgrade_on_purchase,
    tiers_save,
    tiers_validate,
    tiers_warnings,
)
