"""The CSRF token is found in every kind of form body, and in the header htmx sends."""

from __future__ import annotations

from guichet_backoffice.web.auth import _csrf_ok, local_path


def scope(content_type: str, **headers: str) -> dict:
    raw = [(b"content-type", content_type.encode())] + [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"headers": raw}


def test_an_url_encoded_form() -> None:
    assert _csrf_ok(scope("application/x-www-form-urlencoded"), b"reason=x&csrf_token=tok", "tok")
    assert not _csrf_ok(scope("application/x-www-form-urlencoded"), b"reason=x&csrf_token=other", "tok")
    assert not _csrf_ok(scope("application/x-www-form-urlencoded"), b"reason=x", "tok")


def test_a_multipart_form() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="reason"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\ntok\r\n--b--\r\n'
    )
    assert _csrf_ok(scope("multipart/form-data; boundary=b"), body, "tok")
    assert not _csrf_ok(scope("multipart/form-data; boundary=b"), body.replace(b"tok", b"bad"), "tok")


def test_the_header_and_json_bodies() -> None:
    assert _csrf_ok(scope("application/json", **{"x-csrf-token": "tok"}), b"{}", "tok")
    assert not _csrf_ok(scope("application/json"), b'{"csrf_token": "tok"}', "tok")
    assert not _csrf_ok(scope("application/x-www-form-urlencoded"), b"csrf_token=", "")


def test_a_next_page_stays_on_the_site() -> None:
    assert local_path("/demandes/a-verifier?programme=x") == "/demandes/a-verifier?programme=x"
    for elsewhere in ("https://evil.example", "//evil.example", "/\\evil.example", "", None, "javascript:alert(1)"):
        assert local_path(elsewhere) == "/"
