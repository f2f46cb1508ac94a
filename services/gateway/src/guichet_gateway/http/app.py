"""The /v1 API (FastAPI): `create_web(wiring)` gives the ASGI app `build_app` serves beside the operational routes.

FastAPI's own lifespan never runs (see `guichet_common.runtime.ServiceApp`): the pool is the wiring's slot, filled
once the service has started. Every error, FastAPI's and Starlette's included, is answered as problem+json."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.responses import Response

from guichet_common.db import PoolSlot
from guichet_common.runtime import Wiring
from guichet_gateway.digests import digest_key
from guichet_gateway.http.context import ApiContext
from guichet_gateway.http.openapi_docs import problems_as_problem_json
from guichet_gateway.http.problems import ProblemError, code_for_status, language_of, problem_response
from guichet_gateway.http.routes import routes
from guichet_gateway.http.validation import FieldError, InvalidBody
from guichet_gateway.settings import GatewaySettings
from guichet_gateway.unit_of_work import GatewayUnitOfWork

TITLE = "Guichet gateway"
VERSION = "1"
DESCRIPTION = (
    "The portals' HTTP door to Guichet: post claims and bank details, read a claim's status history and the"
    " reason codes. Every request carries the portal's API key (`Authorization: Bearer gw_…`). Errors are RFC 9457"
    " problem details (`application/problem+json`), in French unless `Accept-Language` prefers English; their"
    " `type` is `https://guichet.example/problems/<code>`, an identifier rather than a page. See docs/portals.md."
)
log = structlog.get_logger()


def create_web(wiring: Wiring) -> FastAPI:
    settings = wiring.settings
    assert isinstance(settings, GatewaySettings)

    def unit_of_work() -> Any:
        return wiring.unit_of_work

    return build_api(
        ApiContext(
            pool=wiring.pool,
            unit_of_work=unit_of_work,
            topic_prefix=settings.topic_prefix,
            max_body_bytes=settings.max_body_bytes,
            default_rate_limit_per_minute=settings.default_rate_limit_per_minute,
            digest_key=digest_key(settings.master_key()),
        )
    )


def build_api(context: ApiContext) -> FastAPI:
    app = FastAPI(
        title=TITLE, version=VERSION, description=DESCRIPTION, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.include_router(routes(context))
    for error_type, handler in _HANDLERS.items():
        app.add_exception_handler(error_type, handler)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def openapi_document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        app.openapi_schema = problems_as_problem_json(document)
    return app.openapi_schema


def offline_api() -> FastAPI:
    """The API without a database, for its OpenAPI document."""
    # Never serves a request (its document only): no master key to read.
    return build_api(ApiContext(PoolSlot(), lambda: GatewayUnitOfWork, "", 1024, 1, lambda digest: digest))


def _path(request: Request) -> str:
    # A percent-encoded path may decode to lone surrogates, which JSON in UTF-8 cannot carry.
    return str(request.scope.get("path", "")).encode("utf-8", "replace").decode("utf-8")[:2000]


def _language(request: Request) -> str:
    return language_of(request.headers.get("accept-language"))


async def _problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProblemError)
    return problem_response(error.code, _language(request), _path(request), error.errors, error.headers)


async def _invalid_body(request: Request, error: Exception) -> Response:
    assert isinstance(error, InvalidBody)
    return problem_response(error.code, _language(request), _path(request), error.errors)


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    found = [
        FieldError("".join(f"/{part}" for part in e.get("loc", ())), "valeur refusée", str(e.get("msg", "")))
        for e in error.errors()[:20]
    ]
    return problem_response("SCHEMA_INVALID", _language(request), _path(request), found)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = code_for_status(error.status_code)
    return problem_response(code, _language(request), _path(request), headers=error.headers)


async def _unexpected(request: Request, error: Exception) -> Response:
    log.error("gateway_request_failed", path=_path(request), error=type(error).__name__)
    return problem_response("INTERNAL_ERROR", _language(request), _path(request))


_HANDLERS = {
    ProblemError: _problem,
    InvalidBody: _invalid_body,
    RequestValidationError: _invalid_request,
    HTTPException: _http_error,
    Exception: _unexpected,
}
