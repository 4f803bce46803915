"""State shared between server workers: expiring entries and windowed counters.

Sessions and rate-limit counters must behave the same with one worker or four,
so they never live in process memory. They live in the database by default, or
in Redis when ``MICROCASA_REDIS_URL`` is set. Both backends offer the same small
interface; the platform's callers see only :class:`SharedState`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Column, Integer, String, Text, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from microcasa.db import Database, UTCDateTime, utcnow

# Renewing an entry's expiry is a write; skip it while the entry is fresh.
RENEW_GRACE = timedelta(seconds=60)


class StateEntry(SQLModel, table=True):
    """A key with a value and an expiry (server-side sessions)."""

    __tablename__ = "state_entry"

    key: str = Field(sa_column=Column(String(200), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class StateCounter(SQLModel, table=True):
    """A counter in a fixed time window (login and token rate limits)."""

    __tablename__ = "state_counter"

    key: str = Field(sa_column=Column(String(200), primary_key=True))
    count: int = Field(sa_column=Column(Integer, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


@dataclass(frozen=True, slots=True)
class Hit:
    """The count in the current window and the seconds until the window ends."""

    count: int
    retry_after: int


class SharedState(Protocol):
    def get(self, key: str, renew_for: timedelta | None = None) -> str | None: ...

    def set(self, key: str, value: str, ttl: timedelta) -> None: ...

    def delete(self, key: str) -> None: ...

    def hit(self, key: str, window: timedelta) -> Hit: ...

    def peek(self, key: str) -> Hit: ...

    def reset(self, key: str) -> None: ...


class DatabaseState:
    """SharedState in two tables of the platform database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str, renew_for: timedelta | None = None) -> str | None:
        now = utcnow()
        with self.db.transaction() as session:
            entry = session.get(StateEntry, key)
            if entry is None:
                return None
            if entry.expires_at <= now:
                session.delete(entry)
                return None
            if renew_for is not None and now + renew_for - entry.expires_at > RENEW_GRACE:
                entry.expires_at = now + renew_for
            return entry.value

    def set(self, key: str, value: str, ttl: timedelta) -> None:
        now = utcnow()
        with self.db.transaction() as session:
            # Expired rows are swept on writes, so the table stays small.
            session.execute(delete(StateEntry).where(StateEntry.expires_at <= now))  # type: ignore[arg-type]
            entry = session.get(StateEntry, key)
            if entry is None:
                session.add(StateEntry(key=key, value=value, expires_at=now + ttl))
            else:
                entry.value = value
                entry.expires_at = now + ttl

    def delete(self, key: str) -> None:
        with self.db.transaction() as session:
            session.execute(delete(StateEntry).where(StateEntry.key == key))  # type: ignore[arg-type]

    def hit(self, key: str, window: timedelta) -> Hit:
        now = utcnow()
        table = StateCounter.__table__  # type: ignore[attr-defined]
        expired = table.c.expires_at <= now
        dialect = self.db.engine.dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(table)
            .values(key=key, count=1, expires_at=now + window)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((expired, 1), else_=table.c.count + 1),
                    "expires_at": case((expired, now + window), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count, table.c.expires_at)
        )
        with self.db.transaction() as session:
            count, expires_at = session.execute(statement).one()
            if count == 1:
                session.execute(delete(StateCounter).where(expired))
        return Hit(count=count, retry_after=_seconds_until(expires_at, now))

    def peek(self, key: str) -> Hit:
        now = utcnow()
        with self.db.session() as session:
            row = session.execute(
                select(StateCounter.count, StateCounter.expires_at).where(  # type: ignore[call-overload]
                    StateCounter.key == key
                )
            ).one_or_none()
        if row is None:
            return Hit(count=0, retry_after=0)
        count, expires_at = row
        if expires_at <= now:
            return Hit(count=0, retry_after=0)
        return Hit(count=int(count), retry_after=_seconds_until(expires_at, now))

    def reset(self, key: str) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(StateCounter)
                .where(StateCounter.key == key)  # type: ignore[arg-type]
                .values(count=0)
            )


class RedisState:
    """SharedState in Redis (keys under one prefix)."""

    def __init__(self, url: str, prefix: str = "microcasa:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str, renew_for: timedelta | None = None) -> str | None:
        if renew_for is None:
            value = self.client.get(self._key(key))
        else:
            value = self.client.getex(self._key(key), ex=renew_for)
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    def set(self, key: str, value: str, ttl: timedelta) -> None:
        self.client.set(self._key(key), value.encode("utf-8"), ex=ttl)

    def delete(self, key: str) -> None:
        self.client.delete(self._key(key))

    def hit(self, key: str, window: timedelta) -> Hit:
        name = self._key("counter:" + key)
        pipe = self.client.pipeline()
        pipe.set(name, 0, ex=window, nx=True)
        pipe.incr(name)
        pipe.pttl(name)
        _created, count, pttl = pipe.execute()
        return Hit(count=int(count), retry_after=max(1, math.ceil(int(pttl) / 1000)))

    def peek(self, key: str) -> Hit:
        name = self._key("counter:" + key)
        pipe = self.client.pipeline()
        pipe.get(name)
        pipe.pttl(name)
        value, pttl = pipe.execute()
        if value is None:
            return Hit(count=0, retry_after=0)
        return Hit(count=int(value), retry_after=max(1, math.ceil(int(pttl) / 1000)))

    def reset(self, key: str) -> None:
        self.client.delete(self._key("counter:" + key))

    def ping(self) -> None:
        self.client.ping()


def build_state(db: Database) -> SharedState:
    """Redis when configured, else the database."""
    url = db.settings.redis_url
    if url:
        return RedisState(url)
    return DatabaseState(db)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))
