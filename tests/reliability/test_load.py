"""Load: respondents page by page and API submitters at once, against the real server.

A small, bounded run of the load generator of ``bench/load.py``: 20 browsers
(invitation links and the open link, some saving and coming back with the link or
their resume code) and 5 API submitters that retry on timeouts with the same
instance_id, all at once. Whatever the speed, every acknowledged submission is
stored once, no invitation has two complete responses, no request gets a 5xx
and the server log tells of no lock, no unavailable database, no unexpected error.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.load_client import Tally, run_load
from bench.load_fieldwork import (
    LOG_PROBLEMS,
    Kept,
    compare,
    institutions_needed,
    log_problems,
    plan,
    prepare_fieldwork,
)
from microcasa.db import Database
from tests.conftest import PG_URL, TEST_SECRET
from tests.reliability.server import PlatformServer, run_async

RESPONDENTS = 20
SUBMITTERS = 5
PER_SUBMITTER = 3
FIRST_API_TIMEOUT = 0.05  # short enough that some submissions are sent again
LOAD_TIMEOUT = 300.0
# Several server processes share one database: PostgreSQL's case (SQLite serves one).
WORKERS = [1, 2] if PG_URL else [1]


@pytest.mark.parametrize("workers", WORKERS)
def test_respondents_and_api_submitters_at_once(
    database: Database, database_url: str, tmp_path: Path, workers: int
) -> None:
    needed = institutions_needed(RESPONDENTS, SUBMITTERS, PER_SUBMITTER)
    fieldwork = prepare_fieldwork(database, TEST_SECRET, needed)
    people, robots = plan(fieldwork, RESPONDENTS, SUBMITTERS, PER_SUBMITTER)
    tally = Tally()
    settings = {
        # Each respondent comes through the reverse proxy from an address of its own.
        "forwarded_allow_ips": "127.0.0.1",
        # Fewer PostgreSQL connections than requests in flight, as hundreds of respondents
        # make it for the default pool: no request may then hold one while waiting for
        # another (SQLite keeps one per server thread whatever this says).
        "db_pool_size": "2",
    }
    with PlatformServer(database_url, tmp_path / "server.log", settings, workers) as server:
        load = run_load(server.url, people, robots, fieldwork.staff_token, FIRST_API_TIMEOUT, tally)
        run_async(asyncio.wait_for(load, timeout=LOAD_TIMEOUT))
        assert server.alive()
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")

    assert tally.server_errors == 0, tally.describe()
    assert log_problems(log) == dict.fromkeys(LOG_PROBLEMS, 0), log[-3000:]
    assert not tally.failures and not tally.unexpected, tally.describe()
    walked = tally.acknowledged_tokens | tally.acknowledged_institutions
    assert len(walked) == RESPONDENTS
    assert tally.api_acknowledged == tally.api_sent
    assert len(tally.api_sent) == SUBMITTERS * PER_SUBMITTER
    stored = RESPONDENTS + SUBMITTERS * PER_SUBMITTER
    assert compare(database, TEST_SECRET, tally) == Kept(
        acknowledged=stored,
        complete=stored,
        partial=0,
        missing=0,
        unacknowledged=0,
        duplicate_instances=0,
        invitations_with_two=0,
    )
