"""Writes for the loyalty program, by sub-domain. Import services from here."""

from ..exceptions import InvalidInput  # noqa: F401 - re-exported for callers that catch it here
from .ledger import (  # noqa: F401
    PurchaseResult,
    RefundResult,
    cashback_percent_for,
    daily_run,
    points_adjust,
    points_award,
    points_expire_due,
    purchase_record,
    purchase_refund,
)
from .program import SETTINGS_FIELDS, program_settings_update  # noqa: F401
