"""What the platform answers when its database fails, one fault at a time, without a server.

The fault tests (test_crash.py, test_database_faults.py) drive the real server;
these pin down each piece they rely on: the answer to every kind of failed write,
the group commit when its connection dies, and SQLite's read-only connections
being replaced once the file is writable again.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from microcasa.db import Database
from microcasa.errors import problem_for
from tests.conftest import PG_URL

STORAGE = "read-only or its disk is full"
POSTGRES_ONLY = pytest.mark.skipif(
    not PG_URL, reason="PostgreSQL only (set MICROCASA_TEST_DATABASE_URL): it needs a server"
)
SQLITE_ONLY = pytest.mark.skipif(bool(PG_URL), reason="SQLite only: its own file's rules")
# A write every database here accepts: no table of the platform changes.
WRITE = text("CREATE TEMPORARY TABLE IF NOT EXISTS probe (n INTEGER)")
FILL = (
    "CREATE TABLE filler AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < 1000) SELECT randomblob(1000) AS b FROM n"
)
TOUCH = text("UPDATE alembic_version SET version_num = version_num")


def _failed_write(database: Database, prepare: str, statement: str) -> DBAPIError:
    """The error of ``statement`` run after ``prepare`` on the pooled connection."""
    with database.engine.connect() as connection:
        connection.exec_driver_sql(prepare)
        connection.commit()
    with pytest.raises(DBAPIError) as failed, database.transaction() as session:
        session.execute(text(statement))
    return failed.value


@SQLITE_ONLY
def test_a_read_only_sqlite_connection_is_a_503_and_is_replaced_for_the_next_write(
    database: Database,
) -> None:
    database.engine.dispose()  # one connection in the pool: the one made read-only below
    refused = _failed_write(database, "PRAGMA query_only = ON", TOUCH.text)
    problem = problem_for(refused)
    assert (problem.status, problem.headers) == (503, {"Retry-After": "60"})
    assert STORAGE in problem.detail
    assert refused.connection_invalidated
    with database.transaction() as session:  # a new connection, writable again
        session.execute(TOUCH)
        assert session.execute(text("PRAGMA query_only")).scalar_one() == 0


@SQLITE_ONLY
def test_a_full_sqlite_database_is_a_503_that_says_so(database: Database) -> None:
    database.engine.dispose()
    pages = "PRAGMA max_page_count = 1"  # as low as the file's size: no page can be added
    refused = _failed_write(database, pages, FILL)
    problem = problem_for(refused)
    assert problem.status == 503 and STORAGE in problem.detail
    assert "full" in str(refused.orig)


@POSTGRES_ONLY
def test_a_read_only_postgres_transaction_is_a_503_not_a_500(database: Database) -> None:
    with pytest.raises(DBAPIError) as failed, database.transaction() as session:
        session.execute(text("SET TRANSACTION READ ONLY"))
        session.execute(TOUCH)
    problem = problem_for(failed.value)
    assert problem.status == 503 and STORAGE in problem.detail


def _hold(entered: threading.Event, release: threading.Event, _session: Session) -> str:
    entered.set()
    assert release.wait(30)
    return "held"


def _die(session: Session) -> str:
    session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    return "not reached"


def _write(session: Session) -> str:
    session.execute(WRITE)
    return "written"


def _wait_queued(database: Database, count: int) -> None:
    deadline = time.monotonic() + 30
    while database._group._queue.qsize() < count:
        assert time.monotonic() < deadline, "the writes did not queue"
        time.sleep(0.01)


@POSTGRES_ONLY
def test_a_batch_whose_connection_dies_fails_whole_as_unavailable(database: Database) -> None:
    """Every write of the batch gets the lost connection (503), none a follow-on error (500)."""
    entered, release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(4) as pool:
        held = pool.submit(database.group_commit, lambda s: _hold(entered, release, s))
        assert entered.wait(30)
        # While the writer is busy, a batch forms: the write that loses the
        # connection first, two ordinary writes after it.
        batch: list[Future[str]] = []
        for work, queued in ((_die, 1), (_write, 2), (_write, 3)):
            batch.append(pool.submit(database.group_commit, work))
            _wait_queued(database, queued)
        release.set()
        assert held.result(30) == "held"
        errors = [future.exception(30) for future in batch]
    for error in errors:
        assert isinstance(error, DBAPIError) and error.connection_invalidated, repr(error)
        assert problem_for(error).status == 503
    assert database.group_commit(_write) == "written"  # the next batch has a new connection
