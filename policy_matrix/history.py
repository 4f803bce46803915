"""The append-only history of the matrix: changes, changes between dates, cells as of a date.

Only reads: rows are written by :func:`policy_matrix.service.apply_changes`, and
nothing in the platform updates or deletes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from policy_matrix.errors import MatrixError, MatrixProblem
from policy_matrix.models import PolicyChange
from policy_matrix.values import Cell


@dataclass(frozen=True)
class Change:
    """One row of a cell's history."""

    id: int
    jurisdiction: str
    dimension: str
    changed_at: datetime
    actor: str
    reason: str
    source: str
    change_set: str
    old: Cell | None
    new: Cell

    def changed_fields(self) -> tuple[str, ...]:
        """The parts of the cell that differ: status, value, as_of, notes, evidence."""
        before = (self.old or Cell()).snapshot()
        after = self.new.snapshot()
        return tuple(key for key in after if before.get(key) != after.get(key))


def change_of(row: PolicyChange) -> Change:
    assert row.id is not None
    return Change(
        id=row.id,
        jurisdiction=row.jurisdiction,
        dimension=row.dimension,
        changed_at=row.changed_at,
        actor=row.actor,
        reason=row.reason,
        source=row.source,
        change_set=row.change_set,
        old=Cell.from_snapshot(row.old) if row.old is not None else None,
        new=Cell.from_snapshot(row.new),
    )


def end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): history up to a date includes that whole day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def cells_as_of(session: Session, as_of: date) -> dict[tuple[str, str], Cell]:
    """Every cell as it stood at the end of ``as_of``: the newest change of each, up to then."""
    cells: dict[tuple[str, str], Cell] = {}
    rows = session.exec(
        select(PolicyChange)
        .where(col(PolicyChange.changed_at) < end_of(as_of))
        .order_by(col(PolicyChange.changed_at), col(PolicyChange.id))
    )
    for row in rows:  # later changes overwrite earlier ones
        cells[(row.jurisdiction, row.dimension)] = Cell.from_snapshot(row.new)
    return cells


def changes_between(session: Session, start: date, end: date) -> tuple[Change, ...]:
    """Every change recorded from the start of ``start`` to the end of ``end``, oldest first."""
    if start > end:
        raise MatrixProblem(MatrixError.DATE_ORDER, start=start, end=end)
    rows = session.exec(
        select(PolicyChange)
        .where(
            col(PolicyChange.changed_at) >= end_of(start - timedelta(days=1)),
            col(PolicyChange.changed_at) < end_of(end),
        )
        .order_by(col(PolicyChange.changed_at), col(PolicyChange.id))
    )
    return tuple(change_of(row) for row in rows)


def history_rows(session: Session) -> Iterable[PolicyChange]:
    """Every history row, oldest first (for the workbook's history sheet)."""
    return session.exec(
        select(PolicyChange).order_by(col(PolicyChange.changed_at), col(PolicyChange.id))
    )
