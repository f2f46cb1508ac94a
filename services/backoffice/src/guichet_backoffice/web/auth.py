"""Who is asking, and whether they may: sessions, CSRF, roles and security headers for every page.

`AuthGate` wraps the whole web app (pure ASGI, so that it can read a form's body and hand it on intact):
- every response carries the security headers (a CSP without inline script, no framing, no sniffing, no cache);
- a signed-out request for any page is sent to sign-in; someone holding a one-time password only reaches the
  page that replaces it;
- every request that is not GET/HEAD/OPTIONS must carry the session's CSRF token (form field `csrf_token` or
  header `X-CSRF-Token`) or is refused with 403. The JSON API under /api/ authenticates by bearer token instead,
  sends no cookie and so needs none.
Pages use `current_user(request)`, `require(*roles)` and, in forms, `csrf_field(request)`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guichet_backoffice.auth import tokens
from guichet_backoffice.auth.roles import holds
from guichet_backoffice.web import sessions
from guichet_common.db import PoolSlot

SIGN_IN_PATH = "/connexion"
SIGN_OUT_PATH = "/deconnexion"
PASSWORD_PATH = "/mot-de-passe"
OIDC_PATHS = ("/connexion/oidc", "/connexion/oidc/retour")
PUBLIC_PREFIXES = ("/static/", "/api/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 1_000_000
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none';"
        " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool
    name: str = "guichet-session"

    def set(self, response: Response, session_id: str) -> None:
        response.set_cookie(self.name, session_id, path="/", secure=self.secure, httponly=True, samesite="strict")

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path="/", secure=self.secure, httponly=True, samesite="strict")


def current_session(request: Request) -> sessions.Session | None:
    session: sessions.Session | None = request.scope.get("guichet.session")
    return session


def current_user(request: Request) -> sessions.SessionUser | None:
    """The signed-in person, or None."""
    session = current_session(request)
    return None if session is None else session.user


def csrf_token(request: Request) -> str:
    session = current_session(request)
    return "" if session is None else session.csrf_token


def csrf_field(request: Request) -> str:
    """The hidden input every form carries (pages: `{{ csrf_field() }}`)."""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">')


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN_PATH}?suite={quote(target)}", status_code=303)


Endpoint = Callable[[Request], Awaitable[Response]]


def forbidden(request: Request) -> Response:
    """The 403 page (the layout's, when the pages are installed)."""
    try:
        from guichet_backoffice.web.pages_common import render
    except ImportError:
        return PlainTextResponse("Accès refusé.", status_code=403)
    return render(request, "refused.html", status_code=403)


def require(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """An endpoint only the holders of one of `roles` open (auth.roles.holds); others get the 403 page."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                return sign_in_redirect(request)
            if not holds(user.role, *roles):
                return forbidden(request)
            return await endpoint(request)

        return guarded

    return decorate


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: a ?suite= never sends anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


class AuthGate:
    def __init__(self, app: ASGIApp, pool: PoolSlot, lifetime: sessions.Lifetime, cookie: CookiePolicy) -> None:
        self.app, self.pool, self.lifetime, self.cookie = app, pool, lifetime, cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send, static=scope["path"].startswith("/static/"), https=self.cookie.secure)
        path, method = scope["path"], scope["method"]
        if path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        session = await self._session(scope)
        scope["guichet.session"] = session
        request = Request(scope)
        user = session.user if session else None
        if user is None and path != SIGN_IN_PATH and path not in OIDC_PATHS:
            await sign_in_redirect(request)(scope, receive, send)
            return
        if user is not None and user.must_change_password and path not in (PASSWORD_PATH, SIGN_OUT_PATH):
            await RedirectResponse(PASSWORD_PATH, status_code=303)(scope, receive, send)
            return
        if method not in SAFE_METHODS:
            body = await _read_body(receive)
            if body is None or session is None or not _csrf_ok(scope, body, session.csrf_token):
                await forbidden_csrf(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _session(self, scope: Scope) -> sessions.Session | None:
        session_id = _cookie(scope, self.cookie.name)
        if not session_id:
            return None
        async with self.pool.acquire() as conn:
            return await sessions.load(conn, session_id, self.lifetime, dt.datetime.now(dt.UTC))


async def forbidden_csrf(scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(
        "Formulaire refusé : jeton de sécurité absent ou périmé. Rechargez la page et recommencez.", status_code=403
    )
    await response(scope, receive, send)


def _csrf_ok(scope: Scope, body: bytes, expected: str) -> bool:
    headers = dict(scope["headers"])
    sent = headers.get(b"x-csrf-token", b"").decode("latin-1")
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    if not sent and content_type.startswith("application/x-www-form-urlencoded"):
        sent = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [""])[0]
    elif not sent and content_type.startswith("multipart/form-data"):
        sent = _multipart_field(body, content_type, CSRF_FIELD)
    return bool(sent) and tokens.same(sent, expected)


def _multipart_field(body: bytes, content_type: str, name: str) -> str:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            return str(part.get_content()).strip()
    return ""


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                continue
            if name in jar:
                return jar[name].value
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None past MAX_FORM_BYTES (refused rather than held in memory)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The body read once, handed on whole; after it, the client's own messages (a disconnect, when it comes)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _with_headers(send: Send, *, static: bool, https: bool) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {key.lower() for key, _ in headers}
            for key, value in SECURITY_HEADERS.items():
                if key.encode() not in present:
                    headers.append((key.encode(), value.encode()))
            if https:
                headers.append((b"strict-transport-security", b"max-age=31536000"))
            if not static and b"cache-control" not in present:
                headers.append((b"cache-control", b"no-store"))  # pages show personal data: never cached
            message = {**message, "headers": headers}
        await send(message)

    return sending
