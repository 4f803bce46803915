from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from microcasa.db import Database, DatabaseUnavailable
from microcasa.settings import Settings
from microcasa.state import StateEntry
from tests.conftest import make_settings


def test_sqlite_is_tuned_for_durability_and_concurrency(database: Database) -> None:
    if not database.settings.is_sqlite:
        pytest.skip("SQLite pragmas")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000


def test_postgres_pool_checks_connections(database: Database) -> None:
    if database.settings.is_sqlite:
        pytest.skip("PostgreSQL pool")
    assert database.engine.pool._pre_ping  # type: ignore[attr-defined]


def test_timestamps_come_back_aware_in_utc(database: Database) -> None:
    moment = datetime(2026, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=8)))  # Kuala Lumpur
    with database.transaction() as session:
        session.add(StateEntry(key="k", value="v", expires_at=moment))
    with database.session() as session:
        stored = session.get(StateEntry, "k")
        assert stored is not None
        assert stored.expires_at == moment
        assert stored.expires_at.tzinfo is not None
        assert stored.expires_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), database.transaction() as session:
        session.add(StateEntry(key="k", value="v", expires_at=datetime(2026, 1, 1)))  # noqa: DTZ001
        session.flush()


def test_unreachable_postgres_is_one_clear_line() -> None:
    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none")
    database = Database(settings)
    with pytest.raises(DatabaseUnavailable) as error:
        database.ping()
    message = str(error.value)
    assert message.startswith(
        "cannot reach the database postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert "\n" not in message


def test_missing_sqlite_folder_is_one_clear_line(settings: Settings) -> None:
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        Database(make_settings("sqlite:////nonexistent-folder/x.db"))


def test_transaction_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.add(StateEntry(key="gone", value="v", expires_at=datetime.now(UTC)))
        session.flush()
        raise RuntimeError("abort")
    with database.session() as session:
        assert session.get(StateEntry, "gone") is None
