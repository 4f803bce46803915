"""What the matrix's staff pages share: who may open them, who asks, and where they go next."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect

from microcasa.auth.guards import current_identity
from microcasa.auth.roles import Role, allow
from microcasa.flash import with_flash
from microcasa.platform import Platform
from policy_matrix.service import Actor

READERS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR, Role.ORGANISER)
EDITORS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR)


def actor_of(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in person, as the matrix's rules see them."""
    identity = current_identity(request)
    assert identity is not None, "staff routes are guarded"
    return Actor.of(identity)


def redirect_with_flash(platform: Platform, path: str, message: str, category: str) -> Redirect:
    """A 303 to ``path``, where ``message`` is shown once."""
    return with_flash(
        Redirect(path=path, status_code=303),
        platform.secret_key,
        message,
        category,
        platform.settings.secure_cookies,
    )
