"""The policy matrix in the white paper: the grid, the indicators, the evidence and the gaps.

The grid shows each cell's status in words and as a fill (the matrix workbook's
colours), so that it reads in black and white too. Indicators and gaps come from
:mod:`policy_matrix.indicators`, as on the matrix pages.
"""

from __future__ import annotations

from typing import Any

from exports.whitepaper_layout import (
    BLOCK,
    COUNT,
    FOOTNOTE,
    HEADER,
    LABEL,
    NUMBER_2,
    PERCENT,
    SUBTITLE,
    back_link,
    link_to_web,
    print_setup,
    put,
    sheet_title,
    status_style,
    widths,
    wrapped,
)
from policy_matrix.catalogue import STATUSES, Status
from policy_matrix.indicators import MANDATORY, MATURITY_RULE, OPTIONAL, summary
from policy_matrix.service import Matrix
from policy_matrix.values import is_url
from policy_matrix.workbook_layout import editable_dimensions

GRID, INDICATORS, EVIDENCE, GAPS = "Policy matrix", "Matrix indicators", "Evidence", "Gaps"
HEADER_ROW = 4
INDICATOR_HEADERS = (
    "Code",
    "Country",
    "Region",
    "Maturity (0–4)",
    "Mean status rank",
    "Statuses known (of 5)",
    f"Mandatory elements (of {len(MANDATORY)})",
    "Mandatory %",
    f"Optional elements (of {len(OPTIONAL)})",
    "Optional %",
    "Coverage not computed because",
    "Gaps",
)
EVIDENCE_HEADERS = (
    "Jurisdiction",
    "Dimension",
    "Title",
    "Link",
    "Instrument",
    "Issuer",
    "Adopted",
    "Accessed",
    "Type",
    "Confidence",
    "Excerpt",
)
GAP_HEADERS = ("Country", "Dimension", "Topic", "Kind", "Gap")


def _title(sheet: Any, text: str, subtitle: str, columns: int) -> None:
    back_link(sheet)
    sheet_title(sheet, text, columns)
    wrapped(sheet, 3, subtitle, SUBTITLE, columns)


def _headers(sheet: Any, headers: tuple[str, ...] | list[str]) -> None:
    for column, header in enumerate(headers, start=1):
        put(sheet, HEADER_ROW, column, header, HEADER)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=3)
    print_setup(sheet, (HEADER_ROW, HEADER_ROW))


def write_grid(sheet: Any, matrix: Matrix) -> None:
    """Dimensions as rows, jurisdictions as columns; each cell its status, in words and colour."""
    codes = [j.code for j in matrix.jurisdictions]
    when = f"as of {matrix.as_of.isoformat()}" if matrix.as_of else "as it stands now"
    subtitle = (
        f"Status of every dimension by jurisdiction, {when} "
        f"(catalogue {matrix.catalogue.version}). The fill repeats the status written in the cell."
    )
    widths(sheet, [11, 46, *([15] * len(codes))])
    _title(sheet, "Policy matrix", subtitle, 2 + len(codes))
    _headers(sheet, ["Dimension", "Label", *(j.name for j in matrix.jurisdictions)])
    row = HEADER_ROW + 1
    for dimension in editable_dimensions(matrix.catalogue):  # PM25 is on Matrix indicators
        put(sheet, row, 1, dimension.id, LABEL)
        put(sheet, row, 2, dimension.label, LABEL)
        for column, code in enumerate(codes, start=3):
            status = matrix.cell(code, dimension.id).status
            put(sheet, row, column, Status(status).label, status_style(status))
        row += 1
    row = _heading(sheet, row + 1, "Key")
    for status in STATUSES:
        put(sheet, row, 2, Status(status).label, status_style(status))
        row += 1


def _heading(sheet: Any, row: int, text: str) -> int:
    put(sheet, row, 1, text, BLOCK)
    return row + 1


def write_indicators(sheet: Any, matrix: Matrix) -> None:
    """Maturity and Annex I coverage of every country, with the count of its gaps."""
    widths(sheet, [7, 22, 11, 10, 10, 11, 12, 11, 11, 10, 34, 7])
    _title(sheet, "Matrix indicators", MATURITY_RULE, len(INDICATOR_HEADERS))
    _headers(sheet, INDICATOR_HEADERS)
    row = HEADER_ROW + 1
    for found in summary(matrix):
        coverage, maturity = found.coverage, found.maturity
        mandatory = coverage.mandatory_pct
        optional = coverage.optional_pct
        values: tuple[tuple[object, str], ...] = (
            (found.jurisdiction, LABEL),
            (found.name, LABEL),
            (found.region, LABEL),
            (maturity.score, COUNT),
            (maturity.mean, NUMBER_2),
            (maturity.known, COUNT),
            (coverage.mandatory_provided if coverage.computed else None, COUNT),
            (None if mandatory is None else mandatory / 100, PERCENT),
            (coverage.optional_provided if coverage.computed else None, COUNT),
            (None if optional is None else optional / 100, PERCENT),
            (coverage.reason or None, LABEL),
            (len(found.gaps), COUNT),
        )
        for column, (value, style) in enumerate(values, start=1):
            put(sheet, row, column, value, style)
        row += 1


def write_evidence(sheet: Any, matrix: Matrix) -> None:
    """Every source of every cell; web addresses are working links."""
    widths(sheet, [10, 9, 34, 30, 14, 20, 10, 10, 12, 9, 50])
    subtitle = "The sources behind each cell of the matrix, in matrix order."
    _title(sheet, "Evidence", subtitle, len(EVIDENCE_HEADERS))
    _headers(sheet, EVIDENCE_HEADERS)
    row = HEADER_ROW + 1
    for jurisdiction in matrix.jurisdictions:
        for dimension in matrix.catalogue.dimensions:
            for evidence in matrix.cell(jurisdiction.code, dimension.id).evidence:
                values = (
                    jurisdiction.code,
                    dimension.id,
                    evidence.title,
                    None,
                    evidence.instrument_id,
                    evidence.issuer,
                    evidence.date_adopted,
                    evidence.date_accessed,
                    evidence.evidence_type.replace("_", " "),
                    evidence.confidence,
                    evidence.excerpt,
                )
                for column, value in enumerate(values, start=1):
                    put(sheet, row, column, value or None, FOOTNOTE if column == 11 else LABEL)
                if is_url(evidence.url):
                    link_to_web(sheet, row, 4, evidence.url)
                elif evidence.url:
                    put(sheet, row, 4, evidence.url, LABEL)
                row += 1


def write_gaps(sheet: Any, matrix: Matrix) -> None:
    """Where each country falls short of, or differs from, the EU reference."""
    widths(sheet, [10, 10, 34, 11, 90])
    subtitle = (
        "Comparability gaps: where a country's rule is missing, only under discussion or a "
        "draft, lacks mandatory Annex I elements, or differs from the EU reference."
    )
    _title(sheet, "Comparability gaps", subtitle, len(GAP_HEADERS))
    _headers(sheet, GAP_HEADERS)
    row = HEADER_ROW + 1
    for found in summary(matrix):
        for gap in found.gaps:
            values = (
                gap.jurisdiction,
                gap.dimension,
                matrix.catalogue.dimension(gap.dimension).label,
                gap.kind,
                gap.words,
            )
            for column, value in enumerate(values, start=1):
                put(sheet, row, column, value, LABEL)
            row += 1
