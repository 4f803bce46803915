"""The matrix: read it (now or as of a date), change cells with history, load the bundled data.

Every change goes through :func:`apply_changes`: it checks who may edit the cell,
checks the new content against the dimension, and appends one history row per
changed cell, all in the caller's transaction. Nothing here updates or deletes
history.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import pycountry
from sqlmodel import Session, col, select

from microcasa.auth.roles import Role
from microcasa.db import utcnow
from policy_matrix.catalogue import (
    CATALOGUE_VERSION,
    Catalogue,
    Dimension,
    Jurisdiction,
    bundled_entries,
    bundled_jurisdictions,
    catalogue,
)
from policy_matrix.errors import (
    EntryInvalid,
    MatrixConflict,
    MatrixError,
    MatrixForbidden,
    MatrixNotFound,
    MatrixProblem,
)
from policy_matrix.history import Change, cells_as_of, change_of, end_of
from policy_matrix.models import PolicyChange, PolicyEntry, PolicyJurisdiction
from policy_matrix.values import Cell, check_cell

BUNDLED_ACTOR = "microcasa (bundled research data)"
REGIONS = ("ASEAN", "EU/EHEA", "other")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # what check_cell refuses in text


@dataclass(frozen=True)
class Actor:
    """Who changes the matrix: enough for the rules and the history."""

    id: int | None
    name: str
    role: Role
    country: str | None = None

    @classmethod
    def of(cls, identity: Any) -> Actor:
        """From an auth Identity (id, email, role, country)."""
        return cls(identity.id, identity.email, identity.role, identity.country)


BUNDLED = Actor(None, BUNDLED_ACTOR, Role.ADMIN)


@dataclass(frozen=True)
class Matrix:
    """The matrix at one moment: jurisdictions in column order and every cell."""

    catalogue: Catalogue
    jurisdictions: tuple[Jurisdiction, ...]
    cells: Mapping[tuple[str, str], Cell]  # (jurisdiction, dimension) -> Cell
    as_of: date | None  # None: as it is now

    def cell(self, jurisdiction: str, dimension: str) -> Cell:
        return self.cells.get((jurisdiction, dimension), Cell())

    def jurisdiction(self, code: str) -> Jurisdiction:
        for jurisdiction in self.jurisdictions:
            if jurisdiction.code == code:
                return jurisdiction
        raise MatrixNotFound(MatrixError.JURISDICTION_UNKNOWN, code=code[:20])

    @property
    def countries(self) -> tuple[Jurisdiction, ...]:
        return tuple(j for j in self.jurisdictions if not j.is_reference)


@dataclass(frozen=True)
class Edit:
    """A requested new content for one cell (raw fields, checked by apply_changes)."""

    jurisdiction: str
    dimension: str
    fields: Mapping[str, Any]
    revision: int | None = None  # the cell's revision the editor saw; None: do not check


def _jurisdiction(row: PolicyJurisdiction) -> Jurisdiction:
    return Jurisdiction(code=row.code, name=row.name, kind=row.kind, region=row.region)


def jurisdictions(session: Session, as_of: date | None = None) -> tuple[Jurisdiction, ...]:
    """Countries first (in their order), then the reference rows."""
    statement = select(PolicyJurisdiction).order_by(
        col(PolicyJurisdiction.kind), col(PolicyJurisdiction.position), col(PolicyJurisdiction.code)
    )
    if as_of is not None:
        statement = statement.where(col(PolicyJurisdiction.created_at) < end_of(as_of))
    return tuple(_jurisdiction(row) for row in session.exec(statement))


def matrix(session: Session, as_of: date | None = None) -> Matrix:
    """The matrix now, or as it stood at the end of ``as_of`` (from the history)."""
    found = jurisdictions(session, as_of)
    if as_of is None:
        cells = {
            (e.jurisdiction, e.dimension): _cell_of(e) for e in session.exec(select(PolicyEntry))
        }
    else:
        cells = cells_as_of(session, as_of)
    return Matrix(catalogue(), found, MappingProxyType(cells), as_of)


def _cell_of(entry: PolicyEntry) -> Cell:
    return Cell.from_snapshot(
        {
            "status": entry.status,
            "value": entry.value,
            "as_of": entry.as_of.isoformat() if entry.as_of else None,
            "notes": entry.notes,
            "evidence": entry.evidence,
        }
    )


def dimension_of(dimension_id: str) -> Dimension:
    found = catalogue().get(dimension_id.upper())
    if found is None:
        raise MatrixNotFound(MatrixError.DIMENSION_UNKNOWN, dimension=dimension_id[:20])
    return found


def get_jurisdiction(session: Session, code: str) -> Jurisdiction:
    row = session.get(PolicyJurisdiction, code.upper()[:8])
    if row is None:
        raise MatrixNotFound(MatrixError.JURISDICTION_UNKNOWN, code=code[:20])
    return _jurisdiction(row)


@dataclass(frozen=True)
class CellView:
    jurisdiction: Jurisdiction
    dimension: Dimension
    cell: Cell
    revision: int  # 0 when the cell was never written
    history: tuple[Change, ...]  # newest first


def cell_view(session: Session, code: str, dimension_id: str) -> CellView:
    """One cell with its history, newest change first."""
    jurisdiction = get_jurisdiction(session, code)
    dimension = dimension_of(dimension_id)
    entry = _entry(session, jurisdiction.code, dimension.id)
    rows = session.exec(
        select(PolicyChange)
        .where(
            PolicyChange.jurisdiction == jurisdiction.code,
            PolicyChange.dimension == dimension.id,
        )
        .order_by(col(PolicyChange.changed_at).desc(), col(PolicyChange.id).desc())
    )
    return CellView(
        jurisdiction,
        dimension,
        _cell_of(entry) if entry else Cell(),
        entry.revision if entry else 0,
        tuple(change_of(row) for row in rows),
    )


def may_edit(actor: Actor, jurisdiction: Jurisdiction) -> bool:
    if actor.role in (Role.ADMIN, Role.RESEARCHER):
        return True
    return (
        actor.role is Role.COORDINATOR
        and not jurisdiction.is_reference
        and actor.country == jurisdiction.code
    )


def ensure_may_edit(actor: Actor, jurisdiction: Jurisdiction) -> None:
    if may_edit(actor, jurisdiction):
        return
    if actor.role is not Role.COORDINATOR:
        raise MatrixForbidden(MatrixError.NOT_EDITOR)
    if jurisdiction.is_reference:
        raise MatrixForbidden(MatrixError.REFERENCE_ROW, code=jurisdiction.code)
    raise MatrixForbidden(MatrixError.OTHER_COUNTRY, own=actor.country, code=jurisdiction.code)


def _entry(
    session: Session, code: str, dimension_id: str, lock: bool = False
) -> PolicyEntry | None:
    statement = select(PolicyEntry).where(
        PolicyEntry.jurisdiction == code, PolicyEntry.dimension == dimension_id
    )
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).first()


@dataclass(frozen=True)
class Checked:
    """An edit that passed every check, with the cell as it is and as it will be."""

    jurisdiction: Jurisdiction
    dimension: Dimension
    old: Cell | None
    new: Cell

    @property
    def changed(self) -> bool:
        return self.old is None or self.old.snapshot() != self.new.snapshot()


def check_edits(
    session: Session, actor: Actor, edits: Sequence[Edit], today: date | None = None
) -> tuple[Checked, ...]:
    """Check every edit (scope, dimension, values, revision) without writing anything.

    Raises the first scope or lookup problem, or EntryInvalid with the errors of
    every edit (keys prefixed ``JURISDICTION/DIMENSION`` when there are several).
    """
    checked: list[Checked] = []
    errors: dict[str, list[str]] = {}
    for edit in edits:
        jurisdiction = get_jurisdiction(session, edit.jurisdiction)
        dimension = dimension_of(edit.dimension)
        if dimension.computed:
            raise MatrixProblem(MatrixError.COMPUTED, dimension=dimension.id)
        ensure_may_edit(actor, jurisdiction)
        entry = _entry(session, jurisdiction.code, dimension.id)
        if edit.revision is not None and edit.revision != (entry.revision if entry else 0):
            raise MatrixConflict(MatrixError.STALE, code=jurisdiction.code, dimension=dimension.id)
        try:
            cell = check_cell(dimension, edit.fields, today)
        except EntryInvalid as exc:
            prefix = f"{jurisdiction.code}/{dimension.id} " if len(edits) > 1 else ""
            for place, messages in exc.errors.items():
                errors.setdefault(prefix + place, []).extend(messages)
            continue
        checked.append(Checked(jurisdiction, dimension, _cell_of(entry) if entry else None, cell))
    if errors:
        raise EntryInvalid(errors)
    return tuple(checked)


def apply_changes(
    session: Session,
    actor: Actor,
    edits: Sequence[Edit],
    reason: str,
    source: str,
    today: date | None = None,
) -> tuple[Change, ...]:
    """Check, then write every changed cell with one history row each (one change set).

    Unchanged cells are left alone and get no history. Returns the changes written.
    """
    reason = (reason or "").strip()
    if not reason:
        raise EntryInvalid({"reason": [MatrixError.REASON_MISSING.value]})
    if len(reason) > 1000:
        raise EntryInvalid({"reason": ["Keep the reason to 1000 characters."]})
    if _CONTROL.search(reason):  # PostgreSQL cannot even store a NUL
        raise EntryInvalid({"reason": [MatrixError.TEXT.format(limit=1000)]})
    checked = check_edits(session, actor, edits, today)
    change_set = str(uuid.uuid4())
    now = utcnow()
    written: list[Change] = []
    for edit, item in zip(edits, checked, strict=True):
        entry = _entry(session, item.jurisdiction.code, item.dimension.id, lock=True)
        if edit.revision is not None and edit.revision != (entry.revision if entry else 0):
            # Another edit was committed since the check: compare again under the row lock.
            raise MatrixConflict(
                MatrixError.STALE, code=item.jurisdiction.code, dimension=item.dimension.id
            )
        old = _cell_of(entry) if entry else None
        if old is not None and old.snapshot() == item.new.snapshot():
            continue
        snapshot = item.new.snapshot()
        if entry is None:
            entry = PolicyEntry(
                jurisdiction=item.jurisdiction.code, dimension=item.dimension.id, revision=0
            )
        entry.status = snapshot["status"]
        entry.value = snapshot["value"]
        entry.as_of = date.fromisoformat(snapshot["as_of"]) if snapshot["as_of"] else None
        entry.notes = snapshot["notes"]
        entry.evidence = snapshot["evidence"]
        entry.revision += 1
        entry.updated_at = now
        entry.updated_by = actor.name
        session.add(entry)
        row = PolicyChange(
            jurisdiction=item.jurisdiction.code,
            dimension=item.dimension.id,
            changed_at=now,
            actor_id=actor.id,
            actor=actor.name,
            reason=reason,
            source=source,
            change_set=change_set,
            old=old.snapshot() if old is not None else None,
            new=snapshot,
        )
        session.add(row)
        session.flush()
        written.append(change_of(row))
    return tuple(written)


def update_cell(
    session: Session,
    actor: Actor,
    code: str,
    dimension_id: str,
    fields: Mapping[str, Any],
    reason: str,
    *,
    source: str = "web",
    revision: int | None = None,
) -> Change | None:
    """Change one cell; None when the new content equals the old (nothing written)."""
    written = apply_changes(
        session, actor, [Edit(code, dimension_id, fields, revision)], reason, source
    )
    return written[0] if written else None


def add_jurisdiction(
    session: Session, actor: Actor, code: str, name: str = "", region: str = "other"
) -> Jurisdiction:
    """A new country of the study (ISO 3166-1 alpha-2); researchers and admins only."""
    if actor.role not in (Role.ADMIN, Role.RESEARCHER):
        raise MatrixForbidden(MatrixError.ADD_COUNTRY)
    clean = code.strip().upper()
    country = pycountry.countries.get(alpha_2=clean) if len(clean) == 2 else None
    errors: dict[str, list[str]] = {}
    if country is None:
        errors["code"] = ["Give the two-letter ISO 3166-1 code of the country, e.g. TH."]
    if region not in REGIONS:
        errors["region"] = [f"Use one of: {', '.join(REGIONS)}."]
    if _CONTROL.search(name):  # as every matrix text; PostgreSQL cannot even store a NUL
        errors["name"] = [MatrixError.TEXT.format(limit=200)]
    if errors:
        raise EntryInvalid(errors)
    assert country is not None
    if session.get(PolicyJurisdiction, clean) is not None:
        raise MatrixConflict(MatrixError.JURISDICTION_EXISTS, code=clean)
    row = PolicyJurisdiction(
        code=clean, name=(name.strip() or country.name)[:200], kind="country", region=region
    )
    session.add(row)
    session.flush()
    return _jurisdiction(row)


@dataclass(frozen=True)
class Loaded:
    jurisdictions: int  # created now
    cells: int  # written now


def load_bundled(session: Session) -> Loaded:
    """The bundled jurisdictions and their researched cells; what exists is left alone."""
    created = 0
    for position, jurisdiction in enumerate(bundled_jurisdictions()):
        if session.get(PolicyJurisdiction, jurisdiction.code) is None:
            session.add(
                PolicyJurisdiction(
                    code=jurisdiction.code,
                    name=jurisdiction.name,
                    kind=jurisdiction.kind,
                    region=jurisdiction.region,
                    position=position,
                )
            )
            created += 1
    session.flush()
    existing = {
        (j, d) for j, d in session.exec(select(PolicyEntry.jurisdiction, PolicyEntry.dimension))
    }
    edits = [
        Edit(jurisdiction.code, entry["dimension"], entry)
        for jurisdiction in bundled_jurisdictions()
        for entry in bundled_entries(jurisdiction.code)
        if (jurisdiction.code, entry["dimension"]) not in existing
        and not dimension_of(entry["dimension"]).computed
    ]
    written = apply_changes(
        session,
        BUNDLED,
        edits,
        f"Bundled research data (catalogue {CATALOGUE_VERSION})",
        "bundled",
    )
    return Loaded(created, len(written))
