"""ASGI middleware of the platform shell: who is asking, CSRF, flash, security headers."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.datastructures.headers import Headers
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from microcasa import flash
from microcasa.auth.sessions import SESSION_COOKIE
from microcasa.platform import Platform

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _platform(scope: Scope) -> Platform:
    platform: Platform = scope["litestar_app"].state.platform
    return platform


def _cookies(scope: Scope) -> dict[str, str]:
    header = Headers.from_scope(scope).get("cookie", "")
    jar: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name not in jar:
            jar[name] = value
    return jar


def bearer_header(scope: Scope) -> str | None:
    return Headers.from_scope(scope).get("authorization")


class IdentityMiddleware:
    """Sets ``scope["user"]`` to the signed-in Identity (or None) for every request.

    A request with an ``Authorization`` header is judged by that header alone;
    otherwise by the session cookie. ``scope["auth"]`` says which, for the guard.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        platform = _platform(scope)
        authorization = bearer_header(scope)
        auth: dict[str, Any]
        if authorization is not None:
            scheme, _, secret = authorization.partition(" ")
            identity = None
            if scheme.lower() == "bearer" and secret.strip():
                identity = await to_thread.run_sync(platform.identity_from_token, secret.strip())
            auth = {"via": "token", "invalid": identity is None}
        else:
            session_id = _cookies(scope).get(SESSION_COOKIE, "")
            identity = None
            if session_id:
                identity = await to_thread.run_sync(platform.identity_from_session, session_id)
            auth = {"via": "session", "session_id": session_id if identity else None}
        scope["user"] = identity
        scope["auth"] = auth
        await self.app(scope, receive, send)


class PlatformCSRFMiddleware(CSRFMiddleware):
    """Litestar's double-submit CSRF check, for every request that rides on cookies."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and _rides_no_cookie(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _rides_no_cookie(scope: Scope) -> bool:
    """Requests a foreign site cannot forge with the browser's ambient authority.

    A token header (staff API token or a respondent's invitation token) cannot be
    added cross-site without a CORS grant, which the platform never gives; and an
    API request without a session cookie carries no authority to abuse.
    """
    headers = Headers.from_scope(scope)
    if headers.get("authorization") is not None or headers.get("x-invitation-token") is not None:
        return True
    return scope["path"].startswith("/api/") and SESSION_COOKIE not in _cookies(scope)


class FlashMiddleware:
    """Reads one-shot messages from their cookie and clears it once a page shows them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        raw = _cookies(scope).get(flash.FLASH_COOKIE)
        messages = flash.decode(_platform(scope).secret_key, raw) if raw else []
        scope.setdefault("state", {})["flashes"] = messages
        if raw is None:
            await self.app(scope, receive, send)
            return

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                shown = scope["state"].get("flashes_shown", False)
                sets_new = any(
                    value.startswith(flash.FLASH_COOKIE + "=")
                    for value in headers.getall("set-cookie", [])
                )
                if (shown or not messages) and not sets_new:
                    expired = Cookie(key=flash.FLASH_COOKIE, value="", max_age=0, path="/")
                    headers.add("set-cookie", expired.to_header(header=""))
            await send(message)

        await self.app(scope, receive, send_clearing)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: CSP, nosniff, no-referrer, frame denial, no caching of dynamic pages.

    A hook rather than middleware, so that it also covers responses produced
    before routing (unknown paths, wrong methods).
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS:
        headers[name.decode("ascii")] = value.decode("ascii")
    if not scope["path"].startswith("/static/") and "cache-control" not in headers:
        headers["cache-control"] = "no-store"
