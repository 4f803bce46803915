"""One-shot messages shown on the next page ("Account created."), kept in a signed cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any, TypeVar

from litestar import Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

if TYPE_CHECKING:
    from microcasa.platform import Platform

FLASH_COOKIE = "mc_flash"
CATEGORIES = frozenset({"info", "success", "warning", "error"})


def _sign(secret: str, payload: bytes) -> str:
    key = hashlib.sha256(b"flash:" + secret.encode("utf-8")).digest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def encode(secret: str, messages: list[tuple[str, str]]) -> str:
    # No "=" padding: a cookie value with "=" is sent quoted and would not verify.
    payload = base64.urlsafe_b64encode(json.dumps(messages).encode("utf-8")).rstrip(b"=")
    return payload.decode("ascii") + "." + _sign(secret, payload)


def decode(secret: str, value: str | None) -> list[tuple[str, str]]:
    """The messages in a cookie value, or none if it was tampered with."""
    if not value or "." not in value or len(value) > 4000:
        return []
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _sign(secret, payload.encode("ascii"))):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return []
    return [(str(category), str(text)) for category, text in items if category in CATEGORIES]


ResponseT = TypeVar("ResponseT", bound=Response[Any])


def with_flash(
    response: ResponseT, secret: str, message: str, category: str = "info", secure: bool = False
) -> ResponseT:
    """Attach a message to a (redirect) response for the next page to show."""
    value = encode(secret, [(category, message)])
    response.cookies.append(
        Cookie(
            key=FLASH_COOKIE, value=value, httponly=True, samesite="lax", secure=secure, path="/"
        )
    )
    return response


def redirect_with_flash(
    platform: Platform, path: str, message: str, category: str = "success"
) -> Redirect:
    """A 303 to ``path``, where ``message`` is shown once (after a form's POST)."""
    return with_flash(
        Redirect(path=path, status_code=303),
        platform.secret_key,
        message,
        category,
        platform.settings.secure_cookies,
    )
