"""What `loyalty` does when a lower app publishes an event (it never imports the apps above it).

- `customers.events.OpeningBalances` (inside the import's transaction): credit the balances with the
  ledger's bulk credit, as entries of kind "import" with the reason "import".
"""

from customers.events import OpeningBalances, opening_balances_subscribe

from .models import LedgerEntry
from .services.ledger import points_credit_bulk

IMPORT_REASON = "import"


def opening_balances_credit(event: OpeningBalances) -> None:
    """Credit an import's opening balances (points, ints > 0) in the import's transaction."""
    points_credit_bulk(
        credits=event.balances,
        kind=LedgerEntry.Kind.IMPORT,
        reason=IMPORT_REASON,
        source=event.source,
        actor=event.actor,
        now=event.at,
    )


def subscribe() -> None:
    """Register the subscribers above (LoyaltyConfig.ready; registering twice is harmless)."""
    opening_balances_subscribe(opening_balances_credit)
