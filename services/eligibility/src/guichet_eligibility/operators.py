"""What operators read and decide on eligibility, for the console (`guichet status|trace|report|review|whatif|
set-aside`).

This is the only module of guichet_eligibility the console imports (tools/console/tests/test_boundaries.py fails on
any other): what it re-exports or wraps is the service's side of the operators' contract, so the service can
reorganise everything else freely. Every function takes a connection to eligibility's own database.

Writes: a review decision (`decide_review`) and a set-aside decision (`release_set_aside` / `cancel_set_aside`,
called by the console in the transaction where it records the decision with
`guichet_common.set_aside.record_decision`) go through the service's own code, which writes its outbox.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from guichet_eligibility import repository
from guichet_eligibility.explain import explain
from guichet_eligibility.history_repository import (
    claims_by_status,
    decision_delays,
    invoice_average,
    judgement,
    rejections_by_reason,
)
from guichet_eligibility.review import ReviewDecision, ReviewRefused, decide, under_review
from guichet_eligibility.set_aside_repository import KINDS as SET_ASIDE_KINDS
from guichet_eligibility.set_aside_repository import cancel as cancel_set_aside
from guichet_eligibility.set_aside_repository import release as release_set_aside
from guichet_eligibility.settings import EligibilitySettings
from guichet_eligibility.status_repository import stage_figures
from guichet_eligibility.whatif import ChangedDecision, WhatIfReport
from guichet_eligibility.whatif import replay as whatif
from guichet_programme import Programme, load_programmes, parse_programme

__all__ = [
    "SET_ASIDE_KINDS",
    "ChangedDecision",
    "ReviewDecision",
    "ReviewRefused",
    "WhatIfReport",
    "cancel_set_aside",  # set-aside cancel
    "claims_by_status",  # report
    "decide_review",  # review approve|reject
    "decision_delays",  # report
    "edited_programme",  # whatif --set
    "explain",  # trace: a rule's result in words
    "invoice_average",  # report
    "judgement",  # trace
    "programmes",  # whatif, review
    "rejections_by_reason",  # report
    "release_set_aside",  # set-aside release
    "review_detail",  # review show
    "stage_figures",  # status
    "under_review",  # review list
    "whatif",  # whatif: re-judge past claims, changing nothing
]


def programmes(folder: Path | None = None) -> dict[str, Programme]:
    """The programmes eligibility judges with (GUICHET_PROGRAMMES_DIR), or those of another folder."""
    return load_programmes(folder if folder is not None else EligibilitySettings().programmes_dir)


async def review_detail(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any] | None:
    """A claim's status and decision, rule by rule with what each rule looked at; None for an unknown claim.

    Not the claim's payload: it holds the applicant's personal data, and the rules' observations say enough."""
    row = await repository.claim_with_decision(conn, claim_id)
    if row is None:
        return None
    return {
        "claim_id": row["claim_id"],
        "status": row["status"],
        "rule_version": row["rule_version"],
        "reasons": list(row["reasons"] or []),
        "rules": list(row["rule_results"] or []),
        "reviewed": row["reviewed"],
    }


async def decide_review(conn: asyncpg.Connection, choice: ReviewDecision, *, topic_prefix: str = "") -> None:
    """Record an operator's final approval or rejection and announce it, in the caller's transaction.

    Raises ReviewRefused (unknown claim, not under review, already decided, no operator or reason)."""
    await decide(conn, programmes(), choice, topic_prefix)


def edited_programme(base: Programme, assignments: Sequence[str]) -> Programme:
    """`base` with dotted keys replaced, values written as in TOML (`invoices.latest=2021-03-31`).

    Raises ValueError for an assignment that is not KEY=VALUE, names no setting, or makes the programme invalid."""
    raw: dict[str, Any] = base.model_dump(mode="python")
    for assignment in assignments:
        key, _, value = assignment.partition("=")
        if not value:
            raise ValueError(f"--set wants KEY=VALUE, got {assignment!r}")
        *path, last = key.strip().split(".")
        section: Mapping[str, Any] | Any = raw
        for part in path:
            if not isinstance(section, dict) or part not in section:
                raise ValueError(f"--set {key}: no such setting")
            section = section[part]
        if not isinstance(section, dict) or last not in section:
            raise ValueError(f"--set {key}: no such setting")
        try:
            section[last] = tomllib.loads(f"value = {value.strip()}")["value"]
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"--set {key}: {value.strip()!r} is not a TOML value ({error})") from None
    return parse_programme(raw, "edited programme")
