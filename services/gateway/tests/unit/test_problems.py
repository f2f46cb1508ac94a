"""Problem details (RFC 9457) in the request's language, and the per-portal sliding-window rate limit."""

from __future__ import annotations

import json

import pytest

from guichet_gateway.http.problems import KINDS, language_of, problem_response
from guichet_gateway.http.rate_limit import SlidingWindowLimiter
from guichet_gateway.http.validation import FieldError


@pytest.mark.parametrize(
    "header, language",
    [
        (None, "fr"),
        ("", "fr"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE,en;q=0.5", "en"),
        ("de", "fr"),
        ("en;q=0.2,fr;q=0.8", "fr"),
        ("en;q=abc,;;,\x00", "fr"),
        ("en;q=0", "fr"),
        ("en, fr", "en"),
        ("fr, en", "fr"),
    ],
)
def test_the_language_is_french_unless_english_is_preferred(header: str | None, language: str) -> None:
    assert language_of(header) == language


def test_a_problem_says_its_code_status_and_fields_in_the_asked_language() -> None:
    errors = (FieldError("/iban", "au moins 15 caractères", "at least 15 characters"),)
    french = problem_response("SCHEMA_INVALID", "fr", "/v1/claims", errors)
    english = json.loads(problem_response("SCHEMA_INVALID", "en", "/v1/claims", errors).body)

    assert french.media_type == "application/problem+json" and french.status_code == 422
    assert json.loads(french.body) == {
        "type": "https://guichet.example/problems/schema-invalid",
        "title": "Contenu non conforme",
        "status": 422,
        "detail": KINDS["SCHEMA_INVALID"].detail_fr,
        "instance": "/v1/claims",
        "code": "SCHEMA_INVALID",
        "errors": [{"pointer": "/iban", "message": "au moins 15 caractères"}],
    }
    assert (english["title"], english["errors"][0]["message"]) == ("Invalid content", "at least 15 characters")
    assert french.headers["content-language"] == "fr"


def test_a_portal_over_its_limit_waits_until_its_oldest_request_leaves_the_minute() -> None:
    limiter = SlidingWindowLimiter()
    assert [limiter.admit("alpha", 2, now) for now in (0.0, 10.0)] == [None, None]
    assert limiter.admit("alpha", 2, 20.0) == 40
    assert limiter.admit("beta", 2, 20.0) is None  # each portal its own window
    assert limiter.admit("alpha", 2, 60.5) is None  # the request at 0.0 has left the window
    assert limiter.admit("alpha", 2, 61.0) == 9
