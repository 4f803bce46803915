"""The plan an import applies: the cells a checked workbook changes, part by part.

:func:`policy_matrix.workbook_import.read_workbook` makes an :class:`ImportPlan`;
the preview page carries it as :meth:`ImportPlan.payload` and
:func:`plan_from_payload` makes it again; :func:`apply_plan` writes it as one
change set, checking every cell again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from policy_matrix import history, service
from policy_matrix.catalogue import Dimension
from policy_matrix.models import PolicyEntry
from policy_matrix.values import EVIDENCE_FIELDS, Cell, Evidence
from policy_matrix.workbook_layout import part_value, parts_of, text_of

IMPORT_SOURCE = "import"


@dataclass(frozen=True)
class Difference:
    """One part of a cell that an import changes, as the workbook shows it."""

    part: str  # status, as_of, notes, value.<field>, evidence[n], evidence[n].<field>
    old: str
    new: str


def _source_text(evidence: Evidence | None) -> str:
    if evidence is None:
        return ""
    return f"{evidence.title} <{evidence.url}>" if evidence.url else evidence.title


def differences(dimension: Dimension, old: Cell, new: Cell) -> tuple[Difference, ...]:
    """Every part that differs between two contents of a cell, in workbook order."""
    found = [
        Difference(part, text_of(before), text_of(after))
        for part in parts_of(dimension)
        if (before := part_value(dimension, old, part))
        != (after := part_value(dimension, new, part))
    ]
    for index in range(max(len(old.evidence), len(new.evidence))):
        was = old.evidence[index] if index < len(old.evidence) else None
        becomes = new.evidence[index] if index < len(new.evidence) else None
        if was is None or becomes is None:
            found.append(
                Difference(f"evidence[{index + 1}]", _source_text(was), _source_text(becomes))
            )
            continue
        found.extend(
            Difference(f"evidence[{index + 1}].{name}", getattr(was, name), getattr(becomes, name))
            for name in EVIDENCE_FIELDS
            if getattr(was, name) != getattr(becomes, name)
        )
    return tuple(found)


@dataclass(frozen=True)
class PlannedChange:
    """One cell an import changes: as it is, as it will be, and the parts that differ."""

    jurisdiction: str
    dimension: str
    old: Cell
    new: Cell
    revision: int  # the cell's revision when the workbook was read (0: never written)
    differences: tuple[Difference, ...]

    @classmethod
    def of(
        cls, jurisdiction: str, dimension: Dimension, old: Cell, new: Cell, revision: int
    ) -> PlannedChange:
        return cls(jurisdiction, dimension.id, old, new, revision, differences(dimension, old, new))

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(d.part for d in self.differences)


@dataclass(frozen=True)
class ImportPlan:
    """The cells a checked workbook changes; unchanged cells are not listed."""

    changes: tuple[PlannedChange, ...]
    cells_read: int = 0  # cells the workbook gave, changed or not

    def payload(self) -> dict[str, Any]:
        """The plan as JSON: each changed cell's new content and the revision it replaces."""
        cells = [
            {
                "jurisdiction": c.jurisdiction,
                "dimension": c.dimension,
                "revision": c.revision,
                "new": c.new.snapshot(),
            }
            for c in self.changes
        ]
        return {"cells_read": self.cells_read, "cells": cells}


def revisions(session: Session) -> dict[tuple[str, str], int]:
    """Each written cell's revision: an apply refuses cells changed since the plan was made."""
    rows = session.exec(
        select(PolicyEntry.jurisdiction, PolicyEntry.dimension, PolicyEntry.revision)
    )
    return {(code, dimension): revision for code, dimension, revision in rows}


def plan_from_payload(session: Session, payload: Mapping[str, Any]) -> ImportPlan:
    """A plan again from :meth:`ImportPlan.payload`, against the matrix as it is now."""
    current = service.matrix(session)
    changes = []
    for item in payload["cells"]:
        code = service.get_jurisdiction(session, str(item["jurisdiction"])).code
        dimension = service.dimension_of(str(item["dimension"]))
        new = Cell.from_snapshot(item["new"])
        revision = item["revision"]
        if not isinstance(revision, int):
            raise ValueError("revision")
        changes.append(
            PlannedChange.of(code, dimension, current.cell(code, dimension.id), new, revision)
        )
    return ImportPlan(tuple(changes), int(payload["cells_read"]))


def apply_plan(
    session: Session,
    actor: service.Actor,
    plan: ImportPlan,
    reason: str,
    today: date | None = None,
) -> tuple[history.Change, ...]:
    """Write the plan as one change set with source "import" (every cell is checked again)."""
    edits = [
        service.Edit(c.jurisdiction, c.dimension, c.new.snapshot(), c.revision)
        for c in plan.changes
    ]
    return service.apply_changes(session, actor, edits, reason, IMPORT_SOURCE, today)
