"""The simulator on a real broker: two instructions in (one delivered twice), exactly two answers out."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import uuid

import pytest

from guichet_common.contracts import PaymentIssuedV1, PaymentSettlementV1
from guichet_common.contracts.payments import ISSUED_TOPIC, SETTLEMENTS_TOPIC
from guichet_finance.bank import settlement_event_id
from guichet_finance.simulator import FinanceConfig, FinanceSimulator

pytestmark = pytest.mark.integration


def instruction(payment_id: str, attempt: int) -> PaymentIssuedV1:
    return PaymentIssuedV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        payment_id=payment_id,
        claim_id=f"CFN-{payment_id}",
        programme="cheque-france-num-2021",
        siren="732829320",
        beneficiary_name="BOUTIQUE TEST",
        iban="FR7693233145437431125912957",
        amount_cents=50_000,
        end_to_end_id=f"{payment_id}-{attempt}",
        remittance_information="CHEQUE FRANCE NUM 2021",
        batch_id="B-TEST",
        requested_execution_date=dt.date(2021, 3, 3),
        attempt=attempt,
    )


async def test_each_instruction_is_answered_once(kafka_bootstrap: str, topic_prefix: str, probe) -> None:
    run = uuid.uuid4().hex[:8]
    first, reissued = instruction(f"PAY-{run}-A", 1), instruction(f"PAY-{run}-B", 2)
    messages = [(e.payment_id.encode(), e.model_dump_json(exclude_none=True).encode()) for e in (first, reissued)]
    await probe.publish(topic_prefix + ISSUED_TOPIC, [*messages, messages[0]])  # the first one redelivered

    # Every first attempt returned, so both outcomes show; no delay, to keep the test short.
    simulator = FinanceSimulator(FinanceConfig(kafka_bootstrap, topic_prefix, return_every=1, delay_s=0))
    stop = asyncio.Event()
    running = asyncio.create_task(simulator.run(stop, duration_s=60))
    ours = {first.payment_id, reissued.payment_id}

    def answers(records) -> list[PaymentSettlementV1]:
        parsed = [(r.key, PaymentSettlementV1.model_validate_json(r.value)) for r in records]
        return [event for key, event in parsed if event.payment_id in ours and key == event.payment_id.encode()]

    topic = topic_prefix + SETTLEMENTS_TOPIC
    await probe.read_until(topic, lambda rs: len(answers(rs)) >= 2 and simulator.consumed >= 3, timeout_s=60)
    stop.set()
    await asyncio.wait_for(running, timeout=30)
    assert simulator.consumed >= 3

    settled = sorted(answers(await probe.read_until(topic, lambda _: False, timeout_s=2)), key=lambda e: e.payment_id)
    assert [(e.payment_id, e.attempt, e.status, e.return_reason_code) for e in settled] == [
        (first.payment_id, 1, "returned", settled[0].return_reason_code),
        (reissued.payment_id, 2, "settled", None),
    ]
    assert settled[0].return_reason_code in {"AC04", "AC01"}
    assert [e.end_to_end_id for e in settled] == [first.end_to_end_id, reissued.end_to_end_id]
    assert [e.event_id for e in settled] == [settlement_event_id(e.payment_id, e.attempt) for e in settled]
    assert [e.value_date for e in settled] == [dt.date(2021, 3, 4)] * 2


async def test_the_command_answers_and_stops_cleanly_on_sigterm(kafka_bootstrap: str, topic_prefix: str, probe) -> None:
    payment = instruction(f"PAY-{uuid.uuid4().hex[:8]}-C", 1)
    await probe.publish(topic_prefix + ISSUED_TOPIC, [(b"x", payment.model_dump_json().encode())])
    process = await asyncio.create_subprocess_exec(
        *(
            sys.executable,
            "-m",
            "guichet_finance",
            "--kafka",
            "--bootstrap",
            kafka_bootstrap,
            "--topic-prefix",
            topic_prefix,
        ),
        *("--delay-s", "0", "--return-every", "1000000000"),
        env={**os.environ, "LOG_FORMAT": "json"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        records = await probe.read_until(
            topic_prefix + SETTLEMENTS_TOPIC,
            lambda rs: any(r.key == payment.payment_id.encode() for r in rs),
            timeout_s=60,
        )
        assert any(r.key == payment.payment_id.encode() for r in records)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode()
    log = output.decode()
    assert "finance_simulator_stopped" in log and payment.payment_id in log
    # The instruction's IBAN and beneficiary name never reach the log.
    assert payment.iban not in log and payment.beneficiary_name not in log
