"""What the firm is told about a post-payment control and a recovery order (ordre de reversement), in French. Pure
functions: no I/O.

One e-mail kind per step the firm must hear of: `control_request` (selected: why, what to send, by when),
`control_compliant`, `recovery_order` (issued), `recovery_reminder_<n>` (each reminder), `recovery_collection`
(passed to the public accountant) and `recovery_settled`. None is a claim status, so none can be configured to go
out on a bare status change (which lacks the dates and references the letters need).

Each letter is a list of paragraphs, so that a paragraph (such as the routes of appeal of a later issue) can be
added to every notice in one place: `NOTICE_ENDINGS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from guichet_common.safe_text import printable
from guichet_notifications.wording import euros, french_date, reason_lines

if TYPE_CHECKING:
    from guichet_notifications.domain import Occasion

Content = Callable[["Occasion", Mapping[str, str]], tuple[str, str]]
Paragraphs = tuple[str, list[str]]  # the subject's phrase and the body's paragraphs

_REMINDER = re.compile(r"recovery_reminder_([1-9][0-9]{0,2})\Z")
_ALNUM = re.compile(r"[^0-9A-Z]")
_ORDER_ID = re.compile(r"[^0-9A-Z-]")

# Paragraphs added at the end of every notice of a kind (none yet; issue 20 adds the routes of appeal here).
NOTICE_ENDINGS: dict[str, list[str]] = {}


def reminder_kind(number: int) -> str:
    return f"recovery_reminder_{number}"


def _detail(o: Occasion, name: str) -> str:
    value = o.details.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"the e-mail lacks its {name}")
    return value


def _reference_code(o: Occasion, name: str) -> str:
    """An identifier from the event (payment reference, IBAN): letters and digits only."""
    return _ALNUM.sub("", _detail(o, name).upper())


def _order(o: Occasion) -> str:
    return _ORDER_ID.sub("", _detail(o, "order_id").upper())


def _iban(o: Occasion) -> str:
    iban = _reference_code(o, "creditor_iban")
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _how_to_pay(o: Occasion) -> str:
    """The transfer the firm makes: the account to pay to and the reference to quote."""
    bic = _ALNUM.sub("", str(o.details.get("creditor_bic") or "").upper())
    lines = [
        "Payez par virement :",
        f"- bénéficiaire : {printable(_detail(o, 'creditor_name'), 70)}",
        f"- IBAN : {_iban(o)}",
        *([f"- BIC : {bic}"] if bic else []),
        f"- référence à indiquer impérativement sur le virement : {_reference_code(o, 'payment_reference')}",
    ]
    return "\n".join(lines)


def _outstanding(o: Occasion) -> str:
    left = o.details.get("outstanding_cents")
    return euros(left if isinstance(left, int) else o.amount_cents or 0)


def _control_request(o: Occasion, s: Mapping[str, str]) -> Paragraphs:
    return "contrôle de votre dossier : justificatifs à envoyer", [
        f"L'aide de {euros(o.amount_cents or 0)} versée pour votre demande fait l'objet d'un contrôle après "
        "paiement :\n" + reason_lines(o.reasons, s),
        f"Merci de nous envoyer au plus tard le {french_date(_detail(o, 'reply_by'))}, par le portail où vous "
        "avez déposé votre demande, en rappelant sa référence :\n- les factures présentées dans votre demande ;\n"
        "- les preuves de paiement de ces factures (relevé bancaire ou attestation acquittée du fournisseur).",
        "Sans réponse à cette date, l'aide devra être reversée.",
    ]


def _control_compliant(o: Occasion, s: Mapping[str, str]) -> Paragraphs:
    return "contrôle terminé : dossier conforme", [reason_lines(o.reasons, s), "L'aide versée vous reste acquise."]


def _recovery_order(o: Occasion, s: Mapping[str, str]) -> Paragraphs:
    order = _order(o)
    return f"ordre de reversement {order}", [
        f"À la suite du contrôle de votre dossier, l'ordre de reversement {order} vous demande de reverser "
        f"{euros(o.amount_cents or 0)} :\n" + reason_lines(o.reasons, s),
        f"Montant à reverser : {euros(o.amount_cents or 0)}, au plus tard le {french_date(_detail(o, 'due_on'))}.",
        _how_to_pay(o),
        "Sans paiement à cette date, vous recevrez des relances, puis la somme due sera confiée au comptable public "
        "pour son recouvrement.",
    ]


def _recovery_reminder(o: Occasion, s: Mapping[str, str]) -> Paragraphs:
    order = _order(o)
    number = o.details.get("reminder") or _reminder_number(o.kind)
    return f"relance n° {number} : ordre de reversement {order}", [
        f"Nous n'avons pas reçu le paiement complet de l'ordre de reversement {order}, attendu au plus tard le "
        f"{french_date(_detail(o, 'due_on'))}. Reste à payer : {_outstanding(o)}.",
        _how_to_pay(o),
        "Sans paiement, la somme due sera confiée au comptable public pour son recouvrement.",
    ]


def _recovery_collection(o: Occasion, s: Mapping[str, str]) -> Paragraphs:
    order = _order(o)
    return f"ordre de reversement {order} transmis au comptable public", [
        f"L'ordre de reversement {order} n'a pas été payé malgré nos relances. Le reste dû, {_outstanding(o)}, est "
        "transmis au comptable public, qui vous contactera pour son recouvrement.",
    ]


def _recovery_settled(o: Occasion, s: Mapping[str, str]) -> Paragraphs:
    order = _order(o)
    return f"ordre de reversement {order} soldé", [
        f"Nous avons reçu le reversement de {euros(o.amount_cents or 0)} demandé par l'ordre {order}. Il est "
        "soldé : vous n'avez plus rien à payer."
    ]


_PARAGRAPHS: dict[str, Callable[[Occasion, Mapping[str, str]], Paragraphs]] = {
    "control_request": _control_request,
    "control_compliant": _control_compliant,
    "recovery_order": _recovery_order,
    "recovery_reminder": _recovery_reminder,  # recovery_reminder_<n>
    "recovery_collection": _recovery_collection,
    "recovery_settled": _recovery_settled,
}


def _reminder_number(kind: str) -> int | None:
    match = _REMINDER.match(kind)
    return int(match.group(1)) if match else None


def _family(kind: str) -> str | None:
    if _reminder_number(kind) is not None:
        return "recovery_reminder"
    return kind if kind in _PARAGRAPHS and kind != "recovery_reminder" else None


def content(kind: str) -> Content | None:
    """How to write an e-mail of `kind` (subject phrase, body middle); None for a kind that is none of these."""
    family = _family(kind)
    if family is None:
        return None
    paragraphs = _PARAGRAPHS[family]

    def write(o: Occasion, sentences: Mapping[str, str]) -> tuple[str, str]:
        subject, body = paragraphs(o, sentences)
        return subject, "\n\n".join([*body, *NOTICE_ENDINGS.get(family, [])])

    return write
