"""The database fails under a running platform: it answers 503 with a retry hint, never loses
what it acknowledged, and works again once the fault is gone, without a restart.

- PostgreSQL: the server's connections are terminated again and again under load.
- SQLite: the file system holding the database is read-only (as after a kernel
  error remount, or a restore with the wrong permissions), or full.

The SQLite faults need a small file system of their own: a tmpfs mounted for the
test (root only; skipped with the reason otherwise). Root ignores file modes, so
``chmod`` cannot make a file read-only for the server here; a read-only mount can.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bench.submit import ANSWERS
from microcasa import schema
from microcasa.db import Database
from survey.models import Response
from tests.conftest import PG_URL, make_settings
from tests.reliability.disks import fill, remount, small_disk
from tests.reliability.server import PlatformServer, ServerFailed, run_async
from tests.survey.fieldwork_support import SUBMIT, bearer, publish
from tests.survey.respondents import invite

REQUEST_TIMEOUT = 30.0
PROBLEM = "application/problem+json"
SEED = 8


def _body(instance: str) -> dict[str, object]:
    return {"instance_id": instance, "language": "en", "country": "MY", "answers": ANSWERS}


def _stored(database_url: str) -> Counter[str]:
    """How many rows each instance_id sent through the API has (all of them complete)."""
    database = Database(make_settings(database_url))
    try:
        with database.session() as session:
            statement = select(Response.instance_id, Response.status)
            rows = session.exec(statement.where(Response.channel == "api")).all()
    finally:
        database.dispose()
    assert {status for _, status in rows} <= {"complete"}
    return Counter(instance for instance, _ in rows)


def _assert_unavailable(answer: httpx.Response) -> None:
    """A 503 a script can act on: problem details, a reason, and when to try again."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert body["status"] == 503
    assert "try again" in body["detail"]


# --- PostgreSQL: connections terminated under load ----------------------------------

TERMINATIONS = 15
LOAD_CLIENTS = 6
READ_PATHS = ("/healthz", "/api/forms")


def _terminate(admin_url: str, application_name: str) -> int:
    """Terminate every connection of the server under test (and only those)."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND application_name = :name"
                ),
                {"name": application_name},
            ).scalar_one()
    finally:
        engine.dispose()
    return int(killed)


class Load:
    """Clients that submit and read while connections die; what they were told."""

    def __init__(self, server: PlatformServer, headers: dict[str, str]) -> None:
        self.server = server
        self.headers = headers
        self.statuses: Counter[int] = Counter()
        self.acknowledged: set[str] = set()
        self.refused: list[str] = []  # answered 503: sent again once the load is over
        self.tried: list[str] = []
        self.resent: Counter[int] = Counter()  # 201: stored now; 200: stored before the 503
        self.wrong: list[str] = []  # any answer other than 2xx or a proper 503

    def note(self, answer: httpx.Response) -> bool:
        """Count the answer; True for a 2xx."""
        self.statuses[answer.status_code] += 1
        if 200 <= answer.status_code < 300:
            return True
        try:
            if not answer.headers["content-type"].startswith(PROBLEM):
                # /healthz's own short answer for probes, when its ping fails.
                assert answer.request.url.path == "/healthz" and answer.status_code == 503
                assert answer.headers["retry-after"]
                assert answer.json() == {"status": "unavailable", "database": "unreachable"}
            else:
                _assert_unavailable(answer)
        except (AssertionError, KeyError, ValueError):
            self.wrong.append(
                f"{answer.request.url.path} {answer.status_code}: {answer.text[:300]}"
            )
        return False

    async def submit(self, client: httpx.AsyncClient, instance: str) -> None:
        answer = await client.post(SUBMIT, json=_body(instance), headers=self.headers)
        if self.note(answer):
            self.acknowledged.add(instance)
        else:
            self.refused.append(instance)

    async def run(self, stop: asyncio.Event, number: int) -> None:
        async with httpx.AsyncClient(
            base_url=self.server.url, timeout=REQUEST_TIMEOUT, trust_env=False
        ) as client:
            turn = 0
            while not stop.is_set():
                turn += 1
                if (turn + number) % 4 == 0:
                    path = READ_PATHS[turn % len(READ_PATHS)]
                    self.note(await client.get(path, headers=self.headers))
                    continue
                instance = str(uuid.uuid4())
                self.tried.append(instance)
                await self.submit(client, instance)


async def _terminate_under_load(load: Load, admin_url: str, name: str) -> int:
    rng = random.Random(SEED)
    stop = asyncio.Event()
    clients = [asyncio.create_task(load.run(stop, n)) for n in range(LOAD_CLIENTS)]
    terminated = 0
    try:
        for _ in range(TERMINATIONS):
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            terminated += await asyncio.to_thread(_terminate, admin_url, name)
    finally:
        stop.set()
        await asyncio.gather(*clients)
    return terminated


def _resend(load: Load) -> None:
    """Send each refused submission again (same instance_id, same body) until it is stored."""
    with httpx.Client(base_url=load.server.url, timeout=REQUEST_TIMEOUT, trust_env=False) as client:
        for instance in list(load.refused):
            for _ in range(10):
                answer = client.post(SUBMIT, json=_body(instance), headers=load.headers)
                if load.note(answer):
                    load.acknowledged.add(instance)
                    load.refused.remove(instance)
                    load.resent[answer.status_code] += 1
                    break
                time.sleep(0.2)


@pytest.mark.skipif(
    not PG_URL,
    reason="PostgreSQL only (set MICROCASA_TEST_DATABASE_URL): SQLite has no connections to cut",
)
def test_terminated_postgres_connections_give_503_then_the_platform_recovers(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    publish(database)
    headers = bearer(database, "script@uni.example")
    database.dispose()
    name = "mc_fault_" + uuid.uuid4().hex[:12]  # only this server's connections are cut
    server_url = make_url(database_url).update_query_dict({"application_name": name})
    with PlatformServer(
        server_url.render_as_string(hide_password=False), tmp_path / "log"
    ) as server:
        load = Load(server, headers)
        terminated = run_async(asyncio.wait_for(_terminate_under_load(load, PG_URL, name), 120))
        # Recovery without a restart: the same server process answers at once.
        health = httpx.get(server.url + "/healthz", timeout=REQUEST_TIMEOUT, trust_env=False)
        after = str(uuid.uuid4())
        first = httpx.post(
            server.url + SUBMIT,
            json=_body(after),
            headers=headers,
            timeout=REQUEST_TIMEOUT,
            trust_env=False,
        )
        _resend(load)
        assert server.alive() and server.starts == 1
        log = server.log_tail()

    rows = _stored(database_url)
    five = {status: n for status, n in load.statuses.items() if status >= 500}
    print(  # noqa: T201 - the report, shown with -s
        f"\npostgres terminations: {terminated} connections terminated in {TERMINATIONS} rounds; "
        f"{sum(load.statuses.values())} requests, statuses {dict(sorted(load.statuses.items()))}; "
        f"{len(load.tried)} submissions tried, {len(load.acknowledged)} acknowledged, "
        f"{len(set(load.acknowledged) - set(rows))} lost, "
        f"{sum(n - 1 for n in rows.values())} duplicated, "
        f"{sum(n for s, n in five.items() if s != 503)} 5xx other than 503; "
        f"{sum(load.resent.values())} sent again after a 503, of which {load.resent[200]} "
        f"had been stored all the same (answered 200, one row)"
    )
    assert terminated > 0
    assert not load.wrong, (load.wrong[:10], log)
    assert health.status_code == 200
    assert first.status_code == 201, first.text
    assert load.refused == []
    assert set(rows) == {*load.tried, after}
    assert load.acknowledged == set(load.tried)
    assert max(rows.values()) == 1


# --- SQLite: a read-only or full disk -----------------------------------------------

SQLITE_ONLY = pytest.mark.skipif(
    bool(PG_URL), reason="SQLite only: its file system is the fault; PostgreSQL's are above"
)
STORAGE = "read-only or its disk is full"
FULL_TRIES = 400


def _prepare(database_url: str) -> tuple[dict[str, str], str]:
    """The bundled questionnaire open, a script's API token, and one invitation's token."""
    settings = make_settings(database_url)
    database = Database(settings)
    try:
        schema.upgrade(database)
        token = invite(database, settings)[0]
        return bearer(database, "script@uni.example"), token
    finally:
        database.dispose()


def _submit(client: httpx.Client, headers: dict[str, str], instance: str) -> httpx.Response:
    return client.post(SUBMIT, json=_body(instance), headers=headers)


def _assert_storage_refused(answer: httpx.Response) -> None:
    _assert_unavailable(answer)
    assert STORAGE in answer.json()["detail"]


def _assert_storage_page(page: httpx.Response) -> None:
    """What a respondent's browser shows: a page that says nothing was saved, and why."""
    assert page.status_code == 503, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Nothing could be saved just now" in page.text
    assert STORAGE in page.text.replace("&#39;", "'")


def _integrity(database_url: str) -> str:
    path = make_url(database_url).database
    assert path
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def _until_stored(client: httpx.Client, headers: dict[str, str], instance: str) -> list[int]:
    """Send a submission until it is stored (5 tries at most); the statuses answered."""
    statuses: list[int] = []
    while len(statuses) < 5 and 201 not in statuses:
        statuses.append(_submit(client, headers, instance).status_code)
    return statuses


def _http(server: PlatformServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT, trust_env=False)


@SQLITE_ONLY
def test_a_read_only_sqlite_database_gets_503_and_works_again_once_writable(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'microcasa.db'}"
        headers, invitation = _prepare(url)
        kept = [str(uuid.uuid4()) for _ in range(3)]
        refused = str(uuid.uuid4())
        with PlatformServer(url, tmp_path / "server.log") as server:
            with _http(server) as client:
                assert [_submit(client, headers, i).status_code for i in kept] == [201] * 3
            server.kill()  # a crash; the disk comes back read-only (as after an I/O error)
            remount(disk, "ro")
            try:
                server.start()  # it reads: the platform comes up and says what it cannot do
                with _http(server) as client:
                    _assert_storage_refused(_submit(client, headers, refused))
                    _assert_storage_page(client.get(f"/i/{invitation}"))
                    assert client.get("/api/forms", headers=headers).status_code == 200
                    assert _submit(client, headers, kept[0]).status_code == 200  # stored
            finally:
                remount(disk, "rw")
            with _http(server) as client:  # the same server process, no restart
                # Connections opened for reading while the disk was read-only go with
                # the first write that meets one: that write may be refused once more.
                statuses = _until_stored(client, headers, refused)
                assert statuses[-1] == 201 and set(statuses[:-1]) <= {503}, statuses
                assert len(statuses) <= 2, statuses
                assert _submit(client, headers, refused).status_code == 200
                assert client.get(f"/i/{invitation}").status_code == 303
            assert server.starts == 2
            server.stop()
            # Stopped cleanly the database has no WAL beside it; read-only, it cannot be
            # opened at all, and the command says so in one line instead of serving errors.
            remount(disk, "ro")
            try:
                with pytest.raises(ServerFailed) as failed:
                    server.start()
            finally:
                remount(disk, "rw")
        rows = _stored(url)
        integrity = _integrity(url)
    print(  # noqa: T201 - the report, shown with -s
        f"\nread-only: {len(kept) + 1} tried, {len(kept)} acknowledged before the fault, "
        f"1 refused with 503 while read-only, stored after the fix on try {len(statuses)} "
        f"({statuses}); {len({*kept, refused} - set(rows))} lost, "
        f"{sum(n - 1 for n in rows.values())} duplicated; integrity_check {integrity}"
    )
    assert rows == Counter({*kept, refused})
    assert integrity == "ok"
    log = str(failed.value)
    assert "microcasa: error: cannot reach the database sqlite:///" in log
    assert f"(the folder {disk} is read-only; SQLite writes beside the file)" in log
    assert "Traceback" not in log.split("--- start 3 ---")[-1]


@SQLITE_ONLY
def test_a_full_disk_gets_503_loses_nothing_and_works_again_once_space_is_freed(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'microcasa.db'}"
        headers, invitation = _prepare(url)
        acknowledged: list[str] = []
        refused: list[str] = []
        with PlatformServer(url, tmp_path / "server.log") as server, _http(server) as client:
            for _ in range(3):
                acknowledged.append(str(uuid.uuid4()))
                assert _submit(client, headers, acknowledged[-1]).status_code == 201
            filler = fill(disk)
            # The log may still have room for a few; then the disk is full for good.
            for _ in range(FULL_TRIES):
                instance = str(uuid.uuid4())
                answer = _submit(client, headers, instance)
                if answer.status_code == 201:
                    acknowledged.append(instance)
                    continue
                _assert_storage_refused(answer)
                refused.append(instance)
                break
            assert refused, f"no submission was refused in {FULL_TRIES} on a full disk"
            filled = len(acknowledged) - 3
            refused.append(str(uuid.uuid4()))
            _assert_storage_refused(_submit(client, headers, refused[-1]))
            _assert_storage_page(client.get(f"/i/{invitation}"))
            assert _submit(client, headers, acknowledged[0]).status_code == 200
            assert client.get("/api/forms", headers=headers).status_code == 200

            filler.unlink()  # space again: the same server takes the retry and new work
            assert _submit(client, headers, refused[0]).status_code == 201
            acknowledged.append(refused[0])
            acknowledged.append(str(uuid.uuid4()))
            assert _submit(client, headers, acknowledged[-1]).status_code == 201
            assert client.get(f"/i/{invitation}").status_code == 303
            assert server.starts == 1
            server.kill()
        rows = _stored(url)
        integrity = _integrity(url)
    print(  # noqa: T201 - the report, shown with -s
        f"\ndisk full: {len({*acknowledged, *refused})} tried, {len(acknowledged)} acknowledged "
        f"({filled} of them after the disk was filled), {len(refused)} refused with 503, "
        f"{len(set(acknowledged) - set(rows))} lost, {sum(n - 1 for n in rows.values())} "
        f"duplicated, {len(set(rows) - set(acknowledged))} stored unacknowledged; "
        f"integrity_check {integrity}"
    )
    assert rows == Counter(acknowledged), "each acknowledged submission once, nothing else"
    assert integrity == "ok"
