"""Controls' use cases, applied from the back-office's decisions (ControlDecisionV1): open a campaign, record a
control's outcome. A decision that cannot be applied raises `CommandRefused` with why, in French, for the person
who took it (`commands.ControlCommands` answers it `refused`, never as a dead letter)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog

from guichet_common.contracts.controls import ControlDecisionV1
from guichet_common.contracts.status import ClaimStatus
from guichet_common.operator_commands import CommandRefused, second_person_refusal
from guichet_common.outbox import OutboxMessage
from guichet_payments.controls.events import control_event
from guichet_payments.controls.model import Campaign, Control
from guichet_payments.controls.risk import check_risk_rules, risk_grounds
from guichet_payments.controls.selection import Selected, as_decimal, select
from guichet_payments.events import Announcer
from guichet_payments.unit_of_work import PaymentsWork
from guichet_programme import Programme

log = structlog.get_logger()
COMPLIANT = "CONTROL_COMPLIANT"
NO_ANSWER = "CONTROL_NO_ANSWER"
NON_COMPLIANCE_REASONS = frozenset(
    {
        NO_ANSWER,
        "CONTROL_INVOICE_UNPAID",
        "CONTROL_INVOICE_NOT_GENUINE",
        "CONTROL_SERVICE_NOT_DELIVERED",
        "CONTROL_EXPENSE_INELIGIBLE",
        "CONTROL_CONDITIONS_NOT_MET",
    }
)


class RecoveryIssuer(Protocol):
    """`guichet_payments.recovery.service.RecoveryService`'s side controls use: one order per claim."""

    async def issue(
        self,
        uow: PaymentsWork,
        *,
        claim_id: str,
        payment_id: str,
        programme: str,
        siren: str,
        amount_cents: int,
        reason_code: str,
        source: str | None,
        now: dt.datetime,
    ) -> tuple[str, list[OutboxMessage]]: ...


def control_of(selected: Selected, campaign: Campaign, reply_by: dt.date) -> Control:
    claim = selected.claim
    return Control(
        claim_id=claim.claim_id,
        campaign_id=campaign.campaign_id,
        payment_id=claim.payment_id,
        programme=campaign.programme,
        siren=claim.siren,
        paid_cents=claim.paid_cents,
        grounds=selected.grounds,
        reply_by=reply_by,
        selected_at=campaign.opened_at,
        source=claim.source,
    )


@dataclass(frozen=True)
class ControlsService:
    programmes: Mapping[str, Programme]
    recovery: RecoveryIssuer
    clock: Callable[[], dt.datetime]
    topic_prefix: str = ""

    def __post_init__(self) -> None:
        check_risk_rules(self.programmes.values())  # at start-up, not at the first campaign

    @property
    def announce(self) -> Announcer:
        return Announcer(self.topic_prefix)

    def _programme(self, programme_id: str | None) -> Programme:
        if programme_id is None or programme_id not in self.programmes:
            raise CommandRefused(f"programme inconnu de payments : {programme_id}")
        return self.programmes[programme_id]

    async def open_campaign(self, uow: PaymentsWork, decision: ControlDecisionV1) -> tuple[str, list[OutboxMessage]]:
        """Select the programme's claims settled at or before `paid_before` (default: when the decision was taken)
        and not controlled yet: every one a risk rule flags, then a sample drawn from the seed. Each gets a control
        row, the status `under_control` and a `selected` event with its reply deadline."""
        campaign_id, seed = decision.campaign_id, decision.seed
        if campaign_id is None or seed is None:
            raise CommandRefused("ouverture de campagne incomplète : identifiant de campagne et graine requis")
        programme = self._programme(decision.programme)
        if await uow.controls.campaign(campaign_id) is not None:
            raise CommandRefused(f"campagne {campaign_id} déjà ouverte")
        settings, now = programme.controls, self.clock()
        paid_before = decision.paid_before or decision.occurred_at
        population = await uow.controls.population(programme.id, paid_before)
        rules = tuple(settings.risk_rules)
        percent = as_decimal(settings.sampling_percent)
        chosen = select(
            population, seed=seed, sampling_percent=percent, risk_of=lambda c: risk_grounds(c, rules, settings)
        )
        reply_by = now.astimezone(ZoneInfo(programme.timezone)).date() + dt.timedelta(days=settings.reply_days)
        campaign = Campaign(
            campaign_id=campaign_id,
            programme=programme.id,
            seed=seed,
            sampling_percent=percent,
            risk_rules=rules,
            paid_before=paid_before,
            opened_at=now,
            opened_by=decision.decided_by,
            population=len(population),
            selected=len(chosen),
        )
        controls = [control_of(s, campaign, reply_by) for s in chosen]
        await uow.controls.add_campaign(campaign, controls)
        log.info("control_campaign_opened", campaign_id=campaign_id, population=len(population), selected=len(chosen))
        messages: list[OutboxMessage] = []
        for control in controls:
            messages.append(self._status(control, "under_control", list(control.grounds), now))
            messages.append(control_event(self.topic_prefix, control, "selected", now))
        return f"{len(chosen)} selected of {len(population)}", messages

    async def record_outcome(self, uow: PaymentsWork, decision: ControlDecisionV1) -> tuple[str, list[OutboxMessage]]:
        """Close a control: `compliant` at once; `non_compliant` and `no_answer` (after the reply deadline, for the
        whole grant) under four eyes, issuing the claim's recovery order."""
        if decision.claim_id is None or decision.outcome is None:
            raise CommandRefused("résultat de contrôle incomplet : demande et résultat requis")
        control = await uow.controls.control(decision.claim_id)
        if control is None:
            raise CommandRefused(f"la demande {decision.claim_id} n'est pas sous contrôle")
        if control.outcome is not None:
            raise CommandRefused(f"le contrôle de {control.claim_id} est déjà clos ({control.outcome})")
        now = self.clock()
        reason_code, amount = self._undue(control, decision, now)
        decided = dataclasses.replace(
            control,
            outcome=decision.outcome,
            reason_code=reason_code,
            amount_undue_cents=amount,
            decided_by=decision.decided_by,
            seconded_by=decision.seconded_by if amount else None,
            decided_at=now,
        )
        await uow.controls.record_outcome(decided)
        log.info("control_outcome_recorded", claim_id=control.claim_id, outcome=decision.outcome)
        if reason_code is None or amount is None:
            closed = self._status(decided, "control_closed", [COMPLIANT], now)
            return "contrôle clos : conforme", [closed, control_event(self.topic_prefix, decided, "outcome", now)]
        order_id, messages = await self.recovery.issue(
            uow,
            claim_id=control.claim_id,
            payment_id=control.payment_id,
            programme=control.programme,
            siren=control.siren,
            amount_cents=amount,
            reason_code=reason_code,
            source=control.source,
            now=now,
        )
        messages.append(control_event(self.topic_prefix, decided, "outcome", now, recovery_order_id=order_id))
        return f"ordre de reversement {order_id} émis ({amount} centimes)", messages

    def _undue(self, control: Control, decision: ControlDecisionV1, now: dt.datetime) -> tuple[str | None, int | None]:
        """The reason and amount ordered back (None, None for a compliant control), or why the outcome is refused."""
        if decision.outcome == "compliant":
            return None, None
        if (refusal := second_person_refusal(decision.decided_by, decision.seconded_by)) is not None:
            raise CommandRefused(refusal)
        if decision.outcome == "no_answer":
            today = now.astimezone(ZoneInfo(self._programme(control.programme).timezone)).date()
            if today <= control.reply_by:
                raise CommandRefused(f"pas encore sans réponse : le délai court jusqu'au {control.reply_by:%d/%m/%Y}")
            return NO_ANSWER, control.paid_cents
        if decision.reason_code not in NON_COMPLIANCE_REASONS:
            raise CommandRefused(f"motif de non-conformité invalide : {decision.reason_code}")
        amount = decision.amount_undue_cents
        if amount is None or not 1 <= amount <= control.paid_cents:
            raise CommandRefused(f"montant indu invalide : entre 1 et {control.paid_cents} centimes (montant versé)")
        return decision.reason_code, amount

    def _status(self, control: Control, status: ClaimStatus, reasons: list[str], now: dt.datetime) -> OutboxMessage:
        return self.announce.status(
            claim_id=control.claim_id,
            programme=control.programme,
            siren=control.siren,
            status=status,
            now=now,
            reasons=reasons,
            payment_id=control.payment_id,
            source=control.source,
        )
