"""The applicant's sentence for each reason code, read from the published catalogue
(`guichet_common.contracts.reason_codes`): the e-mails say what the gateway's API and docs/reason-codes.md say."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from guichet_common.contracts.reason_codes import catalogue


@functools.cache
def french_sentences() -> Mapping[str, str]:
    """Every code a status can carry, with its French sentence (the codes never on a status mail nobody)."""
    return MappingProxyType({code: reason.text_fr for code, reason in catalogue().items() if reason.on_status})
