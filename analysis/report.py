"""The report: every comparative table of a frame, by questionnaire section, with its method
notes and provenance. The web pages and every export render this one immutable object.

Its method notes come from :mod:`analysis.method_notes`, its JSON from
:mod:`analysis.report_json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from analysis.filters import filter_mask
from analysis.frame import Frame
from analysis.method_notes import method_notes
from analysis.scales import Scale, build_scales
from analysis.table_model import TOTAL, UNWEIGHTED, Table, frozen_map
from analysis.tables import SEED, build_tables
from analysis.weights import Weights
from survey.xlsform.model import Form, text_in


@dataclass(frozen=True)
class Section:
    """A part of the questionnaire (a top-level group, or questions outside any group)."""

    name: str  # the group's name; "" for questions outside any group
    label: str
    tables: tuple[Table, ...]
    scales: tuple[Scale, ...] = ()  # its Likert grids as scales (analysis.scales)


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from: the data, the form versions, fieldwork dates and N."""

    source: str
    source_kind: str  # "database" or "file"
    form_id: str
    versions: tuple[str, ...]
    fieldwork_start: str | None  # ISO 8601, first completed response
    fieldwork_end: str | None
    by: str
    n: Mapping[str, int]  # responses counted per group, and Total
    responses: int  # in the frame, before the filter
    rejected_rows: int  # rows of a data file left out (0 for the database)
    filter: str | None
    notes: tuple[str, ...]  # what was ignored or differs between versions


@dataclass(frozen=True)
class Report:
    """Ordered tables by questionnaire section, method notes and provenance."""

    title: str
    language: str
    seed: int
    sections: tuple[Section, ...]
    method_notes: tuple[str, ...]
    provenance: Provenance
    synthetic: bool = False  # synthetic demo data: every rendering must say so
    weighting: str = UNWEIGHTED

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(table for section in self.sections for table in section.tables)

    @property
    def scales(self) -> tuple[Scale, ...]:
        return tuple(scale for section in self.sections for scale in section.scales)


def build_report(
    frame: Frame,
    *,
    by: str = "country",
    language: str = "en",
    seed: int = SEED,
    filter: str | None = None,
    title: str | None = None,
    form: Form | None = None,
    synthetic: bool = False,
    weights: Weights | None = None,
) -> Report:
    """The report of every analysable question of ``frame`` by ``by``.

    ``filter`` is an expression of :mod:`analysis.filters` (FilterInvalid when it
    names an unknown question or value). ``form`` (the newest version) gives the
    sections their labels and puts lone questions on their pages; without it a
    section is the question's group. ``synthetic`` marks demo data. ``weights``
    (:func:`analysis.weights.post_stratify`) makes every table weighted.
    """
    mask = filter_mask(frame, filter) if filter else None
    tables = build_tables(frame, by=by, language=language, seed=seed, filter=mask, weights=weights)
    scales = build_scales(
        frame, by=by, language=language, filter=mask, labels=_group_labels(form, language)
    )
    sections = _with_scales(_sections(frame, tables, form, language), scales)
    provenance = _provenance(frame, by, mask, filter)
    return Report(
        title=title or (form.title if form is not None else frame.source.form_id),
        language=language,
        seed=seed,
        sections=sections,
        method_notes=method_notes(
            tables, provenance, seed=seed, weights=weights, scales=scales, synthetic=synthetic
        ),
        provenance=provenance,
        synthetic=synthetic,
        weighting=UNWEIGHTED if weights is None else weights.label,
    )


def _sections(
    frame: Frame, tables: Sequence[Table], form: Form | None, language: str
) -> tuple[Section, ...]:
    """Tables grouped by section, sections in the order of their first question."""
    keys: dict[str, str] = {}
    labels: dict[str, str] = {"": ""}
    if form is not None:
        for question in form.questions:
            keys[question.name] = question.groups[0] if question.groups else ""
        for group in form.groups:
            labels[group.name] = text_in(group.labels, language, form.default_language)
    order: list[tuple[str, list[Table]]] = []
    for table in tables:
        key = keys.get(table.question, frame.variable(table.question).group or "")
        if not order or order[-1][0] != key:
            order.append((key, []))
        order[-1][1].append(table)
    return tuple(Section(key, labels.get(key) or key, tuple(section)) for key, section in order)


def _group_labels(form: Form | None, language: str) -> dict[str, str]:
    if form is None:
        return {}
    return {g.name: text_in(g.labels, language, form.default_language) for g in form.groups}


def _with_scales(sections: tuple[Section, ...], scales: Sequence[Scale]) -> tuple[Section, ...]:
    """Each scale in the section of its first item that has a table (none: left out)."""
    placed: dict[int, list[Scale]] = {}
    for scale in scales:
        at = next(
            (
                at
                for item in scale.items
                for at, section in enumerate(sections)
                if any(table.question == item for table in section.tables)
            ),
            None,
        )
        if at is not None:
            placed.setdefault(at, []).append(scale)
    return tuple(
        replace(section, scales=tuple(placed.get(at, ()))) for at, section in enumerate(sections)
    )


def _provenance(frame: Frame, by: str, mask: pd.Series | None, filter: str | None) -> Provenance:
    data = frame.data
    if by in {variable.name for variable in frame.variables}:
        group = frame.valid(by)
    else:
        group = data[frame.meta[by]]
    keep = group.notna() if mask is None else group.notna() & mask.fillna(False).astype(bool)
    counted = group[keep].astype("object").value_counts()
    n = {str(key): int(counted[key]) for key in sorted(counted.index, key=str)}
    completed = data[frame.meta["completed_at"]].dropna()
    return Provenance(
        source=frame.source.description,
        source_kind=frame.source.kind,
        form_id=frame.source.form_id,
        versions=frame.versions,
        fieldwork_start=completed.min().isoformat() if len(completed) else None,
        fieldwork_end=completed.max().isoformat() if len(completed) else None,
        by=by,
        n=frozen_map({**n, TOTAL: int(keep.sum())}),
        responses=len(data),
        rejected_rows=len(frame.rejected),
        filter=filter,
        notes=(*frame.differences, *frame.notes),
    )
