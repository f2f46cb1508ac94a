"""What the back-office's own web handlers share, made once by `create_web` from the settings and the pool."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from guichet_backoffice.auth.lockout import LockoutPolicy
from guichet_backoffice.settings import BackofficeSettings
from guichet_backoffice.web.auth import CookiePolicy
from guichet_backoffice.web.sessions import Lifetime
from guichet_common.db import PoolSlot

Render = Callable[..., Response]


@dataclass(frozen=True)
class WebContext:
    settings: BackofficeSettings
    pool: PoolSlot
    render: Render  # render(request, template, context, status_code=200): the layout's (web.pages_common)

    @property
    def lifetime(self) -> Lifetime:
        return Lifetime(
            idle=dt.timedelta(minutes=self.settings.session_idle_minutes),
            max_age=dt.timedelta(hours=self.settings.session_max_hours),
        )

    @property
    def cookie(self) -> CookiePolicy:
        return CookiePolicy(secure=self.settings.cookie_secure)

    @property
    def lockout(self) -> LockoutPolicy:
        return LockoutPolicy(self.settings.lockout_after_failures, dt.timedelta(minutes=self.lockout_minutes))

    @property
    def lockout_minutes(self) -> int:
        return self.settings.lockout_minutes

    @property
    def topic_prefix(self) -> str:
        return self.settings.topic_prefix

    @property
    def oidc_label(self) -> str | None:
        return self.settings.oidc_label if self.settings.oidc_issuer else None


def render_fallback(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Until the layout's module is installed: the same templates folder, with what the layout needs."""
    from pathlib import Path

    from markupsafe import Markup
    from starlette.templating import Jinja2Templates

    from guichet_backoffice.web import auth

    templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
    shared: dict[str, Any] = {
        "user": auth.current_user(request),
        "nav": [],
        "csrf_field": lambda: Markup(auth.csrf_field(request)),
        "static_url": lambda name: f"/static/{name}",
        "role_label": lambda role: role,
        "sign_out_path": auth.SIGN_OUT_PATH,
    }
    return templates.TemplateResponse(request, template, {**shared, **(context or {})}, status_code=status_code)
