"""Shared state behaves the same in the database and in Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from microcasa.db import Database, utcnow
from microcasa.state import DatabaseState, RedisState, SharedState, StateCounter, StateEntry

REDIS_URL = os.environ.get("MICROCASA_TEST_REDIS_URL", "")


@pytest.fixture(params=["database", "redis"])
def state(request: pytest.FixtureRequest, database: Database) -> Iterator[SharedState]:
    if request.param == "database":
        yield DatabaseState(database)
        return
    if not REDIS_URL:
        pytest.skip("MICROCASA_TEST_REDIS_URL is not set (.ci/run sets it)")
    redis_state = RedisState(REDIS_URL, prefix=f"test-{os.getpid()}-{id(database)}:")
    yield redis_state
    for key in redis_state.client.scan_iter(redis_state.prefix + "*"):
        redis_state.client.delete(key)


def test_set_get_delete(state: SharedState) -> None:
    assert state.get("a") is None
    state.set("a", "ünïcode value", timedelta(minutes=5))
    assert state.get("a") == "ünïcode value"
    state.set("a", "second", timedelta(minutes=5))
    assert state.get("a") == "second"
    state.delete("a")
    assert state.get("a") is None


def test_counter_counts_within_a_window_and_resets(state: SharedState) -> None:
    window = timedelta(minutes=15)
    counts = [state.hit("login:x", window).count for _ in range(4)]
    assert counts == [1, 2, 3, 4]
    peeked = state.peek("login:x")
    assert peeked.count == 4
    assert 0 < peeked.retry_after <= 15 * 60
    state.reset("login:x")
    assert state.peek("login:x").count == 0
    assert state.hit("login:x", window).count == 1


def test_parallel_hits_are_all_counted(state: SharedState) -> None:
    window = timedelta(minutes=5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: state.hit("busy", window).count, range(40)))
    assert sorted(counts) == list(range(1, 41))


def test_database_entries_expire_and_renew(database: Database) -> None:
    state = DatabaseState(database)
    state.set("s", "v", timedelta(minutes=10))
    with database.transaction() as session:
        session.execute(
            update(StateEntry)
            .where(StateEntry.key == "s")
            .values(expires_at=utcnow() - timedelta(seconds=1))  # type: ignore[arg-type]
        )
    assert state.get("s") is None

    state.set("r", "v", timedelta(minutes=10))
    with database.transaction() as session:
        session.execute(
            update(StateEntry)
            .where(StateEntry.key == "r")
            .values(expires_at=utcnow() + timedelta(minutes=2))  # type: ignore[arg-type]
        )
    assert state.get("r", renew_for=timedelta(minutes=10)) == "v"
    with database.session() as session:
        entry = session.get(StateEntry, "r")
        assert entry is not None
        assert entry.expires_at > utcnow() + timedelta(minutes=9)


def test_database_counter_window_expires(database: Database) -> None:
    state = DatabaseState(database)
    for _ in range(3):
        state.hit("w", timedelta(minutes=1))
    with database.transaction() as session:
        session.execute(
            update(StateCounter)
            .where(StateCounter.key == "w")
            .values(expires_at=utcnow() - timedelta(seconds=1))  # type: ignore[arg-type]
        )
    assert state.peek("w").count == 0
    assert state.hit("w", timedelta(minutes=1)).count == 1
