"""JSON API of the policy matrix: the matrix (also as of a date), one cell with its history,
changes between dates, the indicators, and updates of a cell."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel, Field

from microcasa.auth.guards import current_identity
from microcasa.auth.roles import Role, allow
from microcasa.db import utcnow
from microcasa.deps import DbSession
from policy_matrix import history, indicators, service
from policy_matrix.catalogue import CATALOGUE_VERSION, Dimension, Jurisdiction
from policy_matrix.errors import EntryInvalid, MatrixError
from policy_matrix.values import Cell

READERS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR, Role.ORGANISER)
EDITORS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR)


class EvidenceOut(BaseModel):
    title: str
    url: str
    instrument_id: str
    issuer: str
    date_adopted: str
    date_accessed: str
    excerpt: str
    evidence_type: str
    confidence: str


class EntryOut(BaseModel):
    jurisdiction: str
    dimension: str
    status: str
    value: dict[str, Any] | None
    as_of: str | None
    notes: str
    evidence: list[EvidenceOut]


class JurisdictionOut(BaseModel):
    code: str
    name: str
    kind: str = Field(description="country, or reference (EU Council Recommendation, ASEAN/AQRF)")
    region: str | None


class FieldOut(BaseModel):
    name: str
    type: str
    label: str
    choices: list[str]
    unit: str
    computed: bool


class DimensionOut(BaseModel):
    id: str
    label: str
    description: str
    theme: str
    value_type: str
    fields: list[FieldOut]
    eu_reference: str | None
    eu_expected: dict[str, Any] | None


class MatrixOut(BaseModel):
    as_of: date | None = Field(description="null: the matrix now")
    catalogue_version: str
    jurisdictions: list[JurisdictionOut]
    dimensions: list[DimensionOut]
    entries: list[EntryOut]


class ChangeOut(BaseModel):
    id: int
    jurisdiction: str
    dimension: str
    changed_at: datetime
    actor: str
    reason: str
    source: str
    change_set: str
    changed: list[str] = Field(description="parts of the cell that changed")
    old: EntryOut | None
    new: EntryOut


class CellOut(EntryOut):
    revision: int = Field(description="send it back in a PUT to refuse edits on an older copy")
    history: list[ChangeOut] = Field(description="newest first")


class IndicatorOut(BaseModel):
    jurisdiction: str
    name: str
    region: str | None
    maturity: int | None
    maturity_mean: float | None
    maturity_rule: str
    coverage_mandatory_pct: float | None
    coverage_optional_pct: float | None
    coverage_note: str
    gaps: list[str]


class CellIn(BaseModel):
    """A cell's new content, replacing the whole cell; checked against the dimension."""

    status: Any = Field(default=None, description="none … implemented, not_applicable, unknown")
    value: Any = Field(default=None, description="an object of the dimension's fields")
    as_of: Any = Field(default=None, description="YYYY-MM-DD: the date the content describes")
    notes: Any = None
    evidence: Any = Field(default=None, description="a list of sources (title, url, …)")
    reason: Any = Field(default=None, description="why the change is made; required")
    revision: Any = Field(default=None, description="the revision you read; refused if outdated")


def _entry(code: str, dimension: str, cell: Cell) -> EntryOut:
    data = cell.snapshot()
    return EntryOut(
        jurisdiction=code,
        dimension=dimension,
        status=data["status"],
        value=data["value"],
        as_of=data["as_of"],
        notes=data["notes"],
        evidence=[EvidenceOut(**e) for e in data["evidence"]],
    )


def _jurisdiction(j: Jurisdiction) -> JurisdictionOut:
    return JurisdictionOut(code=j.code, name=j.name, kind=j.kind, region=j.region)


def _dimension(d: Dimension) -> DimensionOut:
    return DimensionOut(
        id=d.id,
        label=d.label,
        description=d.description,
        theme=d.theme,
        value_type=d.value_type,
        fields=[
            FieldOut(
                name=f.name,
                type=f.type,
                label=f.label,
                choices=list(f.choices),
                unit=f.unit,
                computed=f.computed,
            )
            for f in d.fields.values()
        ],
        eu_reference=d.eu_reference,
        eu_expected=dict(d.eu_expected) if d.eu_expected is not None else None,
    )


def _change(change: history.Change) -> ChangeOut:
    return ChangeOut(
        id=change.id,
        jurisdiction=change.jurisdiction,
        dimension=change.dimension,
        changed_at=change.changed_at,
        actor=change.actor,
        reason=change.reason,
        source=change.source,
        change_set=change.change_set,
        changed=list(change.changed_fields()),
        old=_entry(change.jurisdiction, change.dimension, change.old) if change.old else None,
        new=_entry(change.jurisdiction, change.dimension, change.new),
    )


def _cell(view: service.CellView) -> CellOut:
    entry = _entry(view.jurisdiction.code, view.dimension.id, view.cell)
    return CellOut(
        **entry.model_dump(),
        revision=view.revision,
        history=[_change(change) for change in view.history],
    )


def _day(value: str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise EntryInvalid({name: [MatrixError.DATE.value]}) from None


class PolicyApi(Controller):
    path = "/api/policy"
    tags = ("policy matrix",)
    opt = READERS

    @get("/matrix", operation_id="getPolicyMatrix", sync_to_thread=True)
    def matrix(self, db: DbSession, as_of: FromQuery[str | None] = None) -> MatrixOut:
        """Jurisdictions, dimensions and every entry; `?as_of=YYYY-MM-DD` gives the matrix
        as it stood at the end of that day (UTC), from the history."""
        day = _day(as_of, "as_of")
        found = service.matrix(db, day)
        return MatrixOut(
            as_of=day,
            catalogue_version=CATALOGUE_VERSION,
            jurisdictions=[_jurisdiction(j) for j in found.jurisdictions],
            dimensions=[_dimension(d) for d in found.catalogue.dimensions],
            entries=[
                _entry(code, dimension, cell)
                for (code, dimension), cell in sorted(found.cells.items())
            ],
        )

    @get("/changes", operation_id="listPolicyChanges", sync_to_thread=True)
    def changes(
        self,
        db: DbSession,
        start: Annotated[str | None, QueryParameter(name="from")] = None,
        end: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> list[ChangeOut]:
        """What changed from the start of `from` to the end of `to` (YYYY-MM-DD, UTC),
        oldest first; by default the 30 days up to today."""
        last = _day(end, "to") or utcnow().date()
        first = _day(start, "from") or last - timedelta(days=30)
        return [_change(change) for change in history.changes_between(db, first, last)]

    @get("/indicators", operation_id="getPolicyIndicators", sync_to_thread=True)
    def indicators(self, db: DbSession, as_of: FromQuery[str | None] = None) -> list[IndicatorOut]:
        """Per country: maturity 0–4 (with its rule), EU standard-element coverage, gaps."""
        found = service.matrix(db, _day(as_of, "as_of"))
        return [
            IndicatorOut(
                jurisdiction=row.jurisdiction,
                name=row.name,
                region=row.region,
                maturity=row.maturity.score,
                maturity_mean=row.maturity.mean,
                maturity_rule=indicators.MATURITY_RULE,
                coverage_mandatory_pct=row.coverage.mandatory_pct,
                coverage_optional_pct=row.coverage.optional_pct,
                coverage_note=row.coverage.reason,
                gaps=[gap.words for gap in row.gaps],
            )
            for row in indicators.summary(found)
        ]

    @get("/{code:str}/{dimension:str}", operation_id="getPolicyCell", sync_to_thread=True)
    def cell(self, code: FromPath[str], dimension: FromPath[str], db: DbSession) -> CellOut:
        """One cell with its history, newest change first."""
        return _cell(service.cell_view(db, code, dimension))

    @put(
        "/{code:str}/{dimension:str}",
        operation_id="updatePolicyCell",
        opt=EDITORS,
        sync_to_thread=True,
    )
    def update(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        dimension: FromPath[str],
        data: JSONBody[CellIn],
        db: DbSession,
    ) -> CellOut:
        """Replace one cell's content; a reason is required and kept in the history.

        Coordinators change their own country's cells only. Send the `revision` you
        read to have an edit made on an outdated copy refused (409). Unchanged
        content writes nothing and answers the cell as it is.
        """
        identity = current_identity(request)
        assert identity is not None
        revision = data.revision
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise EntryInvalid({"revision": ["Give the revision as a whole number."]})
        reason = data.reason if isinstance(data.reason, str) else ""
        fields = data.model_dump(exclude={"reason", "revision"})
        service.update_cell(
            db,
            service.Actor.of(identity),
            code,
            dimension,
            fields,
            reason,
            source="api",
            revision=revision,
        )
        db.commit()
        return _cell(service.cell_view(db, code, dimension))


route_handlers = [PolicyApi]
