"""The four staff roles and the access rule every route declares."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADMIN = "admin"
    RESEARCHER = "researcher"
    COORDINATOR = "coordinator"
    ORGANISER = "organiser"


ALL_ROLES = frozenset(Role)
STAFF = ALL_ROLES
PUBLIC = "public"


def allow(*roles: Role) -> dict[str, Any]:
    """Route ``opt`` naming the roles that may use it; ``allow()`` alone means nobody."""
    return {"allow": frozenset(roles)}


def public() -> dict[str, Any]:
    """Route ``opt`` for pages anyone may see without signing in."""
    return {"allow": PUBLIC}


def staff() -> dict[str, Any]:
    """Route ``opt`` for any signed-in account, whatever its role."""
    return {"allow": STAFF}
