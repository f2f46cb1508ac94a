"""What a claim's trace says of its personal data under issue 18: when each kind was erased ("effacé le"), and that
a sealed value (`sealed:v1:...`, ciphertext bound to the claim) was there, never the value itself. Pure."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from guichet_console.trace_collect import ClaimHistory

if TYPE_CHECKING:
    from guichet_console.trace_timeline import TraceEvent

ERASED_KINDS = {
    "contact": "Coordonnées (nom, e-mail, téléphone)",
    "bank": "Coordonnées bancaires (IBAN, BIC, titulaire)",
}
ERASURE_REASONS = {"retention": "durée de conservation échue", "request": "à la demande de la personne"}
SEALED = re.compile(r"sealed:v\d+:[A-Za-z0-9_:.-]+")


def erasure_events(history: ClaimHistory) -> list[TraceEvent]:
    """One event per kind of data erased: when the first service erased it, and which services did."""
    from guichet_console.trace_timeline import TraceEvent  # here: trace_timeline imports this module

    by_kind: dict[str, list[tuple[str, Any]]] = {}
    for service, erasures in history.erasures.items():
        for erasure in erasures:
            by_kind.setdefault(erasure.kind, []).append((service, erasure))
    events = []
    for kind, done in sorted(by_kind.items()):
        first = min(erasure.erased_at for _, erasure in done)
        reason = ERASURE_REASONS.get(done[0][1].reason, done[0][1].reason)
        services = ", ".join(sorted(service for service, _ in done))
        title = f"{ERASED_KINDS.get(kind, kind)} effacées le {first:%d/%m/%Y} ({reason})"
        data = {"kind": kind, "erased_on": first.date().isoformat(), "reason": done[0][1].reason}
        events.append(TraceEvent(first, "privacy", title, (f"Effacées par : {services}",), data))
    return events


def erased_on(history: ClaimHistory, service: str, kind: str) -> str | None:
    """Says "effacées le JJ/MM/AAAA" when `service` erased that kind of the claim's data; None when it did not."""
    for erasure in history.erasures.get(service, []):
        if erasure.kind == kind:
            return f"effacées le {erasure.erased_at:%d/%m/%Y}"
    return None


def _hidden(value: Any) -> Any:
    if isinstance(value, str):
        return SEALED.sub("[scellé]", value)
    if isinstance(value, dict):
        return {key: _hidden(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_hidden(item) for item in value)
    return value


def without_sealed(event: TraceEvent) -> TraceEvent:
    """A sealed value is ciphertext bound to a claim: never printed, even though it cannot be read without its key."""
    return replace(event, title=_hidden(event.title), details=_hidden(event.details), data=_hidden(event.data))
