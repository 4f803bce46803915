"""A report as JSON: plain numbers (NaN and infinities as null), every table by section."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.method_notes import software_versions
from analysis.report import Report, Section
from analysis.scales import Scale
from analysis.stats import Interval, TestResult
from analysis.table_model import Summary, Table

SCHEMA_VERSION = 1


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


def _scale_json(scale: Scale) -> dict[str, Any]:
    low, high = _interval(scale.ci)
    return {
        "name": scale.name,
        "label": scale.label,
        "items": [
            {"name": item.item, "label": item.label, "alpha_if_deleted": _number(item.alpha)}
            for item in scale.if_deleted
        ],
        "n": scale.n,
        "n_incomplete": scale.n_incomplete,
        "alpha": _number(scale.alpha),
        "ci_low": low,
        "ci_high": high,
        "groups": {
            group.group: {
                "label": group.label,
                "n": group.n,
                "alpha": _number(group.alpha),
                "ci_low": _interval(group.ci)[0],
                "ci_high": _interval(group.ci)[1],
            }
            for group in scale.groups
        },
        "min_group_n": scale.min_group_n,
        "warnings": list(scale.warnings),
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
                "scales": [_scale_json(scale) for scale in section.scales],
            }
            for section in report.sections
        ],
        "tables": [
            _table_json(table, section) for section in report.sections for table in section.tables
        ],
    }
