"""What the matrix's staff pages share: who may open them, and who asks."""

from __future__ import annotations

from typing import Any

from litestar import Request

from microcasa.auth.guards import current_identity
from microcasa.auth.roles import Role, allow
from policy_matrix.service import Actor

READERS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR, Role.ORGANISER)
EDITORS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR)


def actor_of(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in person, as the matrix's rules see them."""
    identity = current_identity(request)
    assert identity is not None, "staff routes are guarded"
    return Actor.of(identity)
