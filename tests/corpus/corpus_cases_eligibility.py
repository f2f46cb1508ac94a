"""Corpus cases: the filing window, the rule version boundary and the rules on the applicant (E01-E09 but
expenses).

Called by `cases.py`, in its order: cases get their identifiers from `IDS` in construction order.
"""

from __future__ import annotations

from corpus_builders import (
    simple,
)
from corpus_model import (
    APPROVED,
    REFERENCED_PROVIDERS,
    V2_AT,
    rejected,
)


def build_eligibility_cases() -> None:
    # ------------------------------------------------------------------------------ FILED_OUTSIDE_WINDOW
    # Outside the window no rule version is defined: these claims satisfy E07, E08 and E09 so that the
    # expectation holds whichever version the system picks.
    simple(
        "window: one second before filing opens",
        "filing opens | 2021-01-28 00:00",
        rejected("FILED_OUTSIDE_WINDOW"),
        submitted_at="2021-01-27T23:59:59+01:00",
    )
    simple(
        "window: the instant filing opens",
        "filing opens | 2021-01-28 00:00",
        APPROVED,
        submitted_at="2021-01-28T00:00:00+01:00",
    )
    simple(
        "window: the last second of filing",
        "filing closes | 2021-07-31 23:59:59 (inclusive)",
        APPROVED,
        submitted_at="2021-07-31T23:59:59+02:00",
    )
    simple(
        "window: the instant after filing closes",
        "filing closes | 2021-07-31 23:59:59 (inclusive)",
        rejected("FILED_OUTSIDE_WINDOW"),
        submitted_at="2021-08-01T00:00:00+02:00",
    )
    simple(
        "window: UTC 2021-07-31T22:00Z is already 1 August in Paris",
        "Dates and times are judged in Europe/Paris",
        rejected("FILED_OUTSIDE_WINDOW"),
        submitted_at="2021-07-31T22:00:00Z",
    )
    simple(
        "window: UTC 2021-01-27T23:30Z is already 28 January in Paris",
        "Dates and times are judged in Europe/Paris",
        APPROVED,
        submitted_at="2021-01-27T23:30:00Z",
    )

    # ---------------------------------------------------------------------------- rule version boundary
    simple(
        "version 2021-01-28 on its last second: not closed to the public is rejected",
        "`2021-01-28` | 2021-01-28 to 2021-05-09",
        rejected("NOT_CLOSED_TO_PUBLIC"),
        submitted_at="2021-05-09T23:59:59+02:00",
        closed=False,
    )
    simple(
        "version 2021-05-10 from 2021-05-09T22:30Z (Paris date 10 May): not closed is fine",
        "`2021-05-10` | 2021-05-10 to 2021-07-31",
        APPROVED,
        submitted_at="2021-05-09T22:30:00Z",
        closed=False,
    )

    # ---------------------------------------------------------------------------------- COMPANY_CEASED
    simple(
        "COMPANY_CEASED: registry state C",
        "`etatAdministratifUniteLegale` = `C`",
        rejected("COMPANY_CEASED"),
        record_changes={"etatAdministratifUniteLegale": "C"},
    )

    # ------------------------------------------------------------------------------- HEADCOUNT_TOO_HIGH
    simple(
        "headcount: declared 10 is fine",
        "headcount | fewer than 11",
        APPROVED,
        headcount=10,
        record_changes={"trancheEffectifsUniteLegale": "03"},
    )
    simple(
        "headcount: declared 11 is rejected",
        "declared headcount ≥ 11",
        rejected("HEADCOUNT_TOO_HIGH"),
        headcount=11,
        record_changes={"trancheEffectifsUniteLegale": "11"},
    )
    simple(
        "headcount: registry band 11 (10-19) is fine",
        "registry headcount band is `12` (20–49) or above",
        APPROVED,
        headcount=9,
        record_changes={"trancheEffectifsUniteLegale": "11"},
    )
    simple(
        "headcount: registry band 12 (20-49) is rejected",
        "registry headcount band is `12` (20–49) or above",
        rejected("HEADCOUNT_TOO_HIGH"),
        headcount=9,
        record_changes={"trancheEffectifsUniteLegale": "12"},
    )
    simple(
        "headcount: registry band 21 (50-99) is rejected",
        "registry headcount band is `12` ... or above",
        rejected("HEADCOUNT_TOO_HIGH"),
        headcount=4,
        record_changes={"trancheEffectifsUniteLegale": "21"},
    )

    # ------------------------------------------------------------------------------- TURNOVER_TOO_HIGH
    simple(
        "turnover: exactly 200,000,000 cents is fine",
        "turnover | at most 200,000,000 cents",
        APPROVED,
        turnover=200_000_000,
    )
    simple(
        "turnover: 200,000,001 cents is rejected",
        "declared turnover above the threshold",
        rejected("TURNOVER_TOO_HIGH"),
        turnover=200_000_001,
    )

    # ----------------------------------------------------------------------------- ACTIVITY_TOO_RECENT
    simple(
        "activity: declared 2020-10-29 is fine",
        "activity start | strictly before 2020-10-30",
        APPROVED,
        started="2020-10-29",
        record_changes={"dateCreationUniteLegale": "2020-10-29"},
    )
    simple(
        "activity: declared 2020-10-30 is rejected",
        "activity started on or after 2020-10-30",
        rejected("ACTIVITY_TOO_RECENT"),
        started="2020-10-30",
        record_changes={"dateCreationUniteLegale": "2020-10-01"},
    )
    simple(
        "activity: registry creation 2020-10-30, later than declared, is rejected",
        "(declared, or registry creation date if later)",
        rejected("ACTIVITY_TOO_RECENT"),
        started="2019-06-01",
        record_changes={"dateCreationUniteLegale": "2020-10-30"},
    )
    simple(
        "activity: registry creation 2020-10-29, later than declared, is fine",
        "(declared, or registry creation date if later)",
        APPROVED,
        started="2019-06-01",
        record_changes={"dateCreationUniteLegale": "2020-10-29"},
    )
    simple(
        "activity: registry creation date unknown (null): the declared date decides",
        "(declared, or registry creation date if later)",
        APPROVED,
        started="2015-01-01",
        record_changes={"dateCreationUniteLegale": None},
    )

    # ---------------------------------------------------------------------------- NOT_CLOSED_TO_PUBLIC
    simple(
        "closure: version 2021-01-28, shop not closed to the public",
        "not declared closed to the public",
        rejected("NOT_CLOSED_TO_PUBLIC"),
        closed=False,
    )
    simple(
        "closure: version 2021-01-28, hotel 55.10Z not closed is exempt",
        "NAF not a hotel code",
        APPROVED,
        closed=False,
        naf="55.10Z",
        record_changes={"activitePrincipaleUniteLegale": "55.10Z"},
        label="Hôtel",
    )
    simple(
        "closure: version 2021-01-28, 55.20Z (holiday lets) is not a hotel code",
        "hotel NAF codes | 55.10Z",
        rejected("NOT_CLOSED_TO_PUBLIC"),
        closed=False,
        naf="55.20Z",
        record_changes={"activitePrincipaleUniteLegale": "55.20Z"},
    )
    simple(
        "closure: the same shop filed on 2021-05-10 00:00 is fine",
        "version `2021-01-28` only",
        APPROVED,
        closed=False,
        submitted_at="2021-05-10T00:00:00+02:00",
    )

    # --------------------------------------------------------------------------- NOT_REGISTERED_RCS_RM
    simple(
        "registration: version 2021-01-28, not registered with RCS/RM",
        "not registered with the RCS or RM",
        rejected("NOT_REGISTERED_RCS_RM"),
        rcs_rm=False,
    )
    simple(
        "registration: version 2021-05-10, not registered is fine",
        "version `2021-01-28` only",
        APPROVED,
        rcs_rm=False,
        submitted_at=V2_AT,
    )

    # ---------------------------------------------------------------------- MANAGER_EMPLOYED_FULL_TIME
    simple(
        "manager full time, headcount 0, version 2021-05-10",
        "manager held a full-time job ... headcount is 0",
        rejected("MANAGER_EMPLOYED_FULL_TIME"),
        submitted_at=V2_AT,
        manager_full_time=True,
        headcount=0,
        record_changes={"trancheEffectifsUniteLegale": "NN"},
    )
    simple(
        "manager full time, headcount 1, version 2021-05-10, is fine",
        "and headcount is 0",
        APPROVED,
        submitted_at=V2_AT,
        manager_full_time=True,
        headcount=1,
        record_changes={"trancheEffectifsUniteLegale": "01"},
    )
    simple(
        "manager full time, headcount 0, version 2021-01-28, is fine",
        "version `2021-05-10` only",
        APPROVED,
        manager_full_time=True,
        headcount=0,
        record_changes={"trancheEffectifsUniteLegale": "NN"},
    )

    # ---------------------------------------------------------------------------------- DECLARATION_MISSING
    for declaration in ("tax_and_social_obligations_met", "not_in_liquidation", "information_accurate"):
        simple(
            f"declaration {declaration} false",
            "any of the three declarations is false",
            rejected("DECLARATION_MISSING"),
            declarations={declaration: False},
        )
    simple(
        "all three declarations false: one code",
        "any of the three declarations is false",
        rejected("DECLARATION_MISSING"),
        submitted_at=V2_AT,
        declarations={
            "tax_and_social_obligations_met": False,
            "not_in_liquidation": False,
            "information_accurate": False,
        },
    )

    # ------------------------------------------------------------------------------------ OVERSEAS_EXCLUDED
    for postcode, city, where in (
        ("98600", "Mata-Utu", "Wallis-et-Futuna"),
        ("98714", "Papeete", "Polynésie"),
        ("98800", "Nouméa", "Nouvelle-Calédonie"),
    ):
        simple(
            f"overseas: {postcode} {where} excluded",
            "postcode starts 986, 987 or 988",
            rejected("OVERSEAS_EXCLUDED"),
            postcode=postcode,
            city=city,
        )
    simple(
        "overseas: 97100 Guadeloupe is not excluded",
        "excluded overseas postcodes | 986xx, 987xx, 988xx",
        APPROVED,
        postcode="97100",
        city="Basse-Terre",
        submitted_at=V2_AT,
    )

    # ---------------------------------------------------------------------------- FILED_BY_DIGITAL_PROVIDER
    simple(
        "filed by a digital provider",
        "`filed_by.kind` is `digital_provider`",
        rejected("FILED_BY_DIGITAL_PROVIDER"),
        filed_by={"kind": "digital_provider", "siren": REFERENCED_PROVIDERS[0]},
    )
