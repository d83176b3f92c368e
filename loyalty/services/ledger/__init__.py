"""The points ledger and the operations that move points, by concern:

- core: account locks, credit/debit, lazy expiry of dead lots, settling points owed;
- purchases, refunds, adjustments (manual adjustments and awards);
- bulk (`points_credit_bulk`: many customers at once, e.g. an import's opening balances);
- expiry (the nightly set-based expiry) and daily (the daily jobs).
"""

from .adjustments import points_adjust, points_award
from .bulk import ledger_entry_next_id_sql, points_credit_bulk, points_credit_bulk_sql
from .daily import daily_run
from .expiry import points_expire_due
from .purchases import BatchItem, PurchaseResult, purchase_amount_check, purchase_record, purchase_record_batch
from .refunds import RefundResult, purchase_refund
from .spend import spend_day_add, spend_days_rebuild

__all__ = [
    "BatchItem",
    "PurchaseResult",
    "RefundResult",
    "daily_run",
    "points_adjust",
    "points_award",
    "points_credit_bulk",
    "points_credit_bulk_sql",
    "ledger_entry_next_id_sql",
    "points_expire_due",
    "purchase_amount_check",
    "purchase_record",
    "purchase_record_batch",
    "purchase_refund",
    "spend_day_add",
    "spend_days_rebuild",
]
