"""Migration 005 and the upgrade job on a database written before issue 18: the IBAN column and the registry
records go; a claim stored in clear gets its IBAN's fingerprint and, being decided, loses its clear values."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from guichet_common.db import create_pool, run_migrations
from guichet_common.runtime import COMMON_MIGRATIONS
from guichet_common.unit_of_work import open_unit_of_work
from guichet_eligibility.app import MIGRATIONS
from guichet_eligibility.before_sealing import upgrade_claims_stored_before_sealing
from guichet_eligibility.unit_of_work import EligibilityUnitOfWork

from .sealed_claims import MASTER
from .test_review_and_whatif import CLAIM, REGISTRY

pytestmark = pytest.mark.integration
SOLE_TRADER = {**REGISTRY, "nomUniteLegale": "DUPONT", "prenom1UniteLegale": "Marie"}


@pytest.fixture
async def before_issue_18(infra, run_id: str, tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    """A database migrated up to 004, as eligibility left it before issue 18."""
    from guichet_deploy.postgres import drop_databases, provision_databases

    if infra.pg_admin_dsn is None:
        pytest.skip("needs a PostgreSQL where the tests may create databases")
    suffix = f"_b18{run_id}"
    urls = await provision_databases(infra.pg_admin_dsn, ["eligibility"], suffix=suffix)
    pool = await create_pool(urls["eligibility"], size=2)
    for path in sorted(MIGRATIONS.glob("*.sql"))[:4]:
        shutil.copy(path, tmp_path / path.name)
    await run_migrations(pool, COMMON_MIGRATIONS)
    await run_migrations(pool, tmp_path)
    yield pool
    await pool.close()
    await drop_databases(infra.pg_admin_dsn, ["eligibility"], suffix=suffix)


async def test_claims_and_companies_stored_before_sealing_are_upgraded(before_issue_18: asyncpg.Pool) -> None:
    pool = before_issue_18
    await pool.execute(
        "INSERT INTO companies (siren, state, record) VALUES ('642515712', 'A', $1::text::jsonb)",
        json.dumps(SOLE_TRADER),
    )
    for claim_id, status in (("OLD-0001", "approved"), ("OLD-0002", "under_review")):
        await pool.execute(
            "INSERT INTO claims (claim_id, programme, siren, submitted_at, correlation_id, iban, payload, status)"
            " VALUES ($1, $2, '642515712', now(), gen_random_uuid(), $3, $4::text::jsonb, $5)",
            claim_id,
            CLAIM.programme,
            CLAIM.bank_account.iban,
            CLAIM.model_copy(update={"claim_id": claim_id}).model_dump_json(),
            status,
        )
    assert await run_migrations(pool, MIGRATIONS) == ["005-no-iban-no-registry-names.sql"]
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        assert await upgrade_claims_stored_before_sealing(uow, MASTER.fingerprint) == 2
        await uow.commit()
    async with open_unit_of_work(pool, EligibilityUnitOfWork) as uow:
        assert await upgrade_claims_stored_before_sealing(uow, MASTER.fingerprint) == 0

    rows = {r["claim_id"]: r for r in await pool.fetch("SELECT claim_id, iban_fingerprint, payload FROM claims")}
    expected = MASTER.fingerprint(CLAIM.bank_account.iban.replace(" ", "").upper())
    assert {r["iban_fingerprint"] for r in rows.values()} == {expected}
    decided, waiting = rows["OLD-0001"]["payload"], rows["OLD-0002"]["payload"]
    assert set(decided["bank_account"].values()) == set(decided["contact"].values()) == {None}
    assert waiting["bank_account"]["iban"] == CLAIM.bank_account.iban  # an approval still pays it
    companies = json.dumps([dict(r) for r in await pool.fetch("SELECT * FROM companies")], default=str)
    assert "DUPONT" not in companies and "Marie" not in companies
