"""JSON API of the accounts area: who am I, and the user list for admins."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from microcasa.auth import service
from microcasa.auth.guards import current_identity
from microcasa.auth.models import UserPublic
from microcasa.auth.roles import Role, allow, staff
from microcasa.deps import DbSession


class AccountsApi(Controller):
    path = "/api"
    tags = ("accounts",)

    @get("/me", opt=staff(), operation_id="getMe", sync_to_thread=True)
    def me(self, request: Request[Any, Any, Any], db: DbSession) -> UserPublic:
        """The account making the request (session or API token)."""
        identity = current_identity(request)
        assert identity is not None
        return UserPublic.model_validate(service.get_user(db, identity.id), from_attributes=True)

    @get("/users", opt=allow(Role.ADMIN), operation_id="listUsers", sync_to_thread=True)
    def users(self, db: DbSession) -> list[UserPublic]:
        """Every account, for admins."""
        return [
            UserPublic.model_validate(user, from_attributes=True) for user in service.list_users(db)
        ]


route_handlers = [AccountsApi]
