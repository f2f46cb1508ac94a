"""Readiness: can this service reach its broker and its database right now?

    python -m guichet_common.readiness intake      # exit 0 when ready, 1 otherwise; prints what it checked

It reads the service's own settings (KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SASL_*/KAFKA_SSL_* ones,
<SERVICE>_DATABASE_URL), so a supervisor or a Kubernetes exec probe can ask the same question the service would.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from guichet_common import kafka_security
from guichet_common.logging import mask_text
from guichet_common.settings import CommonSettings


async def database_answers(dsn: str, timeout_s: float = 3.0) -> str | None:
    """None when a `SELECT 1` answers in time, else why not (with any password masked)."""
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout_s)
        try:
            await conn.fetchval("SELECT 1", timeout=timeout_s)
        finally:
            await conn.close()
    except Exception as error:  # any failure means not ready; say which
        return mask_text(f"{type(error).__name__}: {error}").replace(dsn, "<dsn>")
    return None


async def broker_answers(
    bootstrap: str, timeout_s: float = 3.0, *, client_options: Mapping[str, Any] | None = None
) -> str | None:
    """None when the broker answers a metadata request in time (authenticated with `client_options`; None: from
    the environment), else why not."""
    options = kafka_security.environment_client_options() if client_options is None else client_options
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000), **options)
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
    except Exception as error:  # any failure means not ready; say which
        return f"{type(error).__name__}: {error}"
    finally:
        await admin.close()
    return None


async def readiness(settings: CommonSettings) -> dict[str, str]:
    database, broker = await asyncio.gather(
        database_answers(settings.database_url),
        broker_answers(settings.kafka_bootstrap_servers, client_options=kafka_security.client_options(settings)),
    )
    return {"database": database or "ok", "broker": broker or "ok"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m guichet_common.readiness SERVICE", file=sys.stderr)
        return 2
    settings = CommonSettings(_env_prefix=f"{args[0].upper()}_")
    report = asyncio.run(readiness(settings))
    print(json.dumps({"service": args[0], **report}))
    return 0 if all(value == "ok" for value in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
