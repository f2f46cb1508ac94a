"""RFC 9457 problem details (`application/problem+json`) for every error the API answers, FastAPI's own included,
in French unless the request's Accept-Language prefers English.

`type` is `https://guichet.example/problems/<code in kebab case>`: a stable identifier, not a page to fetch."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from starlette.responses import JSONResponse

from guichet_gateway.http.validation import FieldError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://guichet.example/problems/"
LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class Kind:
    status: int
    title_fr: str
    title_en: str
    detail_fr: str
    detail_en: str


KINDS: Mapping[str, Kind] = {
    "UNAUTHORIZED": Kind(
        401,
        "Authentification requise",
        "Authentication required",
        "Clé d'API absente, invalide, remplacée, ou portail désactivé.",
        "API key missing, invalid or rotated, or portal disabled.",
    ),
    "NOT_FOUND": Kind(
        404,
        "Introuvable",
        "Not found",
        "Aucune ressource de ce portail à cette adresse.",
        "This portal has no resource at this address.",
    ),
    "METHOD_NOT_ALLOWED": Kind(
        405,
        "Méthode non permise",
        "Method not allowed",
        "Cette adresse n'accepte pas cette méthode ; l'en-tête Allow dit lesquelles.",
        "This address does not take this method; the Allow header lists those it takes.",
    ),
    "CLAIM_ID_CONFLICT": Kind(
        409,
        "Identifiant de dossier déjà pris",
        "Claim id already taken",
        "Ce claim_id a déjà été déposé avec un autre contenu.",
        "This claim_id was posted before with a different body.",
    ),
    "BODY_TOO_LARGE": Kind(
        413,
        "Corps trop volumineux",
        "Body too large",
        "Le corps de la requête dépasse la taille permise.",
        "The request body is larger than allowed.",
    ),
    "UNSUPPORTED_MEDIA_TYPE": Kind(
        415,
        "Type de contenu non pris en charge",
        "Unsupported media type",
        "Le corps doit être envoyé en application/json.",
        "The body must be sent as application/json.",
    ),
    "BODY_NOT_JSON": Kind(
        400,
        "Corps illisible",
        "Unreadable body",
        "Le corps n'est pas un document JSON valide en UTF-8.",
        "The body is not a valid UTF-8 JSON document.",
    ),
    "SCHEMA_INVALID": Kind(
        422,
        "Contenu non conforme",
        "Invalid content",
        "La requête ne respecte pas le contrat publié ; `errors` dit où et pourquoi.",
        "The request does not follow the published contract; `errors` says where and why.",
    ),
    "RATE_LIMITED": Kind(
        429,
        "Trop de requêtes",
        "Too many requests",
        "Ce portail a dépassé son nombre de requêtes par minute ; réessayez après Retry-After secondes.",
        "This portal is over its requests per minute; try again after Retry-After seconds.",
    ),
    "INTERNAL_ERROR": Kind(
        500,
        "Erreur interne",
        "Internal error",
        "Une erreur inattendue ; la requête peut être renvoyée telle quelle.",
        "An unexpected error; the request may be sent again as is.",
    ),
    "UNAVAILABLE": Kind(
        503,
        "Service momentanément indisponible",
        "Service temporarily unavailable",
        "Le service démarre ou sa base de données ne répond pas ; réessayez après Retry-After secondes.",
        "The service is starting or its database is not answering; try again after Retry-After seconds.",
    ),
}
_BY_STATUS = {kind.status: code for code, kind in KINDS.items()}


@dataclass
class ProblemError(Exception):
    """Raised anywhere under a route: answered as the problem `code` says."""

    code: str
    errors: Sequence[FieldError] = ()
    headers: dict[str, str] = field(default_factory=dict)


def code_for_status(status: int) -> str:
    return _BY_STATUS.get(status, "NOT_FOUND" if 400 <= status < 500 else "INTERNAL_ERROR")


def problem_json(code: str, language: str, instance: str, errors: Sequence[FieldError] = ()) -> dict[str, object]:
    kind = KINDS[code]
    english = language == "en"
    body: dict[str, object] = {
        "type": TYPE_BASE + code.lower().replace("_", "-"),
        "title": kind.title_en if english else kind.title_fr,
        "status": kind.status,
        "detail": kind.detail_en if english else kind.detail_fr,
        "instance": instance,
        "code": code,
    }
    if errors:
        body["errors"] = [error.as_json(language) for error in errors]
    return body


def problem_response(
    code: str,
    language: str,
    instance: str,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    content = problem_json(code, language, instance, errors)
    response_headers = {"Content-Language": language, **(headers or {})}
    return JSONResponse(content, KINDS[code].status, headers=response_headers, media_type=MEDIA_TYPE)


_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")


def language_of(accept_language: str | None) -> str:
    """`en` when the header prefers English to French, else `fr` (the default, and for anything unreadable)."""
    best, best_q = "fr", 0.0
    for part in (accept_language or "")[:500].split(",")[:20]:
        match = _TAG.match(part)
        if match is None:
            continue
        primary = match.group(1).lower()
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if primary in LANGUAGES and q > best_q and 0 < q <= 1:
            best, best_q = primary, q  # equal weights: the first listed wins
    return best
