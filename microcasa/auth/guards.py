"""Access rules every area uses: by role (on every route) and by country scope.

Every route declares who may use it in its ``opt`` (see :mod:`microcasa.auth.roles`);
one app-wide guard enforces it, and a route that declares nothing is refused to
everybody, so a new route cannot slip through unprotected.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from microcasa.auth.errors import AuthError
from microcasa.auth.roles import PUBLIC, Role
from microcasa.auth.service import Identity


class OutsideCountryScope(PermissionDeniedException):
    """A coordinator reached for another country's data."""


def current_identity(connection: ASGIConnection) -> Identity | None:  # type: ignore[type-arg]
    user = connection.scope.get("user")
    return user if isinstance(user, Identity) else None


def signed_in(connection: ASGIConnection) -> Identity:  # type: ignore[type-arg]
    """Who asks, on a staff route (its guard has let only signed-in people through)."""
    identity = current_identity(connection)
    assert identity is not None, "staff routes are guarded"
    return identity


def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    allowed = handler.opt.get("allow")
    if allowed == PUBLIC:
        return
    identity = current_identity(connection)
    if identity is None:
        auth = connection.scope.get("auth") or {}
        invalid_token = auth.get("via") == "token"
        error = AuthError.TOKEN_INVALID if invalid_token else AuthError.NOT_SIGNED_IN
        raise NotAuthorizedException(error.value)
    if not isinstance(allowed, frozenset) or identity.role not in allowed:
        raise PermissionDeniedException(AuthError.NOT_ALLOWED.value)


def ensure_country_scope(identity: Identity, country: str) -> None:
    """Refuse a coordinator acting on a country other than their own."""
    if identity.role is Role.COORDINATOR and identity.country != country.upper():
        raise OutsideCountryScope(AuthError.OTHER_COUNTRY.format(country=identity.country))
