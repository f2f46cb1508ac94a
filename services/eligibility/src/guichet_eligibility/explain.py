"""Each rule's result in one French sentence an operator can read aloud, from what the rule looked at.

Pure functions of (code, passed, observed) as stored with the decision; an unknown code, or a decision stored
before a rule changed what it observes, falls back to the code and its raw values rather than failing. Why an
invoice does not count is the reason-code catalogue's detail (`guichet_common.contracts.reason_codes`), the one
source of the reasons' texts, filled with the invoice's values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from guichet_common.contracts.reason_codes import catalogue

Phrase = Callable[[bool, Mapping[str, Any]], str]

# INSEE "tranche d'effectif salarié" codes, as the registry publishes them.
HEADCOUNT_BANDS = {
    "NN": "non renseignée",
    "00": "0 salarié",
    "01": "1 ou 2 salariés",
    "02": "3 à 5 salariés",
    "03": "6 à 9 salariés",
    "11": "10 à 19 salariés",
    "12": "20 à 49 salariés",
    "21": "50 à 99 salariés",
    "22": "100 à 199 salariés",
    "31": "200 à 249 salariés",
    "32": "250 à 499 salariés",
    "41": "500 à 999 salariés",
    "42": "1 000 à 1 999 salariés",
    "51": "2 000 à 4 999 salariés",
    "52": "5 000 à 9 999 salariés",
    "53": "10 000 salariés et plus",
}
DECLARATIONS = {
    "tax_and_social_obligations_met": "être à jour de ses obligations fiscales et sociales",
    "not_in_liquidation": "ne pas être en liquidation judiciaire",
    "information_accurate": "certifier l'exactitude des informations",
}
# The values an invoice rejection (invoices.InvoiceRejection) records as dates, written the French way in its detail.
INVOICE_DATES = frozenset({"issued_on", "earliest", "latest", "submitted_on"})


def explain(code: str, passed: bool, observed: Mapping[str, Any] | None) -> str:
    """One sentence for one rule result; never raises."""
    observed = observed or {}
    phrase = PHRASES.get(code)
    if phrase is not None:
        try:
            return phrase(passed, observed)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # stored by another version of the rule: the raw values still say what it saw
    return raw(code, passed, observed)


def raw(code: str, passed: bool, observed: Mapping[str, Any]) -> str:
    values = ", ".join(f"{key} = {value}" for key, value in observed.items())
    return f"{code} {'respectée' if passed else 'non respectée'} ({values or 'aucune valeur'})"


def euros(cents: int) -> str:
    whole, rest = divmod(int(cents), 100)
    return f"{whole:,}".replace(",", " ") + f",{rest:02d} €"


def date(iso: str) -> str:
    return dt.date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")


def paris_moment(iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso)
    return f"le {moment:%d/%m/%Y} à {moment:%H:%M} (heure de Paris)"


def _window(p: bool, o: Mapping[str, Any]) -> str:
    where = "dans" if p else "en dehors de"
    return (
        f"Déposée {paris_moment(o['submitted_paris'])}, {where} la période de dépôt "
        f"du {date(o['opens'])} au {date(o['closes'])}"
    )


def _ceased(p: bool, o: Mapping[str, Any]) -> str:
    state = o["registry_state"]
    if state is None:
        return "Aucune fiche au répertoire : l'état de l'entreprise n'a pas pu être vérifié"
    return f"Le répertoire indique l'entreprise comme {'active' if p else 'cessée'} (état « {state} »)"


def _headcount(p: bool, o: Mapping[str, Any]) -> str:
    band = o["registry_band"]
    registry = (
        f"tranche au répertoire « {band} » ({HEADCOUNT_BANDS.get(band, 'inconnue')})"
        if band
        else "pas de tranche au répertoire"
    )
    verdict = "dans la limite" if p else "trop élevé"
    return (
        f"Effectif {verdict} : {o['declared']} salarié(s) déclaré(s), "
        f"il doit être inférieur à {o['must_be_below']} ; {registry}"
    )


def _turnover(p: bool, o: Mapping[str, Any]) -> str:
    where = "dans la limite" if p else "au-dessus du plafond"
    return f"Chiffre d'affaires déclaré de {euros(o['declared_cents'])} HT, {where} de {euros(o['maximum_cents'])} HT"


def _activity(p: bool, o: Mapping[str, Any]) -> str:
    registry = f", création au répertoire le {date(o['registry_created'])}" if o["registry_created"] else ""
    verdict = "assez ancienne" if p else "trop récente"
    return (
        f"Activité {verdict} : commencée le {date(o['declared'])} (déclaré{registry}), "
        f"elle doit avoir commencé avant le {date(o['must_be_before'])}"
    )


def _closed(p: bool, o: Mapping[str, Any]) -> str:
    if o["hotel"]:
        return f"Code NAF {o['naf']} (hôtellerie), dispensé de la condition de fermeture au public"
    if o["declared_closed"]:
        return "Déclarée fermée au public pendant la période de fermeture"
    return f"Pas déclarée fermée au public, et le code NAF {o['naf']} n'est pas un code d'hôtellerie"


def _registered(p: bool, o: Mapping[str, Any]) -> str:
    return f"{'Déclarée' if o['declared'] else 'Pas déclarée'} immatriculée au RCS ou au RM"


def _manager(p: bool, o: Mapping[str, Any]) -> str:
    job = "déclare un emploi" if o["manager_full_time_employee"] else "ne déclare pas d'emploi"
    verdict = "" if p else " : le dirigeant salarié à temps plein d'une entreprise sans salarié n'est pas éligible"
    return f"Le dirigeant {job} salarié à temps plein, effectif de {o['headcount']} salarié(s){verdict}"


def _declarations(p: bool, o: Mapping[str, Any]) -> str:
    if not o["missing"]:
        return "Les trois déclarations sur l'honneur sont faites"
    missing = ", ".join(f"« {DECLARATIONS.get(name, name)} »" for name in o["missing"])
    return f"Déclaration(s) sur l'honneur manquante(s) : {missing}"


def _overseas(p: bool, o: Mapping[str, Any]) -> str:
    prefixes = ", ".join(o["excluded"])
    where = "hors des" if p else "dans les"
    return f"Code postal {o['postcode']}, {where} territoires exclus (codes commençant par {prefixes})"


def _filer(p: bool, o: Mapping[str, Any]) -> str:
    if p:
        return f"Demande déposée par un déposant admis ({o['kind']})"
    return f"Demande déposée par un prestataire numérique ({o['kind']}), ce qui n'est pas admis"


def _expenses(p: bool, o: Mapping[str, Any]) -> str:
    verdict = "au moins égales au" if p else "sous le"
    sentence = (
        f"Dépenses éligibles de {euros(o['eligible_incl_tax_cents'])} TTC, "
        f"{verdict} minimum de {euros(o['minimum_cents'])} TTC"
    )
    set_aside = o["ineligible_invoices"]
    if set_aside:
        sentence += " ; factures écartées : " + "; ".join(
            f"{number} ({invoice_reason(why)})" for number, why in set_aside.items()
        )
    return sentence


def invoice_reason(why: Mapping[str, Any] | str) -> str:
    """Why one invoice does not count: a stored InvoiceRejection record (code and values) in French. A decision
    stored before the reasons had codes holds an English sentence, shown as it is; an unknown code, or values of
    another shape, show the code and the raw values."""
    if isinstance(why, str):
        return why
    reason = catalogue().get(str(why.get("code")))
    if reason is not None and reason.detail_fr is not None:
        try:
            shown = {name: date(value) if name in INVOICE_DATES else value for name, value in why.items()}
            return reason.detail_fr.format_map(shown)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass
    values = ", ".join(f"{key} = {value}" for key, value in why.items() if key != "code")
    return f"{why.get('code')} ({values or 'aucune valeur'})"


def _already_aided(p: bool, o: Mapping[str, Any]) -> str:
    others = o["other_claims_of_the_company"]
    if p:
        return "Aucune autre demande aidée pour cette entreprise"
    return f"L'entreprise a déjà {others} autre(s) demande(s) aidée(s) (accordée, en attente ou payée)"


def _registry_record(p: bool, o: Mapping[str, Any]) -> str:
    if p:
        return f"SIREN {o['siren']} trouvé au répertoire"
    return f"SIREN {o['siren']} absent du répertoire : vérification par un agent"


def _invoice_reused(p: bool, o: Mapping[str, Any]) -> str:
    if p:
        return "Aucune facture n'apparaît sur la demande d'une autre entreprise"
    sirens = ", ".join(o["also_claimed_by_sirens"])
    return f"Une facture apparaît aussi sur la demande d'autre(s) entreprise(s) (SIREN {sirens}) : vérification"


def _iban_shared(p: bool, o: Mapping[str, Any]) -> str:
    seen = f"IBAN présent sur les demandes de {o['distinct_sirens']} entreprise(s)"
    if p:
        return f"{seen}, sous le seuil de vérification de {o['review_from']}"
    return f"{seen}, vérification à partir de {o['review_from']}"


PHRASES: dict[str, Phrase] = {
    "FILED_OUTSIDE_WINDOW": _window,
    "COMPANY_CEASED": _ceased,
    "HEADCOUNT_TOO_HIGH": _headcount,
    "TURNOVER_TOO_HIGH": _turnover,
    "ACTIVITY_TOO_RECENT": _activity,
    "NOT_CLOSED_TO_PUBLIC": _closed,
    "NOT_REGISTERED_RCS_RM": _registered,
    "MANAGER_EMPLOYED_FULL_TIME": _manager,
    "DECLARATION_MISSING": _declarations,
    "OVERSEAS_EXCLUDED": _overseas,
    "FILED_BY_DIGITAL_PROVIDER": _filer,
    "EXPENSES_BELOW_MINIMUM": _expenses,
    "ALREADY_AIDED": _already_aided,
    "REGISTRY_NO_RECORD": _registry_record,
    "INVOICE_REUSED": _invoice_reused,
    "IBAN_SHARED": _iban_shared,
}
