"""The report: every comparative table of a frame, by questionnaire section, with its method
notes and provenance. The web pages and every export render this one immutable object.

Method notes are generated from what was actually done (the tests that were run,
the seed, the family of the BH correction), never from a fixed text, so a note
never describes a test the report does not contain.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import pandas as pd
import scipy

from analysis.filters import filter_mask
from analysis.frame import Frame
from analysis.stats import (
    FISHER_EXACT,
    KRUSKAL_WALLIS,
    MANN_WHITNEY,
    MONTE_CARLO_CHI_SQUARE,
    NO_TEST,
    PEARSON_CHI_SQUARE,
    Interval,
    TestResult,
)
from analysis.table_model import LOW_BASE, TOTAL, UNWEIGHTED, Summary, Table, frozen_map
from analysis.tables import SEED, build_tables
from analysis.variables import Kind
from analysis.weights import RAO_SCOTT_CHI_SQUARE, Weights
from survey.xlsform.model import Form, text_in

SCHEMA_VERSION = 1

# When each test is chosen, in words; a note appears only for the tests a report used.
_WHEN = {
    PEARSON_CHI_SQUARE: (
        "Pearson chi-square without Yates' correction, for a choice question (and each option "
        "of a select-multiple question) by group, when no expected count is below 1 and at "
        "most 20% of the expected counts are below 5; effect size Cramér's V."
    ),
    FISHER_EXACT: (
        "Fisher's exact test, for a 2×2 table with an expected count below 1 or more than "
        "20% of its expected counts below 5; effect size Cramér's V."
    ),
    MONTE_CARLO_CHI_SQUARE: (
        "A Monte Carlo chi-square p, for a table larger than 2×2 with an expected count below "
        "1 or more than 20% of its expected counts below 5: tables with the observed margins "
        "are drawn at random and their chi-square compared with the observed one; effect size "
        "Cramér's V."
    ),
    KRUSKAL_WALLIS: (
        "Kruskal-Wallis, for a Likert item by more than two groups and for a numeric question "
        "by any number of groups; effect size epsilon squared, H/(n−1)."
    ),
    MANN_WHITNEY: ("Mann-Whitney U, for a Likert item by two groups; effect size rank-biserial r."),
    RAO_SCOTT_CHI_SQUARE: (
        "First-order Rao-Scott chi-square, for a choice question (and each option of a "
        "select-multiple question) by group in weighted tables: Pearson's X² of the weighted "
        "table rescaled to the unweighted N, divided by Kish's design effect 1 + CV² of the "
        "weights of the table's respondents; df (r − 1)(c − 1); effect size Cramér's V on the "
        "weighted proportions. Cells whose adjusted residual on that table, divided by the "
        "square root of the design effect, exceeds ±1.96 are flagged + or −."
    ),
    NO_TEST: (
        "No test where the data cannot support one (fewer than two groups or answers with "
        "valid values); the table's warnings say why."
    ),
}
_CONTINGENCY = (PEARSON_CHI_SQUARE, FISHER_EXACT, MONTE_CARLO_CHI_SQUARE)


@dataclass(frozen=True)
class Section:
    """A part of the questionnaire (a top-level group, or questions outside any group)."""

    name: str  # the group's name; "" for questions outside any group
    label: str
    tables: tuple[Table, ...]


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
    sections = _sections(frame, tables, form, language)
    provenance = _provenance(frame, by, mask, filter)
    return Report(
        title=title or (form.title if form is not None else frame.source.form_id),
        language=language,
        seed=seed,
        sections=sections,
        method_notes=method_notes(tables, provenance, seed=seed, weights=weights),
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


def software_versions() -> dict[str, str]:
    try:
        microcasa = version("microcasa")
    except PackageNotFoundError:  # run from a checkout that was never installed
        microcasa = "unknown"
    return {
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "microcasa": microcasa,
    }


def _tests(tables: Sequence[Table]) -> list[TestResult]:
    found = [table.test for table in tables if table.test is not None]
    found += [o.test for table in tables for o in table.options if o.test is not None]
    return found


def method_notes(
    tables: Sequence[Table],
    provenance: Provenance,
    *,
    seed: int,
    weights: Weights | None = None,
) -> tuple[str, ...]:
    """The method notes, in words, of what these tables actually did (with ``weights``, if any)."""
    notes = [
        f"Data: {provenance.source}",
        f"Form version{'s' if len(provenance.versions) > 1 else ''}: "
        f"{', '.join(v or '(none)' for v in provenance.versions)}.",
    ]
    if provenance.fieldwork_start:
        notes.append(
            f"Fieldwork: responses completed from {provenance.fieldwork_start[:10]} "
            f"to {(provenance.fieldwork_end or '')[:10]}."
        )
    counts = ", ".join(f"{g} {n}" for g, n in provenance.n.items() if g != TOTAL)
    pooled = (
        "unweighted"
        if weights is None
        else "weighted, "
        + (
            "countries in proportion to their numbers of HEIs"
            if weights.pooling == "population"
            else "every country with the same total weight"
        )
    )
    notes.append(
        f"Columns: responses grouped by {provenance.by} ({counts}); the Total column pools "
        f"all {provenance.n.get(TOTAL, 0)} {pooled}. Responses without a valid value of "
        f"{provenance.by} are left out."
    )
    if provenance.filter:
        notes.append(
            f"Filter: only responses with {provenance.filter} "
            f"({provenance.n.get(TOTAL, 0)} of {provenance.responses})."
        )
    notes.append(
        "User-missing answers (“don't know”, “not applicable”, “refused”) are shown as rows of "
        "their own but are outside the valid N: never in a percentage, a median, a mean or a "
        "test. "
        + (
            "Percentages are of the valid N, with 95% Wilson intervals."
            if weights is None
            else "Percentages are weighted, of the valid N, with 95% Wilson intervals on "
            "Kish's effective n; counts and N are unweighted."
        )
    )
    tests = _tests(tables)
    names = [name for name in _WHEN if any(test.name == name for test in tests)]
    notes.extend(f"Test: {_WHEN[name]}" for name in names)
    if any(name in names for name in _CONTINGENCY):
        notes.append(
            "Expected-count rule (Cochran): the chi-square approximation is used only when no "
            "expected count is below 1 and at most 20% are below 5. Cells whose adjusted "
            "standardized residual exceeds ±1.96 are flagged + or −."
        )
    simulated = [test for test in tests if test.resamples is not None]
    if simulated:
        resamples = sorted({test.resamples for test in simulated if test.resamples})
        seeds = sorted({test.seed for test in simulated if test.seed is not None}) or [seed]
        notes.append(
            f"Monte Carlo p-values: {', '.join(map(str, resamples))} resampled tables "
            f"with seed {', '.join(map(str, seeds))}; the same seed gives the same p."
        )
    if any(table.letters for table in tables):
        notes.append(
            "After a Kruskal-Wallis p below 0.05: Dunn's pairwise tests with Holm's correction, "
            "shown as letters (groups sharing a letter do not differ)."
        )
    if any(table.kind == Kind.MULTIPLE for table in tables):
        notes.append(
            "Select-multiple questions: the base is the respondents who answered the question "
            "(columns may sum past 100%); one group × (picked, not picked) test per option, "
            "with Holm's correction across the question's options."
        )
    family = next((t.q_family for t in tables if t.q_family is not None), 0)
    notes.append(
        f"Multiple comparisons: q-values by Benjamini-Hochberg across the report's family of "
        f"{family} test{'s' if family != 1 else ''} (one per question; for a select-multiple "
        "question its smallest Holm-adjusted p)."
    )
    notes.append(f"Low base: a column whose valid N is below {LOW_BASE} is flagged.")
    notes.extend(_weighting_notes(weights))
    versions = software_versions()
    notes.append("Software: " + ", ".join(f"{name} {v}" for name, v in versions.items()) + ".")
    return tuple(notes)


_ONE_CELL = ", weighted as one cell"


def _weighting_notes(weights: Weights | None) -> list[str]:
    if weights is None:
        return ["Weighting: unweighted; every response counts once."]
    effects = "; ".join(
        f"{c.country} {c.design_effect:.2f} ({c.respondents} respondents, n_eff "
        f"{c.effective_n:.1f}, {c.population} HEIs{_ONE_CELL if c.collapsed else ''})"
        for c in weights.countries
    )
    pooling = "population" if weights.pooling == "population" else "equal"
    notes = [
        f"Weighting: {weights.describe()} Pooling rule: {pooling}.",
        f"Design effects of the weights (Kish, 1 + CV²), by country: {effects or 'none'}.",
        "Weighted tables leave out responses without a weight. Likert medians, means and rank "
        "tests, and numeric summaries and tests, are unweighted; a Likert table's percentages "
        "and top-2-box share are weighted.",
    ]
    notes.extend(f"Weighting: {warning}" for warning in weights.warnings)
    return notes


def _number(value: float | int | None) -> float | int | None:
    """A JSON-safe number: NaN and infinities become None, numpy scalars plain Python."""
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def _interval(interval: Interval | None) -> tuple[float | int | None, float | int | None]:
    return (None, None) if interval is None else (_number(interval.low), _number(interval.high))


def _test_json(test: TestResult | None, q: float | None = None) -> dict[str, Any] | None:
    if test is None:
        return None
    effect = test.effect
    return {
        "name": test.name,
        "statistic": _number(test.statistic),
        "df": test.df,
        "p": _number(test.p),
        "q": _number(q),
        "effect": None if effect is None else {"name": effect.name, "value": _number(effect.value)},
        "n": test.n,
        "seed": test.seed,
        "resamples": test.resamples,
        "warnings": list(test.warnings),
    }


def _summary_json(summary: Summary) -> dict[str, Any]:
    mean_low, mean_high = _interval(summary.mean_ci)
    box_low, box_high = _interval(summary.top_box_ci)
    return {
        "n": summary.n,
        "median": _number(summary.median),
        "q1": _number(summary.q1),
        "q3": _number(summary.q3),
        "iqr": _number(summary.iqr),
        "mean": _number(summary.mean),
        "sd": _number(summary.sd),
        "mean_ci_low": mean_low,
        "mean_ci_high": mean_high,
        "top2box": _number(summary.top_box),
        "top2box_ci_low": box_low,
        "top2box_ci_high": box_high,
    }


def _table_json(table: Table, section: Section) -> dict[str, Any]:
    rows = []
    for row in table.rows:
        entry: dict[str, Any] = {
            "value": row.value,
            "label": row.label,
            "missing": row.missing,
            "count": {g: row.counts.get(g) for g in table.groups},
            "percent": {g: _number(row.percent.get(g)) for g in table.groups},
            "ci_low": {g: _interval(row.ci.get(g))[0] for g in table.groups},
            "ci_high": {g: _interval(row.ci.get(g))[1] for g in table.groups},
            "flags": dict(row.flags),
        }
        option = next((o for o in table.options if o.value == row.value), None)
        if option is not None:
            entry["test"] = _test_json(option.test)
            entry["p_holm"] = _number(option.p_holm)
        rows.append(entry)
    summary = (
        {g: _summary_json(table.summary[g]) for g in table.groups if g in table.summary}
        if table.summary
        else None
    )
    return {
        "question": table.question,
        "label": table.label,
        "section": section.name,
        "kind": table.kind,
        "groups": list(table.groups),
        "group_labels": {g: table.group_labels.get(g, g) for g in table.groups},
        "n": {g: table.n_valid[g] for g in table.groups},
        "n_base": {g: table.n_base[g] for g in table.groups},
        "rows": rows,
        "summary": summary,
        "test": _test_json(table.test, table.q),
        "q": _number(table.q),
        "letters": dict(table.letters),
        "low_base": list(table.low_base),
        "warnings": list(table.warnings),
        "notes": list(table.notes),
        "weighting": table.weighting,
        **(
            {"effective_n": {g: _number(table.effective_n.get(g)) for g in table.groups}}
            if table.effective_n is not None
            else {}
        ),
    }


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (schema in docs/analysis.md); no NaN anywhere."""
    provenance = report.provenance
    return {
        "schema_version": SCHEMA_VERSION,
        "title": report.title,
        "language": report.language,
        "synthetic": report.synthetic,
        "weighting": report.weighting,
        "seed": report.seed,
        "provenance": {
            "source": provenance.source,
            "source_kind": provenance.source_kind,
            "form_id": provenance.form_id,
            "versions": list(provenance.versions),
            "fieldwork_start": provenance.fieldwork_start,
            "fieldwork_end": provenance.fieldwork_end,
            "by": provenance.by,
            "n": dict(provenance.n),
            "responses": provenance.responses,
            "rejected_rows": provenance.rejected_rows,
            "filter": provenance.filter,
            "notes": list(provenance.notes),
            "software": software_versions(),
        },
        "method_notes": list(report.method_notes),
        "sections": [
            {
                "name": section.name,
                "label": section.label,
                "questions": [table.question for table in section.tables],
            }
            for section in report.sections
        ],
        "tables": [
            _table_json(table, section) for section in report.sections for table in section.tables
        ],
    }
