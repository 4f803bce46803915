"""Export jobs: written off the request thread, progress on disk, owner-only, purged."""

from __future__ import annotations

import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exports.jobs import KEEP, RUNNING_LIMIT, Job, JobRefused, Jobs, Progress


def _wait(jobs: Jobs, job: Job, owner: int = 1) -> Job:
    for _ in range(200):
        found = jobs.get(job.id, owner)
        if found.status != "running":
            return found
        time.sleep(0.02)
    raise AssertionError("the job did not finish")


def test_a_job_writes_its_file_reports_progress_and_is_taken_once(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path / "exports")
    release = threading.Event()
    seen: list[tuple[int, int]] = []

    def work(path: Path, progress: Progress) -> None:
        progress(5, 10)
        seen.append((5, 10))
        release.wait(5)
        path.write_bytes(b"a,b\n1,2\n")
        progress(10, 10)

    job = jobs.start(7, "data.csv", "text/csv", work)
    for _ in range(100):
        if seen:
            break
        time.sleep(0.01)
    running = jobs.get(job.id, 7)
    assert running.status == "running" and (running.done, running.total) == (5, 10)
    assert running.percent == 50
    with pytest.raises(JobRefused, match="not ready"):
        jobs.ready(job.id, 7)
    release.set()
    done = _wait(jobs, job, 7)
    assert done.status == "done" and done.percent == 100
    found, path = jobs.ready(job.id, 7)
    assert found.filename == "data.csv" and path.read_bytes() == b"a,b\n1,2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the owner's only
    jobs.forget(job.id)
    assert not path.exists()
    with pytest.raises(JobRefused):
        jobs.get(job.id, 7)


def test_nobody_else_sees_a_job_and_ids_are_checked(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    job = jobs.start(1, "x.csv", "text/csv", lambda path, progress: path.write_text("x"))
    _wait(jobs, job)
    with pytest.raises(JobRefused):
        jobs.get(job.id, 2)
    for bad in ("../../etc/passwd", "", "x" * 24 + "/", job.id[:-1]):
        with pytest.raises(JobRefused):
            jobs.get(bad, 1)


def test_a_failed_job_says_why_and_leaves_no_file(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)

    def work(path: Path, progress: Progress) -> None:
        path.write_text("half")
        raise ValueError("the questionnaire has no responses")

    failed = _wait(jobs, jobs.start(1, "x.csv", "text/csv", work))
    assert failed.status == "failed"
    assert failed.error == "ValueError: the questionnaire has no responses"
    assert list(tmp_path.glob("*.out")) == []


def test_at_most_two_jobs_write_at_once(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    release = threading.Event()
    started = [
        jobs.start(1, "x.csv", "text/csv", lambda path, progress: release.wait(5))
        for _ in range(RUNNING_LIMIT)
    ]
    with pytest.raises(JobRefused, match="already"):
        jobs.start(1, "x.csv", "text/csv", lambda path, progress: None)
    release.set()
    for job in started:
        _wait(jobs, job)
    jobs.start(1, "x.csv", "text/csv", lambda path, progress: None)  # room again


def test_old_jobs_are_purged_with_their_files(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path)
    job = _wait(jobs, jobs.start(1, "x.csv", "text/csv", lambda p, progress: p.write_text("x")))
    assert jobs.purge(datetime.now(UTC) + KEEP - timedelta(minutes=1)) == 0
    assert jobs.purge(datetime.now(UTC) + KEEP + timedelta(minutes=1)) == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(JobRefused):
        jobs.get(job.id, 1)
