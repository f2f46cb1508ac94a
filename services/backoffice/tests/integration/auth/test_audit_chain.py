"""The audit trail is append-only, chained by sha256, and a row changed behind the trigger breaks the chain."""

from __future__ import annotations

import asyncpg
import pytest

from guichet_backoffice import audit

from .conftest import Person, migrated, superuser_dsn

pytestmark = pytest.mark.integration


async def test_the_chain_verifies_and_names_the_first_tampered_row(infra, fresh_database: str) -> None:
    pool = await migrated(fresh_database)
    try:
        async with pool.acquire() as conn:
            for n in range(5):
                await audit.record(conn, "alice", "decision_taken", f"claim-{n}", "motif", {"n": n, "état": "é"})
            check = await audit.verify_chain(conn)
            assert check.intact and check.rows == 5
            third = (await audit.latest(conn, limit=5))[2].id
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute("UPDATE audit_trail SET reason = 'autre' WHERE id = $1", third)
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute("DELETE FROM audit_trail WHERE id = $1", third)
        tamperer = await asyncpg.connect(superuser_dsn(infra, fresh_database))
        try:
            await tamperer.execute("SET session_replication_role = replica")  # triggers off: only a superuser can
            await tamperer.execute("UPDATE audit_trail SET actor = 'mallory' WHERE id = $1", third)
        finally:
            await tamperer.close()
        async with pool.acquire() as conn:
            check = await audit.verify_chain(conn)
        assert not check.intact and check.first_broken_id == third and check.rows == 3
    finally:
        await pool.close()


async def test_auditors_see_the_trail_and_download_it_as_csv(pool, person: Person) -> None:
    client = await person("olga", "auditor")
    page = await client.get("/audit", params={"verifier": "1"})
    assert page.status_code == 200 and "Chaîne vérifiée" in page.text
    export = await client.get("/audit.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.splitlines()
    assert lines[0].startswith("id,occurred_at,actor,action") and any(",olga,sign_in," in line for line in lines)
    async with pool.acquire() as conn:
        assert (await audit.latest(conn, actor="olga", limit=1))[0].action == "audit_exported"
