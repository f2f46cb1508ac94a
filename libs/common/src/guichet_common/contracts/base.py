"""Shared shape of every contract model."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# RFC 3339 with an offset, as every contract requires: naive timestamps are refused.
Timestamp = AwareDatetime
Siren = Annotated[str, Field(pattern=r"^[0-9]{9}$")]
Cents = Annotated[int, Field(ge=0)]


class Contract(BaseModel):
    """Frozen and strict (no "3" for 3): validate inbound JSON with `model_validate_json`."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


class ClosedContract(Contract):
    """A contract whose schema has `additionalProperties: false`."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
