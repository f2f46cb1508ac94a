"""A subject-access export as a page a person can read: each service's records, field by field, in French.

Pure: a document in, HTML out. Every value came from outside (what the person or a portal wrote): all of it is
escaped, none of it becomes markup, and the page loads nothing (no script, no remote style).
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from typing import Any

SERVICES = {
    "intake": "Réception des demandes (intake)",
    "eligibility": "Instruction (eligibility)",
    "payments": "Paiements (payments)",
    "notifications": "Courriels envoyés (notifications)",
    "gateway": "Passerelle des portails (gateway)",
    "backoffice": "Outil des agents (back-office)",
}
STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2;width:30%}td{white-space:pre-wrap;overflow-wrap:anywhere}.note{color:#555}"
)


def shown_value(value: Any) -> str:
    """One field as a reader sees it: an erasure's date, a sealed value's word, else the value (JSON if nested)."""
    if isinstance(value, dict) and set(value) == {"erased_on"}:
        return f"effacé le {_french_date(value['erased_on'])}" if value["erased_on"] else "effacé"
    if isinstance(value, dict) and value.get("sealed") is True:
        return "scellé (chiffré, illisible sans la clé de la demande)"
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False)


def _french_date(iso: str) -> str:
    try:
        return dt.date.fromisoformat(str(iso)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(iso)


def export_page(document: dict[str, Any]) -> str:
    subject = ", ".join(f"{key} : {value}" for key, value in (document.get("subject") or {}).items())
    parts = document.get("parts") or []
    body = [
        "<h1>Données personnelles détenues par Guichet</h1>",
        f"<p>Demande d'accès {escape(str(document.get('request_id', '')))} — personne : {escape(subject)}.</p>",
        f"<p>Demandes concernées : {escape(', '.join(map(str, document.get('claim_ids') or [])) or 'aucune')}.</p>",
        '<p class="note">« effacé le … » : la donnée a été supprimée à cette date (durée de conservation échue ou'
        " demande d'effacement). « scellé » : la donnée n'existe plus que chiffrée, sans clé pour la lire.</p>",
    ]
    for part in parts:
        service = str(part.get("service", ""))
        records = part.get("records") or []
        body.append(f"<h2>{escape(SERVICES.get(service, service))}</h2>")
        if not records:
            body.append("<p>Aucune donnée sur cette personne.</p>")
        for record in records:
            body.append(_record(record))
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Export de données personnelles</title><style>{STYLE}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _record(record: dict[str, Any]) -> str:
    title = f"{record.get('store', '')} — demande {record.get('claim_id', '')}"
    rows = "".join(
        f"<tr><th>{escape(str(name))}</th><td>{escape(shown_value(value))}</td></tr>"
        for name, value in (record.get("fields") or {}).items()
    )
    return f"<h3>{escape(title)}</h3><table>{rows}</table>"
