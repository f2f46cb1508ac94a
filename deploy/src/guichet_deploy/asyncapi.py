"""The services' AsyncAPI documents, generated from their code by FastStream, committed under docs/asyncapi/.

    python -m guichet_deploy.asyncapi [--check] [--out docs/asyncapi]

FastStream documents what each subscriber's handler signature declares; ours read the raw records (so that a
record which does not fit its contract can be dead-lettered rather than crash the batch), so the contract each
subscription names (`Wiring.subscribe(..., payload=...)`) is filled in here. Publications are declared with
their contract model and come out of FastStream as they are. `--check` exits 1 when a committed document is
stale (a test runs it).

It lives in deploy, which knows the services (it runs them), because guichet_common must not import them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from faststream.asgi import AsgiFastStream

from guichet_common.topics import original_topic
from guichet_deploy.infra import SERVICES

# Fixed settings, so the documents do not depend on the machine that generates them.
DOCUMENTED_SETTINGS = {"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "GUICHET_TOPIC_PREFIX": "", "LOG_FORMAT": "json"}
EMPTY_PAYLOAD = "#/components/schemas/EmptyPayload"


def document(app: AsgiFastStream) -> dict[str, Any]:
    spec = app.schema.to_specification().to_jsonable()
    payloads = app.wiring.payloads  # type: ignore[attr-defined]
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    messages = spec["components"].get("messages", {})
    for channel in spec.get("channels", {}).values():
        # A replay topic carries what its original topic carries.
        model = payloads.get(channel["address"]) or payloads.get(original_topic(channel["address"]))
        if model is None:
            continue
        for reference in channel.get("messages", {}).values():
            message = messages[reference["$ref"].rsplit("/", 1)[-1]]
            if message.get("payload", {}).get("$ref") == EMPTY_PAYLOAD:
                message["payload"] = {"$ref": f"#/components/schemas/{model.__name__}"}
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(model_schema.pop("$defs", {}))
        schemas[model.__name__] = model_schema
    if not any(ref == {"$ref": EMPTY_PAYLOAD} for ref in _payload_refs(messages)):
        schemas.pop("EmptyPayload", None)
    return spec


def _payload_refs(messages: dict[str, Any]) -> list[Any]:
    return [message.get("payload") for message in messages.values()]


def service_document(service: str) -> dict[str, Any]:
    module = importlib.import_module(f"guichet_{service}.app")
    return document(module.create_app(_documented_settings(module)))


def _documented_settings(module: Any) -> Any:
    settings_module = importlib.import_module(module.__name__.rsplit(".", 1)[0] + ".settings")
    [settings_class] = [
        value
        for name, value in vars(settings_module).items()
        if name.endswith("Settings") and name != "CommonSettings" and isinstance(value, type)
    ]
    return settings_class(**DOCUMENTED_SETTINGS)


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/asyncapi"))
    parser.add_argument("--check", action="store_true", help="compare with the committed documents instead")
    args = parser.parse_args(argv)
    stale = []
    for service in SERVICES:
        path = args.out / f"{service}.json"
        text = render(service_document(service))
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale AsyncAPI documents: {', '.join(stale)}; run `make docs` and commit them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
