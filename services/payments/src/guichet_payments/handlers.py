"""payments' subscribers and background jobs: approvals, finance's reports and new bank details in; SEPA files,
payment instructions and statuses out (through the outbox); the bank's files read from the inbound folder, their
settlements published on the settlements topic payments also consumes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from guichet_common.contracts import (
    ClaimBankDetailsV1,
    ClaimDecidedV1,
    ClaimStatusV1,
    PaymentIssuedV1,
    PaymentSettlementV1,
)
from guichet_common.contracts.backoffice import (
    BUDGETS_TOPIC,
    SEPA_FILES_TOPIC,
    BudgetV1,
    SepaFileV1,
)
from guichet_common.contracts.bank_details import TOPIC as BANK_DETAILS
from guichet_common.contracts.controls import (
    CONTROL_DECISIONS_TOPIC,
    CONTROLS_TOPIC,
    RECOVERY_ORDERS_TOPIC,
    ControlDecisionV1,
    ControlEventV1,
    RecoveryOrderEventV1,
)
from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.payments import ISSUED_TOPIC, SETTLEMENTS_TOPIC
from guichet_common.contracts.privacy import (
    ACCESS_RESPONSES_TOPIC,
    CLAIM_KEYS_TOPIC,
    PRIVACY_ERASED_TOPIC,
    AccessResponseV1,
    ClaimKeysV1,
    PrivacyErasedV1,
)
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.operator_command_targets import accept_operator_commands
from guichet_common.pipeline import Published
from guichet_common.privacy.key_copies import key_copies
from guichet_common.privacy.keyring import Opener, Sealer
from guichet_common.runtime import Wiring
from guichet_common.unit_of_work import announcing, open_unit_of_work
from guichet_payments import operators, status_repository
from guichet_payments.bank_files.importer import BankFileImporter
from guichet_payments.bank_files.inbound_folder import InboundFolder
from guichet_payments.batching import Batcher
from guichet_payments.controls.commands import ControlCommands
from guichet_payments.controls.service import ControlsService
from guichet_payments.erasure import ErasureFollower
from guichet_payments.privacy_requests import PaymentsPrivacy
from guichet_payments.recovery.service import RecoveryService
from guichet_payments.sealed_payees import development_opener
from guichet_payments.service import PaymentsService
from guichet_payments.settings import PaymentsSettings
from guichet_payments.settlement import SettlementService, decode_bank_details, decode_settlement
from guichet_payments.unit_of_work import PaymentsUnitOfWork, PaymentsWork
from guichet_programme import load_programmes

ERASURE_SET_ASIDE_KIND = "privacy_erasure"


@dataclass(frozen=True)
class Handlers:
    """One use case per topic; decoding (and the screening of identifiers PostgreSQL cannot take) is done before."""

    payments: PaymentsService
    settlements: SettlementService
    erasures: ErasureFollower = field(default_factory=lambda: ErasureFollower(development_opener()))

    async def approvals(self, uow: PaymentsWork, approvals: Sequence[ClaimDecidedV1]) -> Sequence[Published]:
        return await self.payments.apply_approvals(uow, approvals)

    async def settlements_reported(
        self, uow: PaymentsWork, reports: Sequence[PaymentSettlementV1]
    ) -> Sequence[Published]:
        return await self.settlements.apply_settlements(uow, reports)

    async def bank_details(self, uow: PaymentsWork, details: Sequence[ClaimBankDetailsV1]) -> Sequence[Published]:
        return await self.settlements.apply_bank_details(uow, details)

    async def erased(self, uow: PaymentsWork, announcements: Sequence[PrivacyErasedV1]) -> Sequence[Published]:
        return await self.erasures.follow(uow, announcements)


def register_handlers(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, PaymentsSettings)
    programmes = load_programmes(settings.programmes_dir)
    master, clock = settings.master_key(), settings.clock()
    opener = Opener(master)  # one per process: it caches unwrapped keys
    payments = PaymentsService(
        programmes=programmes, topic_prefix=settings.topic_prefix, opener=opener, fingerprint=master.fingerprint
    )
    settlements = SettlementService(payments)
    recovery = RecoveryService(programmes, payments.announce, clock, payments)
    control_decisions = ControlsService(programmes, recovery, clock, settings.topic_prefix)
    controls = ControlCommands(control_decisions, settings.topic_prefix)
    handlers = Handlers(payments, settlements, ErasureFollower(opener, settings.topic_prefix, clock))
    copies = key_copies(opener, kinds=("bank",))
    batcher = Batcher(
        programmes=programmes,
        files_dir=settings.files_dir,
        max_size=settings.batch_max_size,
        max_age=dt.timedelta(seconds=settings.batch_max_age_s),
        topic_prefix=settings.topic_prefix,
        sealer=Sealer(master),
    )
    importer = BankFileImporter(payments, settings.bank_file_max_bytes, recovery=recovery)  # credits repay orders
    inbound = InboundFolder(settings.inbound_dir, importer)

    async def open_envelopes() -> None:
        settings.files_dir.mkdir(parents=True, exist_ok=True)
        inbound.prepare()
        async with open_unit_of_work(wiring.pool, PaymentsUnitOfWork) as uow:
            await payments.open_envelopes(uow)
            await uow.commit()

    wiring.unit_of_work = announcing(PaymentsUnitOfWork, "payments", settings.topic_prefix)
    wiring.run_at_start(open_envelopes)
    wiring.subscribe(
        ELIGIBILITY_DECISIONS_TOPIC,
        ClaimDecidedV1,
        handlers.approvals,
        description="Approved claims: reserve the grant from the envelope, or wait in line",
    )
    wiring.subscribe(
        SETTLEMENTS_TOPIC,
        PaymentSettlementV1,
        handlers.settlements_reported,
        decode=decode_settlement,
        description="Finance's settled and returned",
    )
    wiring.subscribe(
        BANK_DETAILS,
        ClaimBankDetailsV1,
        handlers.bank_details,
        decode=decode_bank_details,
        description="New bank details after a return",
    )
    # payments owns the key topic (set_aside_kind None): it reads the claims' keys and writes its batches' keys.
    wiring.subscribe(
        CLAIM_KEYS_TOPIC,
        ClaimKeysV1,
        copies.use_case,
        decode=copies.decode,
        event_id=None,
        description="The claims' data keys (intake's), to open approvals' bank details; and the batches' own",
    )
    wiring.subscribe(
        PRIVACY_ERASED_TOPIC,
        PrivacyErasedV1,
        handlers.erased,
        description="Intake's erasures of bank data: pseudonymise the claim's payment rows, empty its batch's file",
        set_aside_kind=ERASURE_SET_ASIDE_KIND,  # intake owns the topic: what payments cannot read is set aside here
    )
    wiring.subscribe(
        CONTROL_DECISIONS_TOPIC,
        ControlDecisionV1,
        controls.apply,
        description="People's control decisions (a campaign opened, an outcome): applied once, answered as outcomes",
    )
    wiring.publishes(CONTROLS_TOPIC, ControlEventV1, "Claims selected for a post-payment control, and the outcomes")
    wiring.publishes(RECOVERY_ORDERS_TOPIC, RecoveryOrderEventV1, "Each step of a recovery order, issue to settlement")
    wiring.publishes(CLAIM_KEYS_TOPIC, ClaimKeysV1, "Each SEPA batch's key (owner payments), null once destroyed")
    wiring.publishes(PRIVACY_ERASED_TOPIC, PrivacyErasedV1, "Payments erased a claim's bank data (kind bank)")
    wiring.publishes(ACCESS_RESPONSES_TOPIC, AccessResponseV1, "What payments holds about a person's claims")
    wiring.publishes(ISSUED_TOPIC, PaymentIssuedV1, "Payment instructions, one per SEPA credit transfer, for finance")
    wiring.publishes(
        CLAIMS_STATUS, ClaimStatusV1, "waitlisted, payment_scheduled, payment_sent, paid, payment_returned"
    )
    wiring.publishes(BUDGETS_TOPIC, BudgetV1, "Each envelope after a transaction changed it, for the back-office")
    wiring.publishes(SEPA_FILES_TOPIC, SepaFileV1, "Each pain.001 file written, whole, for the back-office")
    wiring.publishes(
        SETTLEMENTS_TOPIC, PaymentSettlementV1, "Settled and returned, as the bank's files (inbound folder) report them"
    )
    accept_operator_commands(wiring, operators, privacy=PaymentsPrivacy(opener))
    wiring.figures.stage = status_repository.stage_figures
    wiring.figures.budgets = status_repository.budget_figures
    wiring.figures.programmes = status_repository.control_and_recovery_gauges
    # Checked a few times per batch age, so a batch closes soon after it is due (latency), at an indexed query a time.
    wiring.repeat("batcher", batcher.close_due_batches, pause_s=min(0.5, settings.batch_max_age_s / 4))
    wiring.repeat("return_expiry", settlements.release_expired_returns, pause_s=settings.expiry_sweep_s)
    wiring.repeat("bank_inbound", inbound.import_next, pause_s=settings.inbound_scan_s)
    # Reminders and collection fall due by the day: the expiry sweep's pace is more than enough.
    wiring.repeat("recovery_follow_up", recovery.follow_up, pause_s=settings.expiry_sweep_s)
