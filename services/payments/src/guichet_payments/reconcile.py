"""What `guichet reconcile [--json]` checks: what the payments database says was
reserved, paid and batched, and whether it all adds up. Read-only; exit 0 when every check agrees, 1 otherwise,
2 on usage errors, 3 when the database cannot be read.

Checks: (a) each SEPA file matches its batch row and its attempts (once a file is deleted with its claims' bank
data, the row and the attempts), (b) the budget identity per programme (reserved = held - recovered), (c) nobody
paid twice, (d) controls and recovery: each order's repaid = its repayments, each order <= its payment, recovered
<= ordered <= paid, and the envelope's recovered = the repayments given back to it. SQL stays here (not
in the repository) so this tool can audit what the service wrote.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from guichet_payments.recovery.figures import control_and_recovery_figures, recovery_problems
from guichet_payments.sepa import control_sum_cents, transaction_count

STATUSES = ("scheduled", "sent", "settled", "returned", "released")
# Released payments gave their money back to the envelope; every other status still holds its reservation.
RESERVING = ["scheduled", "sent", "settled", "returned"]


def euros(cents: int) -> str:
    """Exact euro amount as text ("1500.00"): JSON numbers would be floats."""
    return f"{Decimal(cents) / 100:.2f}"


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Report:
    programmes: list[dict[str, Any]]
    batches: list[dict[str, Any]]
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> str:
        checks = [{"name": c.name, "ok": c.ok, "problems": c.problems} for c in self.checks]
        return json.dumps({"ok": self.ok, "programmes": self.programmes, "batches": self.batches, "checks": checks})


# --- queries (read-only, parametrised) ------------------------------------------------------------------------


async def fetch_budgets(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT programme, total_cents, reserved_cents, paid_cents, released_cents, recovered_cents FROM budgets"
        " ORDER BY programme"
    )


async def fetch_payment_totals(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT programme, status, count(*) AS n, sum(amount_cents)::bigint AS cents"
        " FROM payments GROUP BY programme, status"
    )


async def fetch_batches(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    # "Outstanding" in a batch: attempts finance has not reported on yet.
    return await conn.fetch(
        "SELECT b.batch_id, b.programme, b.file_path, b.file_sha256, b.transfer_count, b.control_sum_cents,"
        " b.file_erased_at, count(a.payment_id) AS attempt_count,"
        " coalesce(sum(a.amount_cents), 0)::bigint AS attempt_cents,"
        " count(*) FILTER (WHERE a.status = 'settled') AS settled,"
        " count(*) FILTER (WHERE a.status = 'returned') AS returned,"
        " count(*) FILTER (WHERE a.status <> ALL($1::text[])) AS outstanding"
        " FROM batches b LEFT JOIN payment_attempts a ON a.batch_id = b.batch_id"
        " GROUP BY b.batch_id ORDER BY b.created_at, b.batch_id",
        ["settled", "returned"],
    )


async def fetch_double_payments(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    # Counted on attempts too: two settled attempts of one payment pay the company twice just the same.
    return await conn.fetch(
        "SELECT p.programme, p.siren, count(DISTINCT p.payment_id) FILTER (WHERE p.status = $1) AS payments,"
        " count(a.payment_id) FILTER (WHERE a.status = $1) AS attempts"
        " FROM payments p LEFT JOIN payment_attempts a ON a.payment_id = p.payment_id"
        " GROUP BY p.programme, p.siren"
        " HAVING count(DISTINCT p.payment_id) FILTER (WHERE p.status = $1) > 1"
        " OR count(a.payment_id) FILTER (WHERE a.status = $1) > 1 ORDER BY 1, 2",
        "settled",
    )


async def fetch_duplicate_attempts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT payment_id, attempt, count(*) AS n FROM payment_attempts"
        " GROUP BY payment_id, attempt HAVING count(*) > $1 ORDER BY 1, 2",
        1,
    )


# --- checks ---------------------------------------------------------------------------------------------------


def check_batch_file(batch: asyncpg.Record) -> list[str]:
    name, path = f"batch {batch['batch_id']}", Path(batch["file_path"])
    problems: list[str] = []
    file_cents = file_count = None
    # The bank channel moves a set it has sent to sent/ beside it (docs/bank-channel.md).
    found = next((p for p in (path, path.parent / "sent" / path.name) if p.is_file()), None)
    # A file deleted on purpose once every claim in it had its bank data erased (guichet_payments.erasure): its
    # row and its attempts, which keep the file's figures, are still checked against each other.
    erased = batch.get("file_erased_at") is not None
    if found is None and not erased:
        problems.append(f"{name}: file {path} does not exist")
    elif found is not None:
        content = found.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest != batch["file_sha256"].strip():
            problems.append(f"{name}: file {path} has sha256 {digest}, batch row says {batch['file_sha256']}")
        try:
            file_cents, file_count = control_sum_cents(content), transaction_count(content)
        except (ET.ParseError, ValueError, ArithmeticError) as error:
            problems.append(f"{name}: file {path} unreadable as pain.001 ({error})")
    sums = {"file CtrlSum": file_cents, "batch row": batch["control_sum_cents"], "attempts": batch["attempt_cents"]}
    counts = {"file NbOfTxs": file_count, "batch row": batch["transfer_count"], "attempts": batch["attempt_count"]}
    if len({v for v in sums.values() if v is not None}) > 1:
        shown = ", ".join(f"{k} {euros(v)} €" for k, v in sums.items() if v is not None)
        problems.append(f"{name}: control sums disagree: {shown}")
    if len({v for v in counts.values() if v is not None}) > 1:
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v is not None)
        problems.append(f"{name}: transfer counts disagree: {shown}")
    return problems


def check_budget(programme: dict[str, Any]) -> list[str]:
    total, reserved, paid = programme["total_cents"], programme["reserved_cents"], programme["paid_cents"]
    available, by_status, recovered = programme["available_cents"], programme["payments"], programme["recovered_cents"]
    held, settled = sum(by_status[s]["cents"] for s in RESERVING), by_status["settled"]["cents"]
    amounts = {"total": total, "reserved": reserved, "paid": paid, "available": available, "held": held}
    amounts["recovered"] = recovered
    shown = {name: f"{euros(cents)} €" for name, cents in (amounts | {"settled": settled}).items()}
    problems: list[str] = []
    if reserved + available != total or available < 0 or reserved < 0:
        problems.append(f"reserved {shown['reserved']} + available {shown['available']} != total {shown['total']}")
    # Recovered money given back to the envelope left the reservation while its payment stays settled.
    if paid - recovered > reserved:
        problems.append(f"paid {shown['paid']} - recovered {shown['recovered']} exceeds reserved {shown['reserved']}")
    if reserved != held - recovered:
        problems.append(
            f"reserved {shown['reserved']} but payments {'/'.join(RESERVING)} sum to {shown['held']}"
            f" less recovered {shown['recovered']}"
        )
    if paid != settled:
        problems.append(f"paid {shown['paid']} but settled payments sum to {shown['settled']}")
    return [f"programme {programme['programme']}: {problem}" for problem in problems]


def _programme_figures(
    budget: asyncpg.Record, totals: list[asyncpg.Record], recovery: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    by_status = {s: {"count": 0, "cents": 0} for s in STATUSES}
    for row in totals:
        if row["programme"] == budget["programme"]:
            by_status[row["status"]] = {"count": row["n"], "cents": row["cents"]}
    available = budget["total_cents"] - budget["reserved_cents"]
    figures = dict(budget) | {"available_cents": available, "payments": by_status}
    figures["outstanding"] = by_status["sent"]  # sent, and neither settled nor returned yet
    # Granted = paid + in flight (every payment not released); the envelope after recoveries is `available`.
    figures["in_flight_cents"] = sum(by_status[s]["cents"] for s in ("scheduled", "sent", "returned"))
    figures["granted_cents"] = by_status["settled"]["cents"] + figures["in_flight_cents"]
    figures["recovery"] = recovery.get(budget["programme"], {})
    for key in ("total", "reserved", "paid", "released", "available", "recovered", "in_flight", "granted"):
        figures[key] = euros(figures[f"{key}_cents"])
    for bucket in (*by_status.values(), figures["outstanding"]):
        bucket["euros"] = euros(bucket["cents"])
    return figures


async def reconcile(conn: asyncpg.Connection) -> Report:
    """Every figure and check, from one snapshot (the caller's transaction)."""
    totals = await fetch_payment_totals(conn)
    recovery = await control_and_recovery_figures(conn)
    programmes = [_programme_figures(budget, totals, recovery) for budget in await fetch_budgets(conn)]
    batch_rows = await fetch_batches(conn)
    files = Check("batch files match their rows and attempts", [p for b in batch_rows for p in check_batch_file(b)])
    budget = Check("budget identity", [p for figures in programmes for p in check_budget(figures)])
    once = Check("nobody paid twice, one row per attempt")
    for row in await fetch_double_payments(conn):
        once.problems.append(
            f"programme {row['programme']} siren {row['siren']}: {row['payments']} settled payments,"
            f" {row['attempts']} settled attempts"
        )
    for row in await fetch_duplicate_attempts(conn):
        once.problems.append(f"payment {row['payment_id']} attempt {row['attempt']}: {row['n']} attempt rows")
    batches = [
        {k: b[k] for k in ("batch_id", "programme", "transfer_count", "settled", "returned", "outstanding")}
        | {"control_sum": euros(b["control_sum_cents"])}
        for b in batch_rows
    ]
    settled = {p["programme"]: p["payments"]["settled"]["cents"] for p in programmes}
    recovered = Check("controls and recovery", await recovery_problems(conn, settled))
    return Report(programmes, batches, [files, budget, once, recovered])


def render_text(report: Report) -> str:
    lines: list[str] = []
    for p in report.programmes:
        lines.append(
            f"programme {p['programme']}: total {p['total']} €, reserved {p['reserved']} €, paid {p['paid']} €,"
            f" released {p['released']} €, available {p['available']} €"
        )
        counts = ", ".join(f"{s} {v['count']} ({v['euros']} €)" for s, v in p["payments"].items())
        lines.append(f"  payments: {counts}; outstanding {p['outstanding']['count']} ({p['outstanding']['euros']} €)")
        if r := p["recovery"]:
            lines.append(
                f"  controls: {r['controlled']} ({', '.join(f'{k} {v}' for k, v in r['by_outcome'].items())});"
                f" recovery orders {r['orders']}: ordered {euros(r['ordered_cents'])} €, recovered"
                f" {euros(r['recovered_cents'])} €, outstanding {euros(r['outstanding_cents'])} €, in collection"
                f" {r['in_collection']}; envelope after recoveries {p['available']} €"
            )
    for b in report.batches:
        lines.append(
            f"batch {b['batch_id']}: {b['transfer_count']} transfers, {b['control_sum']} €;"
            f" settled {b['settled']}, returned {b['returned']}, outstanding {b['outstanding']}"
        )
    for check in report.checks:
        lines.append(f"check {check.name}: {'OK' if check.ok else 'DISAGREES'}")
        lines += [f"  {problem}" for problem in check.problems]
    return "\n".join(lines)


async def run(database_url: str) -> Report:
    conn = await asyncpg.connect(database_url)
    try:
        # Repeatable read: every query sees the same snapshot, so figures and checks describe one moment.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await reconcile(conn)
    finally:
        await conn.close()
