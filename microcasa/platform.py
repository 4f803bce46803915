"""What a running platform holds: settings, database, shared state, sessions."""

from __future__ import annotations

from dataclasses import dataclass

from microcasa.auth.models import User
from microcasa.auth.service import Identity
from microcasa.auth.sessions import SessionStore
from microcasa.auth.tokens import resolve_token
from microcasa.db import Database
from microcasa.settings import Settings
from microcasa.state import SharedState, build_state


@dataclass(frozen=True)
class Platform:
    settings: Settings
    secret_key: str
    db: Database
    state: SharedState
    sessions: SessionStore

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        db = Database(settings)
        state = build_state(db)
        return cls(
            settings=settings,
            secret_key=settings.resolved_secret_key(),
            db=db,
            state=state,
            sessions=SessionStore(state, settings),
        )

    def identity_from_session(self, session_id: str) -> Identity | None:
        data = self.sessions.load(session_id)
        if data is None:
            return None
        with self.db.session() as session:
            user = session.get(User, data.user_id)
            if user is None or not user.is_active or user.session_epoch != data.epoch:
                self.sessions.end(session_id)
                return None
            return Identity.of(user, via="session")

    def identity_from_token(self, secret: str) -> Identity | None:
        # A read first: only when last_used_at is due for an update does the
        # request take a write transaction (on SQLite, the database's one writer).
        with self.db.session() as session:
            user = resolve_token(session, secret)
            due = session.dirty
            identity = None if user is None else Identity.of(user, via="token")
        if identity is not None and due:
            with self.db.transaction() as session:
                resolve_token(session, secret)
        return identity
