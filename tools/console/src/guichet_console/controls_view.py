"""`guichet controls`' answers as JSON-ready documents and as lines for people. Pure: no I/O.

Payments' operators hand back its own values (dataclasses of its model); `plain` turns them into JSON values
(dates as ISO text, a Decimal rate as text, tuples as lists), so `--json` prints what payments recorded, as is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from guichet_console.report_format import euros, outside, paris

OUTCOMES_FR = {
    None: "en attente des justificatifs",
    "compliant": "conforme",
    "non_compliant": "non conforme",
    "no_answer": "sans réponse",
}


def plain(value: Any) -> Any:
    """A JSON value of payments' answer: dataclasses and mappings as objects, sequences as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def selection_lines(selected: list[dict[str, Any]]) -> list[str]:
    """One line a selected claim: reference, amount paid, grounds (and, once known, its outcome)."""
    lines = []
    for control in selected:
        grounds = ", ".join(outside(code, 64) for code in control.get("grounds", []))
        line = f"  {outside(control['claim_id'], 64):<28} {euros(control.get('paid_cents')):>14}  {grounds}"
        if "outcome" in control:
            line += f"  — {OUTCOMES_FR.get(control['outcome'], outside(control['outcome']))}"
            if control.get("amount_undue_cents"):
                line += f", {euros(control['amount_undue_cents'])} à reverser ({outside(control.get('reason_code'))})"
        lines.append(line)
    return lines


def preview_lines(preview: dict[str, Any]) -> list[str]:
    selected = preview["selected"]
    return [
        f"Aperçu (rien n'est enregistré) — {outside(preview['programme'], 64)}, graine {preview['seed']},"
        f" payées au plus tard le {_moment(preview.get('paid_before'))}",
        f"{len(selected)} demande(s) tirée(s) sur {preview['population']} payée(s) et jamais contrôlée(s)",
        *selection_lines(selected),
    ]


def campaign_lines(campaign: dict[str, Any]) -> list[str]:
    rules = ", ".join(outside(rule, 64) for rule in campaign.get("risk_rules", [])) or "aucune"
    lines = [
        f"Campagne {outside(campaign['campaign_id'], 40)} — {outside(campaign['programme'], 64)}",
        f"  ouverte le {_moment(campaign.get('opened_at'))} par {outside(campaign.get('opened_by'), 100)},"
        f" graine {campaign['seed']}",
        f"  payées au plus tard le {_moment(campaign.get('paid_before'))} : {campaign['selected']} tirée(s)"
        f" sur {campaign['population']} (taux {outside(campaign.get('sampling_percent'))} %, règles : {rules})",
    ]
    if "controls" in campaign:
        decided = sum(1 for control in campaign["controls"] if control.get("outcome"))
        lines.append(f"  {decided} contrôle(s) décidé(s) sur {len(campaign['controls'])}")
        lines += selection_lines(campaign["controls"])
    return lines


def campaigns_lines(campaigns: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{outside(c['campaign_id'], 40):<22} {outside(c['programme'], 40):<28} {_moment(c.get('opened_at'))}"
        f"  {c['selected']:>6} / {c['population']:<7} graine {c['seed']}"
        for c in campaigns
    ]
    return [*lines, f"{len(campaigns)} campagne(s) de contrôle"]


def verification_lines(verification: dict[str, Any]) -> list[str]:
    """Whether drawing the campaign again from its seed selects the same claims, and which differ if not."""
    if verification["matches"]:
        return [f"Tirage vérifié : la graine redonne les mêmes {verification.get('selected', '')} demande(s)."]
    lines = ["Tirage DIFFÉRENT : la graine ne redonne pas la même sélection."]
    for key, caption in (
        ("missing", "enregistrée(s) mais plus tirée(s)"),
        ("extra", "tirée(s) mais pas enregistrée(s)"),
        ("grounds_differ", "tirée(s) pour d'autres motifs"),
    ):
        if verification.get(key):
            claims = ", ".join(outside(claim, 64) for claim in verification[key][:20])
            more = f" (+{len(verification[key]) - 20})" if len(verification[key]) > 20 else ""
            lines.append(f"  {len(verification[key])} {caption} : {claims}{more}")
    return lines


def _moment(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return outside(value, 40)
    return paris(value) if isinstance(value, dt.datetime) else "—"
