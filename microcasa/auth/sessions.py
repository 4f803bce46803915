"""Server-side sessions for signed-in staff.

The browser holds only a random session id; the server keeps, under a hash of
that id, which account it belongs to. A new id is issued at every sign-in
(rotation), the entry is deleted at sign-out, it expires after the idle timeout
and after an absolute lifetime, and it stops working when the account's
password changes or the account is deactivated (``session_epoch``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from microcasa.auth.models import User
from microcasa.db import utcnow
from microcasa.settings import Settings
from microcasa.state import SharedState

SESSION_COOKIE = "mc_session"


@dataclass(frozen=True, slots=True)
class SessionData:
    user_id: int
    epoch: int
    created_at: datetime


def _key(session_id: str) -> str:
    return "session:" + hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, state: SharedState, settings: Settings) -> None:
        self.state = state
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.lifetime = timedelta(hours=settings.session_max_hours)

    def start(self, user: User) -> str:
        """Open a session for the account and return its new id (for the cookie)."""
        assert user.id is not None
        session_id = secrets.token_urlsafe(32)
        payload = {"user_id": user.id, "epoch": user.session_epoch, "created": utcnow().isoformat()}
        self.state.set(_key(session_id), json.dumps(payload), self.idle)
        return session_id

    def load(self, session_id: str) -> SessionData | None:
        """The session behind an id, renewing its idle timeout; None when gone or too old."""
        if not session_id or len(session_id) > 100:
            return None
        raw = self.state.get(_key(session_id), renew_for=self.idle)
        if raw is None:
            return None
        payload = json.loads(raw)
        data = SessionData(
            user_id=int(payload["user_id"]),
            epoch=int(payload["epoch"]),
            created_at=datetime.fromisoformat(payload["created"]),
        )
        if utcnow() - data.created_at > self.lifetime:
            self.end(session_id)
            return None
        return data

    def end(self, session_id: str) -> None:
        self.state.delete(_key(session_id))
