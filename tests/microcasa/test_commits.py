"""Group commit: writes waiting together share one transaction, yet succeed or fail alone."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from microcasa.commits import GroupCommit
from microcasa.db import Database, utcnow
from microcasa.state import StateEntry


def _keys(database: Database) -> set[str]:
    with database.session() as session:
        return set(session.exec(select(StateEntry.key)))


def _write(key: str, fail: bool = False) -> Callable[[Session], str]:
    """A write that inserts one row and says which transaction it ran in."""

    def work(session: Session) -> str:
        session.add(StateEntry(key=key, value="v", expires_at=utcnow() + timedelta(hours=1)))
        session.flush()
        if fail:
            raise ValueError(f"{key} refused")
        batch: str = session.info.setdefault("batch", uuid.uuid4().hex)
        return batch

    return work


def _held(committer: GroupCommit) -> tuple[threading.Event, Future[str]]:
    """Keep the writer thread busy until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def blocking(session: Session) -> str:
        started.set()
        release.wait(10)
        return "held"

    pool = ThreadPoolExecutor(1)
    held = pool.submit(committer.run, blocking)
    pool.shutdown(wait=False)
    assert started.wait(10)
    return release, held


def _wait_queued(committer: GroupCommit, count: int) -> None:
    for _ in range(1000):
        if committer._queue.qsize() >= count:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} writes never queued")


def test_a_write_returns_its_result_after_it_is_committed(database: Database) -> None:
    batch = database.group_commit(_write("one"))
    assert batch
    assert _keys(database) == {"one"}


def test_writes_waiting_together_share_one_commit_and_a_failure_is_undone_alone(
    database: Database,
) -> None:
    committer = GroupCommit(database)
    try:
        release, held = _held(committer)
        with ThreadPoolExecutor(4) as pool:
            futures = {
                key: pool.submit(committer.run, _write(key, fail=key == "bad"))
                for key in ("a", "b", "bad", "c")
            }
            _wait_queued(committer, 4)
            release.set()
            assert held.result(10) == "held"
            batches = {key: futures[key].result(10) for key in ("a", "b", "c")}
            with pytest.raises(ValueError, match="bad refused"):
                futures["bad"].result(10)
    finally:
        committer.close()
    assert len(set(batches.values())) == 1  # one transaction for the three
    assert _keys(database) == {"a", "b", "c"}


def test_when_the_commit_fails_no_write_of_the_batch_succeeds(database: Database) -> None:
    def refuse_commit(session: Session) -> None:
        if not session.in_nested_transaction():  # the batch's commit, not a savepoint's
            raise RuntimeError("the disk is full")

    def poisoned(session: Session) -> str:
        event.listen(session, "before_commit", refuse_commit)
        return _write("poisoned")(session)

    committer = GroupCommit(database)
    try:
        release, held = _held(committer)
        with ThreadPoolExecutor(3) as pool:
            futures = [
                pool.submit(committer.run, work) for work in (_write("x"), poisoned, _write("y"))
            ]
            _wait_queued(committer, 3)
            release.set()
            held.result(10)
            for future in futures:
                with pytest.raises(RuntimeError, match="the disk is full"):
                    future.result(10)
        assert committer.run(_write("after"))  # the writer thread carries on
    finally:
        committer.close()
    assert _keys(database) == {"after"}


def test_many_threads_each_get_their_own_write_stored(database: Database) -> None:
    keys = [f"k{n}" for n in range(60)]
    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda key: database.group_commit(_write(key)), keys))
    assert len(results) == 60
    assert _keys(database) == set(keys)
    with database.session() as session:
        assert len(session.exec(select(col(StateEntry.key))).all()) == 60


def test_close_finishes_waiting_writes_and_refuses_new_ones(database: Database) -> None:
    committer = GroupCommit(database)
    release, held = _held(committer)
    with ThreadPoolExecutor(2) as pool:
        waiting = pool.submit(committer.run, _write("waiting"))
        _wait_queued(committer, 1)
        closing = pool.submit(committer.close)
        release.set()
        closing.result(10)
        assert waiting.result(10)
    assert held.result(10) == "held"
    with pytest.raises(RuntimeError, match="closed"):
        committer.run(_write("late"))
    assert _keys(database) == {"waiting"}
