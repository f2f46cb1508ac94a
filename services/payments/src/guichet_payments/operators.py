"""What operators and finance read and decide on payments, for the console (`guichet status|trace|report|
reconcile|set-aside|controls`).

This is the only module of guichet_payments the console imports (tools/console/tests/test_boundaries.py fails on
any other): what it re-exports is the service's side of the operators' contract, so the service can reorganise
everything else freely. Every function takes a connection to payments' own database, except `reconcile_database`,
which opens its own repeatable-read snapshot.

Set-aside decisions: the console calls `release_set_aside` / `cancel_set_aside` in the transaction where it records
the decision (`guichet_common.set_aside.record_decision`), so both happen or neither.
"""

from __future__ import annotations

from guichet_payments.bank_files.records import BankFileRecord
from guichet_payments.bank_files.repository import bank_file, suspense_entries
from guichet_payments.controls.reading import campaign, campaigns, preview_selection, verify_campaign
from guichet_payments.history_repository import (
    attempts,
    beneficiaries,
    erased_on,
    payment,
    payment_delays,
    payments_by_status,
    reserved_per_day,
    waitlist_entry,
    waitlisted_count,
)
from guichet_payments.reconcile import Report as ReconciliationReport
from guichet_payments.reconcile import render_text as reconciliation_text
from guichet_payments.reconcile import run as reconcile_database
from guichet_payments.reconcile_rows import BatchRow, PaymentRow, ReconciliationRows, reconcile_with_rows
from guichet_payments.recovery.figures import control_and_recovery_figures
from guichet_payments.recovery_history import ORDER_STATES as RECOVERY_ORDER_STATES
from guichet_payments.recovery_history import control_of, recovery_order, recovery_orders
from guichet_payments.set_aside_repository import KINDS as SET_ASIDE_KINDS
from guichet_payments.set_aside_repository import cancel as cancel_set_aside
from guichet_payments.set_aside_repository import release as release_set_aside
from guichet_payments.settings import PaymentsSettings
from guichet_payments.status_repository import budget_figures, stage_figures

__all__ = [
    "RECOVERY_ORDER_STATES",  # recovery list --state
    "SET_ASIDE_KINDS",
    "BankFileRecord",  # finance import
    "BatchRow",  # finance reconcile exports
    "PaymentRow",  # finance reconcile exports
    "PaymentsSettings",  # finance import: the inbound folder payments reads bank files from, by default
    "ReconciliationReport",
    "ReconciliationRows",  # finance reconcile exports
    "attempts",  # trace
    "bank_file",  # finance import: payments' verdict on a file
    "beneficiaries",  # report
    "budget_figures",  # status, report
    "campaign",  # controls show: a campaign, its selected claims and their outcomes
    "campaigns",  # controls list
    "cancel_set_aside",  # set-aside cancel
    "control_and_recovery_figures",  # report, status: controls and recovery per programme
    "control_of",  # trace: a claim's control, its grounds and outcome
    "erased_on",  # trace: "effacé le DATE" where a claim's bank data was erased
    "payment",  # trace
    "payment_delays",  # report
    "payments_by_status",  # report
    "preview_selection",  # controls preview: a campaign's draw, nothing recorded
    "reconcile_database",  # reconcile: figures and checks from one snapshot
    "reconcile_with_rows",  # finance reconcile: the report and its export rows from one snapshot
    "reconciliation_text",  # reconcile, for a terminal
    "recovery_order",  # recovery show, trace: one order (by id or claim) and its repayments
    "recovery_orders",  # recovery list
    "release_set_aside",  # set-aside release
    "reserved_per_day",  # report
    "stage_figures",  # status
    "suspense_entries",  # finance suspense
    "verify_campaign",  # controls show --verify: a stored campaign drawn again from its seed
    "waitlist_entry",  # trace
    "waitlisted_count",  # report
]
