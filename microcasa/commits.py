"""Group commit: concurrent writes of one process share a transaction and its flush to disk.

A durable commit waits for the disk (SQLite with ``synchronous=FULL`` syncs its
log on every commit; PostgreSQL flushes its WAL). When forty respondents submit
at once, forty commits one after another spend most of their time waiting for
the disk, and on SQLite the writers that queue behind the lock poll for it.

Here one writer thread per process takes every write that is waiting, runs each
in its own savepoint of one transaction, commits once, and only then tells each
caller its outcome. A write that fails rolls back to its savepoint and fails
alone; if the commit fails, or the connection is lost, every write of the batch
fails with it. So a caller that got a result knows its write is on disk, exactly
as with its own commit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

if TYPE_CHECKING:
    from microcasa.db import Database

T = TypeVar("T")

# Enough to empty the queue of a busy server in one transaction, small enough
# that one batch never holds the write lock for long.
MAX_BATCH = 64


@dataclass
class _Write:
    work: Callable[[Session], Any]
    outcome: Future[Any] = field(default_factory=Future)


class GroupCommit:
    """A writer thread that commits the writes waiting at the same moment together."""

    def __init__(self, database: Database, max_batch: int = MAX_BATCH) -> None:
        self._database = database
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in the next batch; return its result once it is committed.

        ``work`` runs on the writer thread inside a savepoint: it must return plain
        values (not objects bound to the session) and may raise to undo its writes.
        """
        write = _Write(work)
        with self._lock:
            if self._closed:
                raise RuntimeError("the database is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="microcasa-group-commit", daemon=True
                )
                self._thread.start()
            self._queue.put(write)
        result: T = write.outcome.result()
        return result

    def close(self) -> None:
        """Finish the writes already waiting, then stop the writer thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    write = self._queue.get_nowait()
                except queue.Empty:
                    break
                if write is None:
                    stop = True
                    break
                batch.append(write)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Write]) -> None:
        results: dict[int, Any] = {}
        failures: dict[int, BaseException] = {}
        try:
            with self._database.session(write=True) as session:
                for index, write in enumerate(batch):
                    try:
                        with session.begin_nested():
                            results[index] = write.work(session)
                    except DBAPIError as exc:
                        if exc.connection_invalidated:
                            raise  # the connection is gone, and the whole batch with it
                        failures[index] = exc
                    except Exception as exc:  # the caller gets it, as if it had run the write
                        failures[index] = exc
                session.commit()
        except Exception as exc:  # the commit failed: nothing of the batch is stored
            for index in range(len(batch)):
                failures.setdefault(index, exc)
            results.clear()
        for index, write in enumerate(batch):
            if index in failures:
                write.outcome.set_exception(failures[index])
            else:
                write.outcome.set_result(results[index])
