"""API tokens for staff scripts: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from microcasa.auth.errors import AccountError, AuthError, NotFound
from microcasa.auth.models import ApiToken, User
from microcasa.db import utcnow

TOKEN_PREFIX = "mcat_"  # noqa: S105 - a public marker that makes leaked tokens easy to find
# last_used_at is rewritten at most this often per token, to spare writes.
_LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: ``secret`` is the only copy of the token text and is shown once."""

    token: ApiToken
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str) -> IssuedToken:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 120 or "\x00" in cleaned:
        raise AccountError(AuthError.TOKEN_NAME_INVALID, field="name")
    assert user.id is not None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=cleaned, prefix=secret[:12], token_hash=_digest(secret))
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    statement = (
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(col(ApiToken.created_at))
    )
    return list(session.exec(statement))


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (idempotent)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(AuthError.TOKEN_NOT_FOUND)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
    return token


def resolve_token(session: Session, secret: str) -> User | None:
    """The active account behind a token, or None; records when it was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > _LAST_USED_RESOLUTION_SECONDS:
        token.last_used_at = now
        session.add(token)
    return user
