"""The white-paper workbook: the analysis report (and the policy matrix) as an .xlsx file.

Sheets, in order: **Cover** (title, the synthetic-data banner, provenance, N per
column, form versions with their SHA-256, the method notes, generation time),
**Contents** (a link to every other sheet; every sheet links back), one sheet per
comparative table (:mod:`exports.whitepaper_tables`), **Scales** (Cronbach's alpha)
when the report has scales, the policy matrix sheets when a matrix is given
(:mod:`exports.whitepaper_matrix`), and a **Codebook** when one is given.

It renders and computes nothing: numbers are the Report's and the matrix's, words
are those of :mod:`analysis.footnotes`. Styles are named styles, registered once
(:mod:`exports.whitepaper_layout`); no text cell is ever a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from openpyxl import Workbook

from analysis.footnotes import interval
from analysis.report import Report
from analysis.scales import Scale
from analysis.synthetic import LABEL as SYNTHETIC_LABEL
from exports import whitepaper_matrix as matrix_sheets
from exports.whitepaper_layout import (
    BANNER,
    BLOCK,
    CONTENTS,
    COUNT,
    FOOTNOTE,
    HEADER,
    LABEL,
    NUMBER_2,
    SUBTITLE,
    TEXT,
    TITLE,
    VALID_N,
    VALID_N_LABEL,
    SheetNames,
    add_styles,
    back_link,
    fit_rows,
    link_to_sheet,
    print_setup,
    put,
    sheet_title,
    widths,
    wrapped,
)
from exports.whitepaper_tables import write_table
from policy_matrix.service import Matrix

COVER, SCALES, CODEBOOK = "Cover", "Scales", "Codebook"
Codebook = tuple[list[str], list[list[object]]]  # exports.codebook.codebook_table's result


def whitepaper(
    report: Report,
    *,
    matrix: Matrix | None = None,
    codebook: Codebook | None = None,
    versions: Sequence[tuple[str, str]] | None = None,
    generated_at: datetime | None = None,
) -> Workbook:
    """The white-paper workbook of ``report``.

    ``versions`` are the form versions with the SHA-256 of their source file, as
    (version, sha256); without them the cover lists the report's versions alone.
    ``matrix`` adds the policy matrix sheets, ``codebook`` (a header and rows) a
    codebook sheet. ``generated_at`` defaults to now (shown in UTC).
    """
    book = Workbook()
    add_styles(book)
    book.properties.title = report.title
    book.properties.creator = "microcasa"
    names = SheetNames()
    cover = book.active
    cover.title = names.name(COVER)
    contents = book.create_sheet(names.name(CONTENTS))
    entries: list[tuple[str, str, str, str, int | None]] = []  # sheet, section, code, title, N
    tables: set[str] = set()
    for section in report.sections:
        for table in section.tables:
            sheet = book.create_sheet(names.name(table.question))
            write_table(sheet, table)
            tables.add(sheet.title)
            n = table.n_valid.get(table.groups[-1]) if table.groups else None
            entries.append((sheet.title, section.label, table.question, table.label, n))
    others: list[tuple[str, str]] = [(cover.title, "Study, provenance and method notes")]
    if report.scales:
        sheet = book.create_sheet(names.name(SCALES))
        _write_scales(sheet, report.scales)
        others.append((sheet.title, "Cronbach's alpha of the Likert grids"))
    if matrix is not None:
        parts: tuple[tuple[str, Callable[[Any, Matrix], None], str], ...] = (
            (matrix_sheets.GRID, matrix_sheets.write_grid, "Status of every dimension"),
            (matrix_sheets.INDICATORS, matrix_sheets.write_indicators, "Maturity and coverage"),
            (matrix_sheets.EVIDENCE, matrix_sheets.write_evidence, "Sources, with links"),
            (matrix_sheets.GAPS, matrix_sheets.write_gaps, "Comparability gaps"),
        )
        for name, write, words in parts:
            sheet = book.create_sheet(names.name(name))
            write(sheet, matrix)
            others.append((sheet.title, words))
    if codebook is not None:
        sheet = book.create_sheet(names.name(CODEBOOK))
        _write_codebook(sheet, codebook)
        others.append((sheet.title, "What every column of the data files means"))
    _write_cover(cover, report, versions, generated_at or datetime.now(UTC))
    _write_contents(contents, report, entries, others)
    for sheet in book.worksheets:
        if sheet.title not in tables:  # a table sheet sized its rows before placing its chart
            fit_rows(sheet)
    return book


def write_whitepaper(
    report: Report,
    path_or_stream: str | Any | IO[bytes],
    **options: Any,
) -> None:
    """Write :func:`whitepaper` of ``report`` to a path or a binary stream."""
    whitepaper(report, **options).save(path_or_stream)


def _pairs(sheet: Any, row: int, pairs: Sequence[tuple[str, object]]) -> int:
    for key, value in pairs:
        put(sheet, row, 1, key, LABEL)
        put(sheet, row, 2, value, LABEL)  # numbers stay numbers, beside their words
        row += 1
    return row


def _write_cover(
    sheet: Any,
    report: Report,
    versions: Sequence[tuple[str, str]] | None,
    generated_at: datetime,
) -> None:
    provenance = report.provenance
    widths(sheet, [30, 72, 14])
    link_to_sheet(sheet, 1, 1, "Contents →", CONTENTS)
    wrapped(sheet, 2, report.title, TITLE, 3)
    row = 3
    if report.synthetic:
        wrapped(sheet, row, SYNTHETIC_LABEL, BANNER, 3)
        sheet.row_dimensions[row].height = 24
        row += 1
    fieldwork = " – ".join(
        day[:10] for day in (provenance.fieldwork_start, provenance.fieldwork_end) if day
    )
    pairs: list[tuple[str, object]] = [
        ("Questionnaire", provenance.form_id),
        ("Data", f"{provenance.source} ({provenance.source_kind})"),
        ("Fieldwork (completed responses)", fieldwork or "no completed response dated"),
        ("Tables by", provenance.by),
        ("Filter", provenance.filter or "none: every complete response"),
        ("Language of the labels", report.language),
        ("Weighting", report.weighting),
        ("Responses counted", provenance.n.get("Total", 0)),
        ("Responses in the data", provenance.responses),
    ]
    if provenance.source_kind == "file":
        pairs.append(("Rows of the file left out", provenance.rejected_rows))
    pairs.append(("Generated (UTC)", generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")))
    row = _pairs(sheet, row + 1, pairs)
    row = _heading(sheet, row + 1, f"Responses counted by {provenance.by}")
    put(sheet, row, 1, provenance.by, HEADER)
    put(sheet, row, 2, "N", HEADER)
    row += 1
    for group, n in provenance.n.items():
        total = group == "Total"
        put(sheet, row, 1, group, VALID_N_LABEL if total else LABEL)
        put(sheet, row, 2, n, VALID_N if total else COUNT)
        row += 1
    row = _heading(sheet, row + 1, "Form versions")
    put(sheet, row, 1, "Version", HEADER)
    put(sheet, row, 2, "SHA-256 of the form file", HEADER)
    row += 1
    listed = versions if versions is not None else [(v, "") for v in provenance.versions]
    for version, digest in listed:
        put(sheet, row, 1, version, LABEL)
        put(sheet, row, 2, digest or "not given", LABEL)
        row += 1
    row = _heading(sheet, row + 1, "Method notes")
    for note in report.method_notes:
        wrapped(sheet, row, note, LABEL, 3)
        row += 1
    if provenance.notes:
        row = _heading(sheet, row + 1, "About the data")
        for note in provenance.notes:
            wrapped(sheet, row, note, LABEL, 3)
            row += 1
    print_setup(sheet)
    sheet.page_setup.orientation = "portrait"


def _heading(sheet: Any, row: int, text: str) -> int:
    put(sheet, row, 1, text, BLOCK)
    return row + 1


def _write_contents(
    sheet: Any,
    report: Report,
    entries: Sequence[tuple[str, str, str, str, int | None]],
    others: Sequence[tuple[str, str]],
) -> None:
    widths(sheet, [16, 12, 80, 12])
    put(sheet, 1, 1, "Contents", TITLE)
    subtitle = f"{report.title}: one sheet per table; every sheet links back here (A1)."
    wrapped(sheet, 2, subtitle, SUBTITLE, 4)
    for column, header in enumerate(("Sheet", "Question", "Table", "Valid N"), start=1):
        put(sheet, 4, column, header, HEADER)
    row, section = 5, None
    for name, label, question, title, n in entries:
        if label != section:
            section = label
            row = _heading(sheet, row, label or "Other questions")
        link_to_sheet(sheet, row, 1, name, name)
        put(sheet, row, 2, question, LABEL)
        put(sheet, row, 3, title, LABEL)
        put(sheet, row, 4, n, COUNT)
        row += 1
    row = _heading(sheet, row + 1, "Other sheets")
    for name, words in others:
        link_to_sheet(sheet, row, 1, name, name)
        put(sheet, row, 3, words, LABEL)
        row += 1
    sheet.freeze_panes = "A5"
    print_setup(sheet, (4, 4))


def _write_scales(sheet: Any, scales: Sequence[Scale]) -> None:
    widths(sheet, [60, 16, 10, 16])
    back_link(sheet)
    sheet_title(sheet, "Scale reliability (Cronbach's alpha)", 4)
    row = 4
    for scale in scales:
        row = _heading(sheet, row, f"Scale reliability: {scale.label or scale.name}")
        left_out = (
            f" ({scale.n_incomplete:,} respondents left out for a missing or “don't know” answer)"
            if scale.n_incomplete
            else ""
        )
        words = (
            f"{len(scale.items)} items ({', '.join(scale.items)}) read as one scale; Cronbach's "
            f"alpha on the {scale.n:,} complete cases{left_out}. Feldt's 95% CI; per column "
            f"only with at least {scale.min_group_n} complete cases."
        )
        wrapped(sheet, row, words, SUBTITLE, 4)
        row += 1
        for column, header in enumerate(("Column", "Complete cases", "Alpha", "95% CI"), 1):
            put(sheet, row, column, header, HEADER)
        row += 1
        lines = [("All", scale.n, scale.alpha, scale.ci)]
        lines += [(g.label, g.n, g.alpha, g.ci) for g in scale.groups]
        for label, n, alpha, ci in lines:
            put(sheet, row, 1, label, VALID_N_LABEL if label == "All" else LABEL)
            put(sheet, row, 2, n, COUNT)
            put(sheet, row, 3, "–" if alpha is None else alpha, TEXT if alpha is None else NUMBER_2)
            put(sheet, row, 4, interval(ci, 2) or "–", TEXT)
            row += 1
        if scale.if_deleted:
            put(sheet, row, 1, "Item left out", HEADER)
            put(sheet, row, 2, "Alpha", HEADER)
            row += 1
            for item in scale.if_deleted:
                put(sheet, row, 1, f"{item.label} [{item.item}]", LABEL)
                missing = item.alpha is None
                put(sheet, row, 2, "–" if missing else item.alpha, TEXT if missing else NUMBER_2)
                row += 1
        for warning in scale.warnings:
            wrapped(sheet, row, warning, FOOTNOTE, 4)
            row += 1
        row += 1
    print_setup(sheet)


def _write_codebook(sheet: Any, codebook: Codebook) -> None:
    header, rows = codebook
    widths(sheet, [22 if "label" not in name else 40 for name in header])
    back_link(sheet)
    sheet_title(sheet, "Codebook", min(len(header), 4))
    for column, name in enumerate(header, start=1):
        put(sheet, 4, column, name, HEADER)
    for at, values in enumerate(rows, start=5):
        for column, value in enumerate(values, start=1):
            put(sheet, at, column, value, LABEL)
    sheet.freeze_panes = "B5"
    print_setup(sheet, (4, 4))
