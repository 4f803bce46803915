"""Indicators derived from the matrix: maturity, Annex I coverage, gaps, and comparisons.

Pure functions over a :class:`~policy_matrix.service.Matrix`: they read its
cells and the catalogue and never touch the database, so the pages, the API and
the exports compute the same numbers from the same matrix (now or as of a date).
The rules are stated in ``docs/policy-matrix.md``; keep them in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from policy_matrix.catalogue import Dimension, Jurisdiction, Status
from policy_matrix.errors import MatrixError, MatrixNotFound
from policy_matrix.service import Matrix
from policy_matrix.values import Cell

MATURITY_DIMENSIONS = ("PM01", "PM12", "PM13", "PM16", "PM20")
MATURITY_MIN_KNOWN = 3
MATURITY_RULE = (
    "Maturity (0–4) is the mean of the status ranks (none 0, under discussion 1, draft 2, "
    "adopted 3, implemented 4) of PM01 definition, PM12 internal QA, PM13 external QA, "
    "PM16 recognition of prior learning and PM20 digital infrastructure, rounded half up. "
    "It is given only when at least 3 of the 5 are known; unknown and not applicable have "
    "no rank."
)

COVERAGE_DIMENSION = "PM10"
MANDATORY = tuple(f"m{n}" for n in range(1, 12))
OPTIONAL = tuple(f"o{n}" for n in range(1, 6))

REFERENCE = "EU"  # the row every comparison shows beside the chosen jurisdictions
ADOPTED_RANK = 3
_SHORTFALL = {
    0: "no national rule on {topic}",
    1: "{topic}: only under discussion",
    2: "{topic}: only a draft",
}


@dataclass(frozen=True)
class Coverage:
    """How many Annex I elements the PM10 cell of one jurisdiction provides for."""

    jurisdiction: str
    mandatory_provided: int
    optional_provided: int
    blank: int  # elements of the 16 the cell does not state (counted as not provided)
    computed: bool
    reason: str  # why not computed; "" when computed
    missing_mandatory: tuple[str, ...]  # catalogue labels, in Annex I order

    @property
    def mandatory_pct(self) -> float | None:
        """Share of the 11 mandatory elements provided for, in percent."""
        return 100 * self.mandatory_provided / len(MANDATORY) if self.computed else None

    @property
    def optional_pct(self) -> float | None:
        """Share of the 5 optional elements provided for, in percent."""
        return 100 * self.optional_provided / len(OPTIONAL) if self.computed else None


@dataclass(frozen=True)
class Maturity:
    """The 0–4 maturity of one jurisdiction and the five cells it rests on."""

    jurisdiction: str
    score: int | None
    mean: float | None
    parts: tuple[tuple[str, str, int | None], ...]  # (dimension id, cell status, rank)
    known: int


@dataclass(frozen=True)
class Gap:
    """One place where a country falls short of, or differs from, the EU reference."""

    jurisdiction: str
    dimension: str
    kind: str  # "missing", "elements" or "differs"
    words: str  # a sentence fragment to paste into a report


@dataclass(frozen=True)
class IndicatorRow:
    jurisdiction: str
    name: str
    region: str | None
    maturity: Maturity
    coverage: Coverage
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class ComparisonRow:
    dimension: Dimension
    cells: tuple[Cell, ...]  # one per chosen jurisdiction, in their order
    reference: Cell  # the EU reference row's cell
    differs: bool  # the chosen jurisdictions do not all hold the same status and value


@dataclass(frozen=True)
class Comparison:
    jurisdictions: tuple[Jurisdiction, ...]
    rows: tuple[ComparisonRow, ...]  # every dimension, catalogue order
    indicators: tuple[IndicatorRow, ...]  # the chosen jurisdictions that are countries


def maturity(matrix: Matrix, code: str) -> Maturity:
    """The maturity score of one jurisdiction (see MATURITY_RULE)."""
    jurisdiction = matrix.jurisdiction(code).code
    cells = [(dimension, matrix.cell(jurisdiction, dimension)) for dimension in MATURITY_DIMENSIONS]
    parts = tuple((dimension, cell.status, cell.rank) for dimension, cell in cells)
    ranks = [rank for _, _, rank in parts if rank is not None]
    if len(ranks) < MATURITY_MIN_KNOWN:
        return Maturity(jurisdiction, None, None, parts, len(ranks))
    mean = Decimal(sum(ranks)) / Decimal(len(ranks))
    score = int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Maturity(jurisdiction, score, float(mean), parts, len(ranks))


def coverage(matrix: Matrix, code: str) -> Coverage:
    """Annex I coverage from the PM10 booleans of one jurisdiction."""
    jurisdiction = matrix.jurisdiction(code).code
    cell = matrix.cell(jurisdiction, COVERAGE_DIMENSION)
    fields = matrix.catalogue.dimension(COVERAGE_DIMENSION).fields
    value: Mapping[str, Any] = cell.value or {}
    stated = [name for name in (*MANDATORY, *OPTIONAL) if isinstance(value.get(name), bool)]
    provided = {name for name in stated if value[name] is True}
    missing = tuple(fields[name].label for name in MANDATORY if name not in provided)
    reason = ""
    if cell.status in (Status.UNKNOWN, Status.NOT_APPLICABLE):
        reason = f"{COVERAGE_DIMENSION} is {Status(cell.status).label}"
    elif not stated:
        reason = f"{COVERAGE_DIMENSION} states none of the 16 Annex I elements"
    return Coverage(
        jurisdiction=jurisdiction,
        mandatory_provided=sum(name in provided for name in MANDATORY),
        optional_provided=sum(name in provided for name in OPTIONAL),
        blank=len(MANDATORY) + len(OPTIONAL) - len(stated),
        computed=not reason,
        reason=reason,
        missing_mandatory=missing,
    )


def gaps(matrix: Matrix, code: str) -> tuple[Gap, ...]:
    """Where a country falls short of or differs from the EU reference, in catalogue order."""
    jurisdiction = matrix.jurisdiction(code)
    if jurisdiction.is_reference:
        return ()
    found: list[Gap] = []
    for dimension in matrix.catalogue.dimensions:
        if dimension.id == COVERAGE_DIMENSION:
            found.extend(_element_gaps(coverage(matrix, jurisdiction.code)))
        elif dimension.eu_expected is not None and not dimension.computed:
            cell = matrix.cell(jurisdiction.code, dimension.id)
            found.extend(_dimension_gaps(jurisdiction.code, dimension, dimension.eu_expected, cell))
    return tuple(found)


def _element_gaps(found: Coverage) -> tuple[Gap, ...]:
    lacking = len(MANDATORY) - found.mandatory_provided
    if not found.computed or not lacking:
        return ()
    labels = ", ".join(_lower_first(label) for label in found.missing_mandatory)
    words = f"credential description lacks {lacking} of {len(MANDATORY)} mandatory elements: "
    return (Gap(found.jurisdiction, COVERAGE_DIMENSION, "elements", words + labels),)


def _dimension_gaps(
    code: str, dimension: Dimension, expected: Mapping[str, Any], cell: Cell
) -> tuple[Gap, ...]:
    rank = cell.rank
    if rank is None:  # unknown or not applicable: not a shortfall
        return ()
    if rank < ADOPTED_RANK:
        words = _SHORTFALL[rank].format(topic=dimension.topic)
        return (Gap(code, dimension.id, "missing", words),)
    value: Mapping[str, Any] = cell.value or {}
    differing: list[Gap] = []
    for name, spec in dimension.fields.items():
        # A value's own "status" repeats the cell status, which the rule above judges.
        if spec.type != "enum" or name == "status" or name not in expected:
            continue
        held, wanted = value.get(name), expected[name]
        if held and held != wanted:
            words = (
                f"{_lower_first(spec.label)}: {_readable(held)} (EU reference: {_readable(wanted)})"
            )
            differing.append(Gap(code, dimension.id, "differs", words))
    return tuple(differing)


def summary(matrix: Matrix) -> tuple[IndicatorRow, ...]:
    """Maturity, coverage and gaps of every country (not the reference rows), in matrix order."""
    return tuple(_row(matrix, jurisdiction) for jurisdiction in matrix.countries)


def compare(matrix: Matrix, codes: Sequence[str]) -> Comparison:
    """The chosen jurisdictions side by side on every dimension, with the EU reference.

    Codes are matched case-insensitively and a code given twice is shown once;
    an unknown code raises MatrixNotFound.
    """
    chosen: list[Jurisdiction] = []
    for code in codes:
        jurisdiction = _find(matrix, code)
        if jurisdiction not in chosen:
            chosen.append(jurisdiction)
    rows = tuple(
        _comparison_row(matrix, dimension, chosen) for dimension in matrix.catalogue.dimensions
    )
    indicators = tuple(_row(matrix, j) for j in chosen if not j.is_reference)
    return Comparison(tuple(chosen), rows, indicators)


def _find(matrix: Matrix, code: str) -> Jurisdiction:
    wanted = code.strip().upper()
    for jurisdiction in matrix.jurisdictions:
        if jurisdiction.code.upper() == wanted:
            return jurisdiction
    raise MatrixNotFound(MatrixError.JURISDICTION_UNKNOWN, code=code[:20])


def _comparison_row(
    matrix: Matrix, dimension: Dimension, chosen: Sequence[Jurisdiction]
) -> ComparisonRow:
    cells = tuple(matrix.cell(j.code, dimension.id) for j in chosen)
    contents = [(cell.status, cell.snapshot()["value"]) for cell in cells]
    differs = any(content != contents[0] for content in contents[1:])
    return ComparisonRow(dimension, cells, matrix.cell(REFERENCE, dimension.id), differs)


def _row(matrix: Matrix, jurisdiction: Jurisdiction) -> IndicatorRow:
    return IndicatorRow(
        jurisdiction=jurisdiction.code,
        name=jurisdiction.name,
        region=jurisdiction.region,
        maturity=maturity(matrix, jurisdiction.code),
        coverage=coverage(matrix, jurisdiction.code),
        gaps=gaps(matrix, jurisdiction.code),
    )


def _readable(value: object) -> str:
    return str(value).replace("_", " ")


def _lower_first(text: str) -> str:
    """Sentence case inside a fragment; leaves acronyms ("QA", "NQF") alone."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
