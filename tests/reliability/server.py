"""The real platform as a subprocess, for tests that kill it, load it or cut off its database.

``microcasa serve`` runs in a process group of its own on a free loopback port,
with the database URL and settings given; ``start()`` returns once ``/healthz``
answers 200, ``kill()`` sends SIGKILL to the whole group, and leaving the
``with`` block always stops it, even when the test fails::

    with PlatformServer(database_url, tmp_path / "server.log") as server:
        httpx.get(server.url + "/healthz")
        server.kill()   # as a crash would: no shutdown, no flush
        server.start()  # the same port and database again

Settings are given as in the environment, without the prefix and in any case:
``{"log_level": "warning"}`` becomes ``MICROCASA_LOG_LEVEL=warning``. Nothing
else of the caller's ``MICROCASA_*`` environment reaches the server. The secret
key is the test fixtures' (``tests.conftest.TEST_SECRET``), so invitations made
through a ``settings`` fixture open on this server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from tests.conftest import TEST_SECRET

T = TypeVar("T")


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own.

    The test session may already run an event loop in the main thread (Playwright's
    sync API does, for the browser tests that run before these), and ``asyncio.run``
    refuses to start a second one there.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="reliability-loop") as pool:
        return pool.submit(asyncio.run, work).result()


LOOPBACK = "127.0.0.1"
MICROCASA = Path(sys.executable).parent / "microcasa"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class ServerFailed(Exception):
    """The server did not come up; the message carries the end of its log."""


def free_port() -> int:
    """A loopback port that nothing listens on at this moment."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def server_environment(database_url: str, settings: Mapping[str, str], port: int) -> dict[str, str]:
    """The environment of ``microcasa serve``: the caller's, minus its MICROCASA_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCASA_")}
    env |= {
        "MICROCASA_ENV": "test",
        "MICROCASA_SECRET_KEY": TEST_SECRET,  # the fixtures' key: their invitations work
        "MICROCASA_LOG_LEVEL": "warning",
        "MICROCASA_BASE_URL": f"http://{LOOPBACK}:{port}",
    }
    env |= {f"MICROCASA_{name.upper()}": value for name, value in settings.items()}
    env["MICROCASA_DATABASE_URL"] = database_url
    return env


class PlatformServer:
    """One ``microcasa serve`` subprocess; restartable on the same port and database."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        settings: Mapping[str, str] | None = None,
        workers: int = 1,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.settings = dict(settings or {})
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Start the server (migrating the database first) and wait until /healthz answers 200."""
        if self.alive():
            raise RuntimeError("the server is already running")
        argv = [str(MICROCASA), "serve", "--host", LOOPBACK, "--port", str(self.port)]
        argv += ["--workers", str(self.workers)]
        env = server_environment(self.database_url, self.settings, self.port)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                argv,
                env=env,
                cwd=self.log_path.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(base_url=self.url, trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServerFailed(f"the server exited at start-up:\n{self.log_tail()}")
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise ServerFailed(
            f"/healthz did not answer 200 in {self.startup_timeout:g} s:\n{self.log_tail()}"
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash or the OOM killer would."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the process group: SIGTERM, then SIGKILL if it has not ended in 10 s."""
        try:
            self._signal(signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group has ended already
            os.killpg(process.pid, signum)
        process.wait(timeout=STOP_TIMEOUT)
        # Whatever of the group outlived its leader (uvicorn's worker processes) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> PlatformServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
