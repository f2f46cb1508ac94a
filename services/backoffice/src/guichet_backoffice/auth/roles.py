"""The five roles, and which page or action each opens.

One role per account. A supervisor also works the review queue (it seconds caseworkers' decisions, so it must see
what they see). An admin is *not* a super-user: it manages accounts and reads the audit trail, and takes no
decision on claims, dead letters or payments, so that whoever creates accounts is never one of the four eyes by
default. An agency that wants one person in two roles gives that person two accounts, each audited on its own.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["caseworker", "supervisor", "finance", "auditor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)

# The roles a role holds besides itself.
_IMPLIED: dict[str, frozenset[str]] = {"supervisor": frozenset({"caseworker"})}

ROLE_LABELS: dict[str, str] = {
    "caseworker": "instructeur",
    "supervisor": "superviseur",
    "finance": "finances",
    "auditor": "auditeur",
    "admin": "administrateur",
}


def holds(role: str, *wanted: str) -> bool:
    """True when an account of `role` may open what any of the `wanted` roles may."""
    held = {role} | _IMPLIED.get(role, frozenset())
    return not held.isdisjoint(wanted)


def is_role(text: str) -> bool:
    return text in ROLES
