"""Exports that take a while, written off the request thread, with their progress on disk.

A job writes its file in a worker thread into the export folder, and keeps its state
(who asked, what, how far, done or failed) in a small JSON file beside it, so that
every server worker on the machine can answer "how far is it?" and hand the file
over. A file is readable by its owner only, deleted once downloaded, and purged
with its state after :data:`KEEP` (raw respondent data must not linger on disk).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

KEEP = timedelta(hours=1)
RUNNING_LIMIT = 2  # jobs writing at once per process: a large export is CPU-bound
_JOB_ID = 24  # characters of a job id (token_urlsafe of 18 bytes)

Progress = Callable[[int, int], None]  # (done, total)
Work = Callable[[Path, Progress], None]  # writes the file at the path, reports progress


class JobRefused(Exception):
    """A job cannot start (too many running) or cannot be found for this person."""


@dataclass(frozen=True)
class Job:
    id: str
    owner: int  # the account that asked; nobody else sees the job
    filename: str  # offered to the browser
    media_type: str
    status: str  # running | done | failed
    done: int = 0
    total: int = 0
    error: str = ""
    created_at: str = ""  # ISO 8601, UTC

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return 100 * self.done // self.total if self.total else 0


class Jobs:
    """The export jobs of one folder (shared by the server workers of one machine)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._running = threading.BoundedSemaphore(RUNNING_LIMIT)
        self._lock = threading.Lock()

    def _state(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def _file(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.out"

    def _save(self, job: Job) -> None:
        with self._lock:
            temporary = self.folder / f"{job.id}.json.tmp"
            temporary.write_text(json.dumps(asdict(job)), encoding="utf-8")
            os.replace(temporary, self._state(job.id))

    def start(self, owner: int, filename: str, media_type: str, work: Work) -> Job:
        """Start writing a file in a worker thread; the job as it starts."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.purge()
        if not self._running.acquire(blocking=False):
            raise JobRefused(
                "Two exports are being written already; try again when one has finished."
            )
        job = Job(
            id=secrets.token_urlsafe(18),
            owner=owner,
            filename=filename,
            media_type=media_type,
            status="running",
            created_at=datetime.now(UTC).isoformat(),
        )
        self._save(job)
        threading.Thread(target=self._run, args=(job, work), daemon=True).start()
        return job

    def _run(self, job: Job, work: Work) -> None:
        path = self._file(job.id)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = datetime.now(UTC).timestamp()
            if now - last[0] >= 0.5 or done >= total:  # at most twice a second
                last[0] = now
                self._save(replace(job, done=done, total=total))

        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(descriptor)  # owner-only before the first byte is written
            work(path, progress)
            self._save(replace(job, status="done", done=1, total=1))
        except Exception as exc:  # any failure is the job's outcome, in words
            path.unlink(missing_ok=True)
            self._save(replace(job, status="failed", error=f"{type(exc).__name__}: {exc}"[:300]))
        finally:
            self._running.release()

    def get(self, job_id: str, owner: int) -> Job:
        """The job, if it exists and is this person's; JobRefused otherwise."""
        if len(job_id) != _JOB_ID or not all(c.isalnum() or c in "-_" for c in job_id):
            raise JobRefused("There is no such export.")
        try:
            job = Job(**json.loads(self._state(job_id).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            raise JobRefused("There is no such export (it may have expired).") from None
        if job.owner != owner:
            raise JobRefused("There is no such export (it may have expired).")
        return job

    def ready(self, job_id: str, owner: int) -> tuple[Job, Path]:
        """The finished job and its file, to be streamed and then :meth:`forget`-ten."""
        job = self.get(job_id, owner)
        if job.status != "done":
            raise JobRefused("This export is not ready.")
        return job, self._file(job_id)

    def forget(self, job_id: str) -> None:
        """Delete a job's file and state (after its download)."""
        self._file(job_id).unlink(missing_ok=True)
        self._state(job_id).unlink(missing_ok=True)

    def purge(self, now: datetime | None = None) -> int:
        """Delete jobs older than KEEP, with their files; how many."""
        limit = (now or datetime.now(UTC)) - KEEP
        removed = 0
        for state in self.folder.glob("*.json"):
            try:
                created = datetime.fromisoformat(json.loads(state.read_text())["created_at"])
            except (OSError, ValueError, KeyError):
                created = datetime.fromtimestamp(state.stat().st_mtime, UTC)
            if created < limit:
                self._file(state.stem).unlink(missing_ok=True)
                state.unlink(missing_ok=True)
                removed += 1
        return removed
