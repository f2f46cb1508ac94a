"""The bank details of approvals, opened: eligibility passes them on sealed (kind bank) as intake sealed them, and
payments opens them with its copies of the claims' keys (`privacy.claim-keys.v1`) only where it must write them,
into a payment attempt. A key not arrived yet raises `KeyNotYetKnown`: the batch waits for it (consumer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from guichet_common.contracts import ClaimDecidedV1
from guichet_common.privacy.keyring import Erased, KeyRing, Opener
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey
from guichet_payments.domain import Payee


class BankDetailsErased(ValueError):
    """An approval whose bank data was erased before it was paid: it cannot be paid (the use case fails, and the
    record is dead-lettered). Not expected: erasure follows a final status, and an approval waiting here is not."""


def iban_fingerprint(fingerprint: Callable[[str], str], iban: str) -> str:
    """The keyed fingerprint of an IBAN in its compact upper-case form (`MasterKey.fingerprint`, as eligibility's)."""
    return fingerprint("".join(iban.split()).upper())


def development_fingerprint(value: str) -> str:
    return MasterKey(DEVELOPMENT_MASTER_KEY).fingerprint(value)


def development_opener() -> Opener:
    """For tests and a developer's machine; the service passes the one made from its settings' master key."""
    return Opener(MasterKey(DEVELOPMENT_MASTER_KEY))


async def payees(opener: Opener, keys: KeyRing, approvals: Sequence[ClaimDecidedV1]) -> dict[str, Payee]:
    """claim_id -> the payee its approval names, in clear. Values not sealed (approvals waiting since before
    sealing existed) are taken as they are."""
    opened = await opener.open_many(keys, [v for a in approvals for v in (a.beneficiary_name, a.iban, a.bic)])

    def plain(claim_id: str, value: str) -> str:
        found = opened.get(value, value)
        if isinstance(found, Erased):
            raise BankDetailsErased(f"the bank data of claim {claim_id} was erased before it was paid")
        return found

    return {
        a.claim_id: Payee(
            plain(a.claim_id, a.beneficiary_name),
            plain(a.claim_id, a.iban),
            None if a.bic is None else plain(a.claim_id, a.bic),
        )
        for a in approvals
    }
