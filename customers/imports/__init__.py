"""The customer import (issue #6): a CSV of existing customers, optionally with opening balances.

The dry run and the real run share one code path, in two stages:

1. **Check.** A django-import-export `Resource` parses and validates every row (phone normalised by
   `customers.rules.phone_normalize`, dates, yes/no flags, e-mail, card number, balance) and flags a row
   that repeats the phone, e-mail or card number of an earlier row of the file. Then set-based queries
   (`phone__in` per 5 000 rows, and the same for e-mails and card numbers) find values the database
   already holds. No transaction is open and nothing is written, so the progress counter the page polls
   (updated every 5 000 rows) is committed, and visible, as it goes.
2. **Write** (the real run, and only when no row has a problem). ONE transaction: the database checks
   again (a customer may have been enrolled since stage 1), then `bulk_create` of the customers, of one
   opening balances credited by the ledger (the `OpeningBalances` event of `customers.events`, which
   `loyalty` answers with its one bulk credit, `points_credit_bulk`), then the audit entry. Any failure
   rolls all of it back: all or nothing. A counter written inside this
   transaction would stay invisible to the polling page until the commit, so the job reports the stage
   ("Writing") instead of a count; it takes a few seconds for 100 000 rows (see bench/import_customers.py).

Customers are created here with `bulk_create` rather than through `customers.services.customer_enrol`
(several queries per row: ~10 minutes for 100 000 rows). On purpose, the import publishes no
`CustomerEnrolled`: the file holds the shop's existing customers, not new ones, so the welcome campaigns
(which answer that event) grant them nothing; only their opening balances reach the ledger. The import
page says so (docs/campaigns.md, "Welcome bonus"). `customers` sits below `loyalty` and never
imports it: opening balances go to the ledger through an event published inside the transaction.

Modules: `results` (constants, problems, the outcome), `reading` (the file), `rows` (the per-row
Resource), `checks` (set-based checks against the database), `service` (`customers_import`), `jobs`
(the page's uploads, inline or by the django-q2 worker).
"""

from .jobs import import_files_purge, import_job_rerun, import_job_run, import_job_submit
from .results import COLUMNS, SAMPLE_CSV, ImportLimits, ImportResult, Problem, import_limits
from .service import customers_import

__all__ = [
    "COLUMNS",
    "SAMPLE_CSV",
    "ImportLimits",
    "ImportResult",
    "Problem",
    "customers_import",
    "import_files_purge",
    "import_job_rerun",
    "import_job_run",
    "import_job_submit",
    "import_limits",
]
