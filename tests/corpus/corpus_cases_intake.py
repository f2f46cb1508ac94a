"""Corpus cases: good claims, then what intake refuses (schema, SIREN, SIRET, IBAN, programme, claim_id).

Called by `cases.py`, in its order: cases get their identifiers from `IDS` in construction order.
"""

from __future__ import annotations

import copy

from corpus_builders import (
    _drop,
    _set,
    case,
    claim,
    company,
    invoice,
    redelivered,
    registry,
    simple,
)
from corpus_model import (
    APPROVED,
    IDS,
    LA_POSTE_SIREN,
    NOTHING,
    V2_AT,
    iban_check_digits,
    refused,
    with_luhn,
)


def build_intake_cases() -> None:
    # ---------------------------------------------------------------------------------------- good claims
    simple(
        "good claim, version 2021-01-28 (the contract example, own identifiers)",
        "flat 500 € grant ... on presentation of invoices",
        APPROVED,
    )
    simple(
        "good claim, version 2021-05-10, not closed to the public (E07 removed)",
        "`2021-05-10` | E07 and E08 removed; E09 added",
        APPROVED,
        submitted_at=V2_AT,
        closed=False,
    )
    simple(
        "good claim, version 2021-05-10, hotel",
        "hotel NAF codes ... 55.10Z",
        APPROVED,
        submitted_at="2021-07-20T09:00:00+02:00",
        naf="55.10Z",
        record_changes={"activitePrincipaleUniteLegale": "55.10Z"},
    )
    simple(
        "good claim filed by an accountant",
        "`filed_by.kind` is `digital_provider` (accountant is fine)",
        APPROVED,
        submitted_at=V2_AT,
        filed_by={"kind": "accountant", "siren": IDS.siren()},
    )
    simple(
        "good claim, spend well above the minimum: still a flat grant",
        "50,000 cents (500 €), flat, whatever the spend above the minimum",
        APPROVED,
        invoices=lambda co: [invoice(co, "BIG", incl=1_200_000, issued_on="2021-02-01", category="point_of_sale")],
    )

    # -------------------------------------------------------------------------------------- intake refusals
    simple(
        "SCHEMA_INVALID: headcount as a string",
        "does not match `claims.submitted.v1` (mistyped field)",
        refused("SCHEMA_INVALID"),
        edit=_set("claim.applicant.headcount", "three"),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: contact missing",
        "does not match `claims.submitted.v1` (missing field)",
        refused("SCHEMA_INVALID"),
        edit=_drop("claim.contact"),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: no invoice at all",
        "does not match `claims.submitted.v1` (wrong sizes)",
        refused("SCHEMA_INVALID"),
        invoices=lambda co: [],
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: SIREN of 8 digits (size, not Luhn)",
        "does not match ... (wrong sizes)",
        refused("SCHEMA_INVALID"),
        edit=lambda e: e["claim"]["applicant"].update(siren=e["claim"]["applicant"]["siren"][:8]),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: an unknown field in the applicant",
        "does not match `claims.submitted.v1`",
        refused("SCHEMA_INVALID"),
        edit=_set("claim.applicant.vat_number", "FR00123456789"),
        schema_valid=False,
    )
    simple(
        "SCHEMA_INVALID: 21 invoices (at most 20)",
        "does not match ... (wrong sizes)",
        refused("SCHEMA_INVALID"),
        invoices=lambda co: [invoice(co, f"M{i:02d}", incl=3_000) for i in range(21)],
        schema_valid=False,
    )
    simple(
        "20 invoices (the maximum) are fine and summed",
        "summed over eligible invoices",
        APPROVED,
        invoices=lambda co: [invoice(co, f"M{i:02d}", incl=3_000) for i in range(20)],
    )

    with case("SIREN_INVALID: SIREN fails Luhn (its SIRET passes)", "SIREN fails the Luhn check") as c:
        co = company("Boutique")
        bad_siren = co.siren[:8] + str((int(co.siren[8]) + 1) % 10)
        c.submit(claim(co, siren=bad_siren, siret=with_luhn(bad_siren + "0001")), refused("SIREN_INVALID"))
    with case("SIRET_INVALID: SIRET fails Luhn", "SIRET fails the Luhn check") as c:
        co = company("Boutique")
        c.submit(claim(co, siret=co.siret[:13] + str((int(co.siret[13]) + 1) % 10)), refused("SIRET_INVALID"))
    with case("SIRET_INVALID: a Luhn-valid SIRET of another SIREN", "or does not start with the SIREN") as c:
        co, other = company("Boutique"), company("Autre")
        c.submit(claim(co, siret=other.siret), refused("SIRET_INVALID"))
    with case(
        "La Poste SIRETs: digit sum not a multiple of 5 refused, multiple of 5 accepted",
        "La Poste rule: SIRETs starting 356000000 are valid when their digit sum is a multiple of 5",
    ) as c:
        co = company("La Poste", siren=LA_POSTE_SIREN)
        c.registry(registry(co, denominationUniteLegale="LA POSTE", categorieJuridiqueUniteLegale="5510"))
        c.submit(claim(co, 1, siret="35600000010001"), refused("SIRET_INVALID"))  # sum 16, fails Luhn too
        c.submit(claim(co, 2, siret="35600000010000"), APPROVED)  # sum 15, fails plain Luhn: La Poste rule
    with case("IBAN_INVALID: mod-97 fails", "IBAN fails ISO 13616 mod-97") as c:
        co = company("Boutique")
        c.submit(claim(co, iban=co.iban[:-1] + str((int(co.iban[-1]) + 1) % 10)), refused("IBAN_INVALID"))
    with case("IBAN_INVALID: 26 characters for FR (mod-97 correct)", "or its country format") as c:
        co = company("Boutique")
        bban = co.iban[4:-1]  # 22 characters instead of 23
        c.submit(claim(co, iban="FR" + iban_check_digits("FR", bban) + bban), refused("IBAN_INVALID"))
    simple(
        "UNKNOWN_PROGRAMME",
        "`programme` is not configured",
        refused("UNKNOWN_PROGRAMME"),
        programme="cheque-france-num-2022",
    )
    with case("intake reports every failing code: bad SIRET and bad IBAN", "gets status `refused` with its codes") as c:
        co = company("Boutique")
        c.submit(
            claim(
                co,
                siret=co.siret[:13] + str((int(co.siret[13]) + 1) % 10),
                iban=co.iban[:-1] + str((int(co.iban[-1]) + 1) % 10),
            ),
            refused("SIRET_INVALID", "IBAN_INVALID"),
        )
    with case(
        "CLAIM_ID_CONFLICT: a claim_id belongs to its first submission, registered or refused",
        "the `claim_id` is already registered with different content",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        first = c.submit(claim(co), APPROVED)
        changed = copy.deepcopy(first.event["claim"]["invoices"])
        changed[0]["amount_incl_tax_cents"] += 100
        # Not announced under the registered claim's id: a `refused` there would tell its portal and its
        # applicant that the registered claim was refused. Intake records it and dead-letters it instead.
        c.add(redelivered(first, NOTHING, invoices=changed))
        # A refused submission keeps its claim_id too: other content under it later would otherwise be
        # registered and mailed to the refused submission's contact (notifications keeps a claim's first contact).
        bad_siret = co.siret[:13] + str((int(co.siret[13]) + 1) % 10)
        refused_first = c.submit(claim(co, 2, siret=bad_siret), refused("SIRET_INVALID"))
        corrected = {**refused_first.event["claim"]["applicant"], "siret": co.siret}
        c.add(redelivered(refused_first, refused("CLAIM_ID_CONFLICT"), applicant=corrected))
    with case(
        "harmless duplicate: same claim_id, same content, new event_id",
        "the same content again is a harmless duplicate: no new effect",
    ) as c:
        co = company("Boutique")
        c.registry(registry(co))
        first = c.submit(claim(co), APPROVED)
        c.add(redelivered(first, NOTHING))
