"""The back-office as a person's browser reaches it, for the review-queue benchmark: sign in through the sign-in
form over real HTTP, then time page loads one after another (a person waits for each page before the next)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import httpx

from guichet_bench.load import percentile

SIGN_IN_PATH = "/connexion"
_CSRF_FIELD = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


class SignInRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class Timing:
    label: str
    path: str
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    body_bytes: int

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.requests:>5} req   p50 {self.p50_ms:7.1f} ms   p95 {self.p95_ms:7.1f} ms"
            f"   p99 {self.p99_ms:7.1f} ms   max {self.max_ms:7.1f} ms   {self.body_bytes / 1024:6.0f} KiB"
        )


def csrf_of(html: str) -> str:
    found = _CSRF_FIELD.search(html)
    if found is None:
        raise SignInRefused("no CSRF field on the sign-in page")
    return found.group(1)


async def signed_in_client(base_url: str, login: str, password: str) -> httpx.AsyncClient:
    """An HTTP client holding a signed-in session of `login`.

    The session cookie is Secure: a browser sends it to 127.0.0.1 over plain HTTP (a loopback address counts as
    a secure origin), but httpx's cookie jar does not, so the client carries it in its headers itself."""
    client = httpx.AsyncClient(base_url=base_url, timeout=30.0, follow_redirects=False)
    form_page = await client.get(SIGN_IN_PATH)
    form_page.raise_for_status()
    cookies = dict(form_page.cookies)
    answer = await client.post(
        SIGN_IN_PATH,
        data={"csrf_token": csrf_of(form_page.text), "login": login, "password": password},
        headers={"Cookie": _cookie_header(cookies)},
    )
    if answer.status_code != 303 or answer.headers.get("location", "").startswith(SIGN_IN_PATH):
        await client.aclose()
        raise SignInRefused(f"sign-in of {login} answered {answer.status_code}")
    cookies |= dict(answer.cookies)
    client.headers["Cookie"] = _cookie_header(cookies)
    client.cookies.clear()
    return client


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


async def time_page(client: httpx.AsyncClient, label: str, path: str, requests: int, warm_up: int = 10) -> Timing:
    """Load `path` `warm_up` times untimed, then `requests` times one after another; every answer must be 200."""
    durations: list[float] = []
    size = 0
    for i in range(warm_up + requests):
        started = time.perf_counter()
        answer = await client.get(path)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        if i >= warm_up:
            durations.append(elapsed * 1000)
            size = len(answer.content)
    return Timing(
        label=label,
        path=path,
        requests=requests,
        p50_ms=percentile(durations, 0.50),
        p95_ms=percentile(durations, 0.95),
        p99_ms=percentile(durations, 0.99),
        max_ms=max(durations),
        body_bytes=size,
    )
