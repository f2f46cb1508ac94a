"""`python -m guichet_gateway.openapi [--out docs/openapi.json]`: write the /v1 API's OpenAPI 3.1 document, the
same bytes for the same code (tests/docs/test_openapi_fresh.py fails when the committed one is stale)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from guichet_gateway.http.app import offline_api

DEFAULT_OUT = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"


def document_text() -> str:
    return json.dumps(offline_api().openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args(argv).out
    out.write_text(document_text(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
