"""`guichet recovery list [--state S] [--programme P]` and `guichet recovery show ORDER`: the recovery orders
(ordres de reversement) a non-compliant or unanswered control issued, and the repayments matched to them.

Both read payments' database (PAYMENTS_DATABASE_URL, else the local stack), read-only. ORDER is an order id
(`RO-...`) or the claim's reference: a claim has one order at most.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from guichet_common.cli import ExitCode
from guichet_common.contracts.reason_codes import text as reason_text
from guichet_console.connect import current_stack
from guichet_console.operations import Json, fail, run
from guichet_console.report_format import euros, json_text, outside, paris, shown
from guichet_console.status_render import console
from guichet_payments import operators as payments

app = typer.Typer(no_args_is_help=True, help="Recovery orders issued after controls: list, show (read-only).")
STATES_FR = {"outstanding": "à recouvrer", "settled": "soldé", "in_collection": "transmis au recouvrement forcé"}


def _state(value: str | None) -> str | None:
    if value is not None and value not in payments.RECOVERY_ORDER_STATES:
        raise typer.BadParameter(f"one of {', '.join(payments.RECOVERY_ORDER_STATES)}")
    return value


@app.command("list")
def list_(
    state: Annotated[
        str | None,
        typer.Option(callback=_state, help=f"only orders in this state: {'|'.join(payments.RECOVERY_ORDER_STATES)}"),
    ] = None,
    programme: Annotated[str | None, typer.Option(help="only this programme's orders")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many, oldest issued first")] = 500,
    as_json: Json = False,
) -> None:
    """Recovery orders, oldest issued first: amount, repaid, outstanding, due date, state."""
    stack = current_stack(databases=("payments",))

    async def read() -> list[dict[str, Any]]:
        async with stack.connection("payments") as conn:
            return await payments.recovery_orders(conn, state=state, programme=programme, limit=limit)

    orders = run(read())
    if as_json:
        typer.echo(json_text({"orders": orders}))
        return
    console().print(orders_table(orders))  # 120 columns in a pipe, as `guichet status`


def orders_table(orders: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(orders)} ordre(s) de reversement", title_justify="left")
    for column in ("ordre", "demande", "programme", "motif", "montant", "reversé", "reste dû", "échéance", "état"):
        # ids whole (people copy them); the rest folds in a narrow terminal
        table.add_column(column, overflow="fold", no_wrap=column in ("ordre", "demande"))
    for order in orders:
        table.add_row(
            *(shown(order[key], max_length=80) for key in ("order_id", "claim_id", "programme", "reason_code")),
            *(euros(order[key]) for key in ("amount_cents", "repaid_cents", "outstanding_cents")),
            f"{order['due_on']:%d/%m/%Y}" if order["due_on"] else "—",
            shown(STATES_FR.get(order["state"], order["state"])),
        )
    return table


@app.command()
def show(
    order: Annotated[str, typer.Argument(metavar="ORDER", help="the order's id (RO-...) or its claim's reference")],
    as_json: Json = False,
) -> None:
    """One recovery order and its repayments (exit 1 when there is none)."""
    stack = current_stack(databases=("payments",))

    async def read() -> dict[str, Any] | None:
        async with stack.connection("payments") as conn:
            return await payments.recovery_order(conn, order_id=order, claim_id=order)

    found = run(read())
    if found is None:
        fail(ExitCode.REFUSED, f"no recovery order {outside(order, 80)} (neither an order id nor a claim with one)")
    if as_json:
        typer.echo(json_text(found))
        return
    typer.echo("\n".join(order_lines(found)))


def order_lines(order: dict[str, Any]) -> list[str]:
    """The order for people, in French; what came from outside is escaped."""
    state = STATES_FR.get(order["state"], outside(order["state"]))
    lines = [
        f"Ordre de reversement {outside(order['order_id'])} — demande {outside(order['claim_id'], 80)}"
        f" ({outside(order['programme'], 64)}, SIREN {outside(order['siren'])})",
        f"  motif : {outside(order['reason_code'])} — {reason_text(order['reason_code']) or '(code hors catalogue)'}",
        f"  montant {euros(order['amount_cents'])}, reversé {euros(order['repaid_cents'])},"
        f" reste dû {euros(order['outstanding_cents'])} : {state}",
        f"  émis le {_day(order['issued_on'])}, à payer avant le {_day(order['due_on'])},"
        f" {order['reminders_sent']} relance(s), référence de virement {outside(order['payment_reference'])}",
        "  les sommes reversées "
        + (
            "reviennent à l'enveloppe du programme"
            if order["returns_to_envelope"]
            else "ne reviennent pas à l'enveloppe"
        ),
    ]
    if order.get("collection_at"):
        lines.append(f"  transmis au comptable public pour recouvrement le {paris(order['collection_at'])}")
    if order.get("settled_at"):
        lines.append(f"  soldé le {paris(order['settled_at'])}")
    repayments = order.get("repayments", [])
    lines.append(f"  {len(repayments)} reversement(s) reçu(s)" + (" :" if repayments else ""))
    for repayment in repayments:
        back = ", rendu à l'enveloppe" if repayment["returned_to_envelope"] else ""
        lines.append(
            f"    {paris(repayment['received_at'])}  {euros(repayment['amount_cents'])}"
            f"  (écriture {outside(repayment['bank_entry'], 80)}{back})"
        )
    return lines


def _day(day: Any) -> str:
    return "—" if day is None else f"{day:%d/%m/%Y}"
