"""The loyalty program's models, a module per concern: program (settings, daily runs), tiers, purchases
(and refunds), ledger (accounts, entries, lots). Import them from here: `from loyalty.models import Purchase`."""

from .ledger import LedgerEntry, LotDebit, PointsAccount, PointsLot
from .program import (
    DEFAULT_MAX_PURCHASE_AMOUNT,
    MAX_DAYS,
    MAX_PURCHASE_AMOUNT,
    MONEY,
    PERCENT,
    DailyRun,
    ProgramSettings,
)
from .purchases import Purchase, PurchaseLine, Refund, SpendDay
from .tiers import Tier, TierChange, TierStatus

__all__ = [
    "DEFAULT_MAX_PURCHASE_AMOUNT",
    "MAX_DAYS",
    "MAX_PURCHASE_AMOUNT",
    "MONEY",
    "PERCENT",
    "DailyRun",
    "LedgerEntry",
    "LotDebit",
    "PointsAccount",
    "PointsLot",
    "ProgramSettings",
    "Purchase",
    "PurchaseLine",
    "Refund",
    "SpendDay",
    "Tier",
    "TierChange",
    "TierStatus",
]
