"""Pages for signing in and out, one's own account and API tokens, and user admin."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from microcasa.auth import service, tokens
from microcasa.auth.errors import AccountError, AuthError, RateLimited
from microcasa.auth.guards import current_identity
from microcasa.auth.roles import Role, allow, public, staff
from microcasa.auth.service import Identity
from microcasa.auth.sessions import SESSION_COOKIE
from microcasa.deps import DbSession, PlatformDep
from microcasa.flash import redirect_with_flash

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _identity(request: Request[Any, Any, Any]) -> Identity:
    identity = current_identity(request)
    assert identity is not None, "staff routes are guarded"
    return identity


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything else becomes the dashboard."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/dashboard"
    return target


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _session_cookie(platform: PlatformDep, value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        httponly=True,
        samesite="lax",
        secure=platform.settings.secure_cookies,
        path="/",
        max_age=max_age,
    )


class LoginController(Controller):
    path = "/"
    include_in_schema = False
    opt = public()

    @get("/login", name="login", sync_to_thread=False)
    def login_page(self, request: Request[Any, Any, Any]) -> Template:
        return Template(
            template_name="auth/login.html",
            context={"title": "Sign in", "next": safe_next(request.query_params.get("next"))},
        )

    @post("/login", sync_to_thread=True, status_code=303)
    def login(
        self, request: Request[Any, Any, Any], data: FormData, platform: PlatformDep
    ) -> Redirect | Template:
        email = data.get("email", "")
        target = safe_next(data.get("next"))
        try:
            user = service.authenticate(
                platform.db,
                platform.state,
                platform.settings,
                email=email,
                password=data.get("password", ""),
                client=_client(request),
            )
        except RateLimited as exc:
            return Template(
                template_name="auth/login.html",
                context={"title": "Sign in", "next": target, "email": email, "error": exc.message},
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        except AccountError as exc:
            return Template(
                template_name="auth/login.html",
                context={"title": "Sign in", "next": target, "email": email, "error": exc.message},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        # Rotation: whatever session the browser had is dropped; a fresh id is issued.
        old = (request.scope.get("auth") or {}).get("session_id")
        if old:
            platform.sessions.end(old)
        session_id = platform.sessions.start(user)
        response = Redirect(path=target, status_code=303)
        response.cookies.append(_session_cookie(platform, session_id, None))
        return response

    @post("/logout", name="logout", sync_to_thread=True, status_code=303, opt=staff())
    def logout(self, request: Request[Any, Any, Any], platform: PlatformDep) -> Redirect:
        session_id = (request.scope.get("auth") or {}).get("session_id")
        if session_id:
            platform.sessions.end(session_id)
        response = redirect_with_flash(platform, "/login", "You are signed out.", "info")
        response.cookies.append(_session_cookie(platform, "", 0))
        return response


class AccountController(Controller):
    """A signed-in person's own account: password and API tokens."""

    path = "/account"
    include_in_schema = False
    opt = staff()

    def _page(
        self, request: Request[Any, Any, Any], db: DbSession, status: int = 200, **extra: Any
    ) -> Template:
        identity = _identity(request)
        context = {
            "title": "Your account",
            "account": service.get_user(db, identity.id),
            "tokens": tokens.list_tokens(db, identity.id),
            **extra,
        }
        return Template(template_name="auth/account.html", context=context, status_code=status)

    @get("/", name="account", sync_to_thread=True)
    def show(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return self._page(request, db)

    @post("/password", sync_to_thread=True, status_code=303)
    def change_password(
        self, request: Request[Any, Any, Any], data: FormData, db: DbSession, platform: PlatformDep
    ) -> Redirect | Template:
        identity = _identity(request)
        user = service.get_user(db, identity.id)
        try:
            if data.get("new_password", "") != data.get("confirm_password", ""):
                raise AccountError(AuthError.PASSWORDS_DIFFER, field="confirm_password")
            service.change_own_password(
                user, data.get("current_password", ""), data.get("new_password", "")
            )
            db.add(user)
            db.commit()
        except AccountError as exc:
            db.rollback()
            return self._page(
                request, db, HTTP_422_UNPROCESSABLE_ENTITY, errors={exc.field: exc.message}
            )
        # The password change ended every session, this one included: start a new one.
        response = redirect_with_flash(platform, "/account", "Your password is changed.")
        response.cookies.append(_session_cookie(platform, platform.sessions.start(user), None))
        return response

    @post("/tokens", sync_to_thread=True, status_code=201)
    def create_token(
        self, request: Request[Any, Any, Any], data: FormData, db: DbSession
    ) -> Template:
        identity = _identity(request)
        try:
            issued = tokens.create_token(
                db, service.get_user(db, identity.id), data.get("name", "")
            )
            db.commit()
        except AccountError as exc:
            db.rollback()
            return self._page(
                request, db, HTTP_422_UNPROCESSABLE_ENTITY, errors={exc.field: exc.message}
            )
        return self._page(request, db, 201, new_token=issued.secret)

    @post("/tokens/{token_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke_token(
        self,
        request: Request[Any, Any, Any],
        token_id: FromPath[int],
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect:
        token = tokens.revoke_token(db, _identity(request).id, token_id)
        db.commit()
        return redirect_with_flash(platform, "/account", f"The token “{token.name}” is revoked.")


class UserAdminController(Controller):
    """Admins list, create, deactivate and reactivate accounts and reset passwords."""

    path = "/admin/users"
    include_in_schema = False
    opt = allow(Role.ADMIN)

    @get("/", name="admin-users", sync_to_thread=True)
    def list_users(self, db: DbSession) -> Template:
        return Template(
            template_name="admin/users.html",
            context={"title": "Users", "users": service.list_users(db)},
        )

    @get("/new", sync_to_thread=False)
    def new_user(self) -> Template:
        return Template(
            template_name="admin/user_new.html",
            context={"title": "New user", "form": {}, "errors": {}, "roles": list(Role)},
        )

    @post("/", sync_to_thread=True, status_code=303)
    def create_user(
        self, data: FormData, db: DbSession, platform: PlatformDep
    ) -> Redirect | Template:
        try:
            user = service.create_user(
                db,
                email=data.get("email", ""),
                password=data.get("password", ""),
                role=data.get("role", ""),
                country=data.get("country"),
                display_name=data.get("display_name", ""),
            )
            db.commit()
        except AccountError as exc:
            db.rollback()
            form = {k: v for k, v in data.items() if k != "password"}
            return Template(
                template_name="admin/user_new.html",
                context={
                    "title": "New user",
                    "form": form,
                    "errors": {exc.field or "form": exc.message},
                    "roles": list(Role),
                },
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_with_flash(
            platform, f"/admin/users/{user.id}", f"Account {user.email} created."
        )

    @get("/{user_id:int}", sync_to_thread=True)
    def show_user(self, user_id: FromPath[int], db: DbSession) -> Template:
        return Template(
            template_name="admin/user.html",
            context={"title": "User", "account": service.get_user(db, user_id), "errors": {}},
        )

    @post("/{user_id:int}/active", sync_to_thread=True, status_code=303)
    def set_active(
        self, user_id: FromPath[int], data: FormData, db: DbSession, platform: PlatformDep
    ) -> Redirect:
        user = service.get_user(db, user_id)
        active = data.get("active") == "1"
        try:
            service.set_active(db, user, active)
            db.commit()
        except AccountError as exc:
            db.rollback()
            return redirect_with_flash(platform, f"/admin/users/{user_id}", exc.message, "error")
        word = "reactivated" if active else "deactivated"
        return redirect_with_flash(
            platform, f"/admin/users/{user_id}", f"Account {user.email} {word}."
        )

    @post("/{user_id:int}/password", sync_to_thread=True, status_code=303)
    def reset_password(
        self, user_id: FromPath[int], data: FormData, db: DbSession, platform: PlatformDep
    ) -> Redirect | Template:
        user = service.get_user(db, user_id)
        try:
            service.set_password(user, data.get("password", ""))
            db.add(user)
            db.commit()
        except AccountError as exc:
            db.rollback()
            return Template(
                template_name="admin/user.html",
                context={"title": "User", "account": user, "errors": {"password": exc.message}},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_with_flash(
            platform,
            f"/admin/users/{user_id}",
            f"New password set for {user.email}; their sessions have ended.",
        )


route_handlers = [LoginController, AccountController, UserAdminController]
