"""Dead letters and set-aside items, for supervisors (auditors read them too).

A dead letter's payload is masked by default; unmasking posts (with its CSRF token), is recorded in the audit
trail, and answers with the page unmasked. The replay / discard and release / cancel forms post to the decisions
endpoints (guichet_backoffice.web.app's), which enforce four eyes and send the command to the owning service.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guichet_backoffice import audit, read_model
from guichet_backoffice.web.pages_common import (
    DECIDES_OPERATIONS,
    OPERATIONS,
    connection,
    guarded,
    may,
    render,
    signed_in_login,
)

DEAD_LETTERS_PATH = "/lettres-mortes"
SET_ASIDE_PATH = "/mis-de-cote"


async def dead_letters(request: Request) -> Response:
    topic = request.query_params.get("sujet", "").strip()[:200] or None
    async with connection(request) as conn:
        letters = await read_model.dead_letters(conn, topic=topic)
    return render(request, "dead_letters.html", {"letters": letters, "topic": topic})


async def dead_letter_page(request: Request) -> Response:
    return await _dead_letter(request, unmasked=False)


async def dead_letter_unmasked(request: Request) -> Response:
    return await _dead_letter(request, unmasked=True)


async def _dead_letter(request: Request, *, unmasked: bool) -> Response:
    letter_id = request.path_params["letter_id"]
    async with connection(request) as conn:
        letter = await read_model.dead_letter(conn, letter_id)
        if letter is None:
            return render(request, "not_found.html", {"what": "Cette lettre morte"}, status_code=404)
        if unmasked:
            await audit.record(
                conn,
                signed_in_login(request),
                audit.PERSONAL_DATA_VIEWED,
                target=f"dead_letter:{letter_id}",
                details={"page": "dead_letter", "fields": ["payload"]},
            )
    context = {
        "letter": letter,
        "unmasked": unmasked,
        "may_decide": may(request, DECIDES_OPERATIONS),
        "paths": dead_letter_paths(letter_id),
    }
    return render(request, "dead_letter.html", context)


def dead_letter_paths(letter_id: str) -> dict[str, str]:
    """The page, its unmasking, and the decisions endpoints its forms post to."""
    base = f"{DEAD_LETTERS_PATH}/{quote(letter_id, safe='')}"
    return {
        "page": base,
        "unmask": f"{base}/donnees-personnelles",
        "replay": f"{base}/rejouer",
        "discard": f"{base}/abandonner",
    }


async def set_aside(request: Request) -> Response:
    state = request.query_params.get("etat", "held")
    state = state if state in {"held", "released", "cancelled", "all"} else "held"
    async with connection(request) as conn:
        items = await read_model.set_aside_items(conn, state=None if state == "all" else state)
    rows = [(item, set_aside_paths(item.service, item.kind, item.item_id)) for item in items]
    context = {"rows": rows, "state": state, "may_decide": may(request, DECIDES_OPERATIONS)}
    return render(request, "set_aside.html", context)


def set_aside_paths(service: str, kind: str, item_id: str) -> dict[str, str]:
    base = f"{SET_ASIDE_PATH}/{quote(service, safe='')}/{quote(kind, safe='')}/{quote(item_id, safe='')}"
    return {"release": f"{base}/relacher", "cancel": f"{base}/annuler"}


def routes() -> list[Route]:
    return [
        Route(DEAD_LETTERS_PATH, guarded(OPERATIONS, dead_letters), methods=["GET"], name="dead_letters"),
        Route(
            DEAD_LETTERS_PATH + "/{letter_id}",
            guarded(OPERATIONS, dead_letter_page),
            methods=["GET"],
            name="dead_letter",
        ),
        Route(
            DEAD_LETTERS_PATH + "/{letter_id}/donnees-personnelles",
            guarded(OPERATIONS, dead_letter_unmasked),
            methods=["POST"],
            name="dead_letter_unmasked",
        ),
        Route(SET_ASIDE_PATH, guarded(OPERATIONS, set_aside), methods=["GET"], name="set_aside"),
    ]
