"""Database engine and sessions, built from settings.

SQLite (the embedded default) is tuned so that an acknowledged write survives a
crash and concurrent workers wait instead of failing; PostgreSQL gets a pool that
checks connections before use. Nothing here is a module global: a
:class:`Database` belongs to whoever built it (the app, a CLI command, a test).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.engine.interfaces import Dialect, ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel

from microcasa.commits import GroupCommit
from microcasa.settings import Settings

T = TypeVar("T")

# Named constraints let Alembic alter and drop them, on SQLite (batch mode) too.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


WRITE_OPTION = "microcasa_write"
# The server runs blocking handlers on up to 40 threads (anyio's default limit).
SQLITE_POOL_SIZE = 40


class DatabaseUnavailable(Exception):
    """The database cannot be reached; callers answer 503, never a traceback."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL keeps one: this type makes both return the
    same aware value and refuses naive datetimes on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # A write transaction takes the write lock at BEGIN, so that two writers
    # queue on busy_timeout instead of one failing with "database is locked"
    # when it upgrades a read lock. Reads begin deferred and never block.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def build_engine(settings: Settings) -> Engine:
    """An engine for the configured database with the platform's connection rules."""
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is not None and not path.resolve().parent.exists():
            raise DatabaseUnavailable(f"the folder for the SQLite file {path} does not exist")
        engine = create_engine(
            settings.database_url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.db_busy_timeout_ms / 1000,
            },
            # A file cannot drop a connection, so no pre-ping; and a connection for each
            # of the server's worker threads stays open, since a new one costs its pragmas.
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
        )
        # pysqlite's own transaction handling is switched off so BEGIN is ours.
        event.listen(engine, "connect", _sqlite_pragmas(settings.db_busy_timeout_ms))
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _sqlite_begin)
        recovery = _ReadOnlyRecovery()
        event.listen(engine, "connect", recovery.connected)
        event.listen(engine, "handle_error", recovery.on_error)
        event.listen(engine, "checkin", recovery.checked_in)
        return engine
    return create_engine(
        settings.database_url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )


# SQLite result codes (the low byte of ``sqlite_errorcode``) and PostgreSQL SQLSTATEs
# for a database that still reads but refuses writes: read-only, or its disk is full.
SQLITE_READONLY = 8
SQLITE_FULL = 13
PG_CANNOT_WRITE = frozenset({"25006", "53100"})  # read_only_sql_transaction, disk_full


def cannot_write(exc: BaseException) -> bool:
    """Whether the database refuses writes for now (read-only, disk full) though it may read."""
    original = getattr(exc, "orig", None) or exc
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in {SQLITE_READONLY, SQLITE_FULL}
    return getattr(original, "sqlstate", None) in PG_CANNOT_WRITE


class _ReadOnlyRecovery:
    """Reopens SQLite once its file was found read-only, so writes work when it is fixed.

    A connection opened while the file (or its file system) was read-only stays
    read-only for good, and so does every connection this process opens while
    another such one is still open (SQLite shares the WAL index among them). So
    on "attempt to write a readonly database" every connection goes: the idle
    ones at once, the failing one as if lost, the busy ones when handed back.
    """

    def __init__(self) -> None:
        self.failed_at = 0.0

    def connected(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["opened_at"] = time.monotonic()

    def on_error(self, context: ExceptionContext) -> None:
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        if not isinstance(code, int) or code & 0xFF != SQLITE_READONLY:
            return
        self.failed_at = time.monotonic()
        context.is_disconnect = True
        if context.execution_context is not None:
            # Its statement would keep the closed connection alive (sqlite3_close_v2).
            context.execution_context.cursor.close()
        if context.engine is not None:
            context.engine.dispose()  # closes the idle ones; later ones come from a new pool

    def checked_in(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None and record.info.get("opened_at", 0.0) <= self.failed_at:
            record.invalidate()


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


class Database:
    """The engine and session factory of one configured database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = build_engine(settings)
        self._reads = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self._writes = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}),
            class_=Session,
            expire_on_commit=False,
        )
        self._group = GroupCommit(self)

    def session(self, write: bool = False) -> Session:
        """A session; ``write=True`` for one that will write (SQLite locks at BEGIN)."""
        return self._writes() if write else self._reads()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session that commits when the block ends and rolls back on error."""
        with self._writes() as session, session.begin():
            yield session

    def group_commit(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` with the writes of other threads in one commit; see microcasa.commits."""
        return self._group.run(work)

    def ping(self) -> None:
        """Raise DatabaseUnavailable with a one-line reason if the database is unreachable."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise DatabaseUnavailable(describe_db_error(exc, self.settings)) from None

    def dispose(self) -> None:
        self._group.close()
        self.engine.dispose()


def describe_db_error(exc: DBAPIError, settings: Settings) -> str:
    """One line naming the database and the driver's first line of complaint."""
    original = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    reason = original[0] if original else type(exc).__name__
    folder = settings.sqlite_path.resolve().parent if settings.sqlite_path else None
    if folder is not None and folder.is_dir() and not os.access(folder, os.W_OK):
        reason += f" (the folder {folder} is read-only; SQLite writes beside the file)"
    return f"cannot reach the database {settings.redacted_database_url()}: {reason}"
