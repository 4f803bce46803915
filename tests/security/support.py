"""What the attack tests share: a tally per area, and the checks of a stored and a shown payload.

Each area counts what it tried and what went wrong; conftest.py prints every area's line
("N tried, 0 lost, 0 leaked, 0 executed, 0 5xx") at the end of the run. A test collects
its findings first and asserts at the end, so the line counts the whole corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape
from sqlalchemy import func, select
from sqlmodel import SQLModel

from microcasa.db import Database

MARKUP = frozenset("<>\"'")  # what could open a tag or leave an attribute


@dataclass
class Tally:
    """What one area of attack tried, and every payload lost, leaked, executed or answered 5xx."""

    area: str
    tried: int = 0
    lost: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def answered(self, response: Any, what: str) -> int:
        """Count one attempt; note a 5xx answer. The status code."""
        self.tried += 1
        status: int = response.status_code
        if status >= 500:
            self.server_errors.append(f"{status} {what}: {response.text[:200]}")
        return status

    def kept(self, stored: object, expected: object, what: str) -> None:
        if stored != expected:
            self.lost.append(f"{what}: stored {stored!r}, sent {expected!r}")

    def shown(self, page: str, payload: str, what: str, *, present: bool = True) -> None:
        """The payload is on the page only escaped (and, when ``present``, it is there)."""
        if MARKUP & set(payload) and payload in page:
            self.leaked.append(f"{what}: {payload!r} unescaped")
        if present and str(escape(payload)) not in page:
            self.lost.append(f"{what}: {payload!r} not shown")

    def line(self) -> str:
        return (
            f"{self.area}: {self.tried} tried, {len(self.lost)} lost, {len(self.leaked)} leaked, "
            f"{len(self.executed)} executed, {len(self.server_errors)} 5xx"
        )

    def assert_clean(self) -> None:
        problems = self.lost + self.leaked + self.executed + self.server_errors
        assert not problems, self.line() + "\n" + "\n".join(problems[:40])


TALLIES: dict[str, Tally] = {}


def tally(area: str) -> Tally:
    """The tally of an area, created on first use (areas span tests)."""
    return TALLIES.setdefault(area, Tally(area))


def row_counts(database: Database) -> dict[str, int]:
    """How many rows every table holds."""
    with database.session() as session:
        return {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in SQLModel.metadata.tables.items()
        }
