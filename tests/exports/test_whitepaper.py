"""The white-paper workbook, read back: every number the Report's, links, styles, charts."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import quote_sheetname

from analysis import service
from analysis.cli import _weights
from analysis.external import load_external
from analysis.footnotes import SUPPRESSED, footnotes, interval
from analysis.report import Report, build_report
from analysis.service import suppressed
from analysis.synthetic import LABEL as SYNTHETIC_LABEL
from analysis.synthetic import load_synthetic
from analysis.table_model import Table
from exports.whitepaper import whitepaper
from exports.whitepaper_layout import BACK, MAX_SHEET_NAME, SheetNames
from exports.whitepaper_tables import (
    COUNT_BLOCK,
    EFFECTIVE_N_ROW,
    NOTES_BLOCK,
    OPTION_PERCENT_BLOCK,
    PERCENT_BLOCK,
    VALID_N_ROW,
)
from microcasa.db import Database
from policy_matrix import indicators
from policy_matrix.catalogue import Status
from policy_matrix.service import Matrix, load_bundled, matrix
from policy_matrix.values import is_url
from policy_matrix.workbook import STATUS_FILLS
from policy_matrix.workbook_layout import editable_dimensions
from survey.versions import get_questionnaire, read_source, versions_of
from tests.analysis.test_report import FORM, HEADER, ROWS
from tests.survey.fieldwork_support import FORM_ID, csv_file

Book = Any  # an openpyxl Workbook as read back
FORBIDDEN = set("[]:*?/\\")
FORMULAS = (
    '=HYPERLINK("http://evil.example","click")',
    "+1",
    "-1",
    "@x",
    "\t=1+1",
    "\r=1+1",
    "  =cmd|' /C calc'!A0",
)


def _clear_caches() -> None:
    service.FRAMES.clear()
    service.REPORTS.clear()


@pytest.fixture
def study(database: Database) -> tuple[Report, Matrix, list[tuple[str, str]]]:
    """Synthetic responses and the bundled matrix in the test's database, and their report."""
    with database.transaction() as session:
        load_synthetic(session, 90, seed=11)
        load_bundled(session)
    _clear_caches()
    with database.session() as session:
        report = service.analyse(session, FORM_ID).report
        current = matrix(session)
        versions = [
            (v.version, v.sha256) for v in versions_of(session, get_questionnaire(session, FORM_ID))
        ]
    _clear_caches()
    return report, current, versions


def _read(book: Any) -> tuple[Book, bytes]:
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    return load_workbook(io.BytesIO(data)), data


def _table_sheets(book: Book) -> dict[str, str]:
    """Question → sheet name, from the Contents sheet's links."""
    found = {}
    for row in book["Contents"].iter_rows(min_row=5):
        link = row[0].hyperlink
        if link is not None and row[1].value:
            found[str(row[1].value)] = link.location.split("!")[0].strip("'").replace("''", "'")
    return found


def _as_read(text: str) -> str:
    """Text as a workbook gives it back: XML reads a carriage return as a line feed."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _find(sheet: Any, text: str, start: int = 1) -> int:
    for row in range(start, sheet.max_row + 1):
        if sheet.cell(row, 1).value == text:
            return row
    raise AssertionError(f"{text!r} not in column A of {sheet.title}")


def _check_table(sheet: Any, table: Table) -> None:
    """Every cell of the sheet against the Table it renders."""
    groups = table.groups
    assert sheet.cell(2, 1).value == _as_read(f"{table.label} [{table.question}]")
    assert [sheet.cell(5, 2 + i).value for i in range(len(groups))] == [
        _as_read(table.group_labels.get(g, g)) for g in groups
    ]
    rows = table.options if table.kind == "multiple" else table.rows
    valid = [row for row in rows if not row.missing]
    if valid:
        heading = OPTION_PERCENT_BLOCK if table.kind == "multiple" else PERCENT_BLOCK
        first = _find(sheet, heading) + 1
        for at, row in enumerate(valid):
            assert sheet.cell(first + at, 1).value == _as_read(row.label)
            for i, group in enumerate(groups):
                cell = sheet.cell(first + at, 2 + i)
                if row.counts.get(group) is None:
                    assert cell.value == SUPPRESSED
                elif row.percent.get(group) is None:
                    assert cell.value is None
                else:
                    assert cell.value == pytest.approx(row.percent[group] / 100, abs=1e-12)
                    assert cell.number_format == "0.0%"
                    assert cell.style == "wp percent"
    if rows:
        weighted = table.weighting != "unweighted"
        first = _find(sheet, COUNT_BLOCK + (" (unweighted)" if weighted else "")) + 1
        for at, row in enumerate(rows):
            assert str(sheet.cell(first + at, 1).value).startswith(_as_read(row.label))
            for i, group in enumerate(groups):
                cell = sheet.cell(first + at, 2 + i)
                count = row.counts.get(group)
                assert cell.value == (SUPPRESSED if count is None else count)
                if count is not None:
                    assert cell.number_format == "#,##0"
    valid_n = _find(sheet, VALID_N_ROW)
    for i, group in enumerate(groups):
        cell = sheet.cell(valid_n, 2 + i)
        assert cell.value == table.n_valid[group]
        assert cell.style == "wp valid n" and cell.font.b
    notes = _find(sheet, NOTES_BLOCK, valid_n) + 1
    lines = footnotes(table)
    assert [sheet.cell(notes + at, 1).value for at in range(len(lines))] == [
        _as_read(line) for line in lines
    ]
    assert sheet.freeze_panes == "B6"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$5:$5"
    charts = sheet._charts
    assert len(charts) == 1, sheet.title
    chart = charts[0]
    assert chart.series
    for series in chart.series:
        assert series.val.numRef.f.startswith(quote_sheetname(sheet.title) + "!")
    if table.kind == "likert":
        assert (chart.type, chart.grouping) in {("bar", "percentStacked"), ("bar", "stacked")}
        assert len(chart.series) == len(valid)
    elif table.kind == "numeric":
        assert chart.grouping == "clustered"
    else:
        assert (chart.type, chart.grouping) == ("col", "clustered")
        assert len(chart.series) == len(groups)


def _no_formulas(book: Book, data: bytes) -> int:
    """Assert that no cell is a formula (in openpyxl's reading and in the XML); count cells."""
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells += cell.value is not None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name
    return cells


def test_every_table_sheet_holds_the_reports_numbers(
    study: tuple[Report, Matrix, list[tuple[str, str]]],
) -> None:
    report, _current, versions = study
    for shown in (report, suppressed(report)):
        book, data = _read(whitepaper(shown, versions=versions))
        sheets = _table_sheets(book)
        assert list(sheets) == [table.question for table in shown.tables]
        for table in shown.tables:
            _check_table(book[sheets[table.question]], table)
        assert _no_formulas(book, data) > 1000
        table = next(t for t in shown.tables if t.kind == "categorical")
        sheet = book[sheets[table.question]]
        first = _find(sheet, "95% CI (Wilson), percent") + 1
        row = next(r for r in table.rows if not r.missing)
        ci = row.ci[table.groups[0]]
        assert sheet.cell(first, 2).value == (SUPPRESSED if ci is None else interval(ci))
    hidden = [
        table
        for table in suppressed(report).tables
        for row in table.rows
        if None in row.counts.values()
    ]
    assert hidden, "the organisers' copy of 90 responses hides some counts"


def test_sheet_names_links_and_named_styles(
    study: tuple[Report, Matrix, list[tuple[str, str]]],
) -> None:
    report, current, versions = study
    codebook = (["name", "label_en"], [["q1", "=HYPERLINK(1)"], ["q2", "+1"]])
    book, data = _read(whitepaper(report, matrix=current, codebook=codebook, versions=versions))
    names = book.sheetnames
    assert names[:2] == ["Cover", "Contents"]
    assert {"Scales", "Policy matrix", "Matrix indicators", "Evidence", "Gaps", "Codebook"} <= set(
        names
    )
    assert len({name.casefold() for name in names}) == len(names)
    assert all(0 < len(name) <= MAX_SHEET_NAME and not FORBIDDEN & set(name) for name in names)
    linked = set()
    for row in book["Contents"].iter_rows():
        for cell in row:
            if cell.hyperlink is not None:
                target = cell.hyperlink.location.split("!")[0].strip("'").replace("''", "'")
                assert target in names
                assert cell.style == "wp link"
                linked.add(target)
    assert linked == set(names) - {"Contents"}
    for name in names:
        if name != "Contents":
            back = book[name]["A1"]
            assert back.hyperlink is not None and back.hyperlink.location == "'Contents'!A1"
            assert back.value in (BACK, "Contents →")
    used = {cell.style for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert {"wp title", "wp header", "wp count", "wp percent", "wp valid n", "wp footnote"} <= used
    assert {"wp link", "wp web link"} <= used
    assert all(style.startswith("wp ") or style == "Normal" for style in used)
    codebook_sheet = book["Codebook"]
    assert [codebook_sheet.cell(5, 2).value, codebook_sheet.cell(6, 2).value] == [
        "=HYPERLINK(1)",
        "+1",
    ]
    assert book["Scales"].cell(2, 1).value == "Scale reliability (Cronbach's alpha)"
    alphas = [c.value for c in book["Scales"]["C"] if isinstance(c.value, float)]
    assert alphas[0] == pytest.approx(report.scales[0].alpha)
    _no_formulas(book, data)


def test_the_cover_states_notes_versions_n_and_the_synthetic_banner(
    study: tuple[Report, Matrix, list[tuple[str, str]]],
) -> None:
    report, _current, versions = study
    book, _data = _read(whitepaper(report, versions=versions))
    cover = book["Cover"]
    values = [cell.value for row in cover.iter_rows() for cell in row if cell.value is not None]
    assert report.synthetic and values[:3] == ["Contents →", report.title, SYNTHETIC_LABEL]
    assert cover["A3"].style == "wp banner"
    assert all(note in values for note in report.method_notes)
    for version, digest in versions:
        assert version in values and digest in values and len(digest) == 64
    by_group = {
        str(cover.cell(r, 1).value): cover.cell(r, 2).value for r in range(1, cover.max_row + 1)
    }
    for group, n in report.provenance.n.items():
        assert by_group[group] == n
    generated = by_group["Generated (UTC)"]
    assert isinstance(generated, str) and len(generated) == len("2026-11-28 18:00:00")


def test_the_matrix_sheets_show_statuses_fills_links_and_gaps(
    study: tuple[Report, Matrix, list[tuple[str, str]]],
) -> None:
    report, current, versions = study
    book, data = _read(whitepaper(report, matrix=current, versions=versions))
    grid = book["Policy matrix"]
    jurisdictions = current.jurisdictions
    assert [grid.cell(4, 3 + i).value for i in range(len(jurisdictions))] == [
        j.name for j in jurisdictions
    ]
    shown = editable_dimensions(current.catalogue)
    assert grid.cell(5 + len(shown), 1).value is None  # PM25 (computed) is an indicator
    for at, dimension in enumerate(shown, start=5):
        assert grid.cell(at, 1).value == dimension.id
        for i, jurisdiction in enumerate(jurisdictions):
            status = current.cell(jurisdiction.code, dimension.id).status
            cell = grid.cell(at, 3 + i)
            assert cell.value == Status(status).label
            assert cell.style == f"wp status {status}"
            assert cell.fill.fgColor.rgb.endswith(STATUS_FILLS[status])
    evidence = book["Evidence"]
    sources = [
        e
        for j in jurisdictions
        for d in current.catalogue.dimensions
        for e in current.cell(j.code, d.id).evidence
    ]
    assert sources and evidence.max_row == 4 + len(sources)
    links = 0
    for at, source in enumerate(sources, start=5):
        cell = evidence.cell(at, 4)
        assert evidence.cell(at, 3).value == source.title
        if is_url(source.url):
            assert cell.hyperlink is not None and cell.hyperlink.target == source.url
            assert cell.value == source.url
            links += 1
    assert links > 0
    gaps = [gap for row in indicators.summary(current) for gap in row.gaps]
    sheet = book["Gaps"]
    assert [sheet.cell(5 + at, 5).value for at in range(len(gaps))] == [g.words for g in gaps]
    rows = indicators.summary(current)
    table = book["Matrix indicators"]
    for at, row in enumerate(rows, start=5):
        assert table.cell(at, 1).value == row.jurisdiction
        assert table.cell(at, 4).value == row.maturity.score
        if row.coverage.computed:
            assert table.cell(at, 8).value == pytest.approx(row.coverage.mandatory_pct / 100)
            assert table.cell(at, 8).number_format == "0.0%"
    _no_formulas(book, data)


# A questionnaire whose every label is a formula, and a report whose other text is one too.
FORMULA_FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| begin_group | g | =HYPERLINK("http://evil.example","click") |
| select_one yn | q1 | +1 |
| select_one agree | q2 | -1 |
| select_multiple opt | q3 | @x |
| integer | q4 | =1+1 |
| end_group | | |

## choices
| list_name | name | label |
| --- | --- | --- |
| yn | yes | =1+1 |
| yn | no | @SUM(1) |
| agree | 1 | -1 |
| agree | 2 | +2 |
| agree | 3 | =3 |
| opt | a | =HYPERLINK("http://evil.example","a") |
| opt | b | -b |

## settings
| form_id | version |
| --- | --- |
| formulas | 1 |
"""


def _formula_report() -> Report:
    rows = [
        (country, "yes" if i % 3 else "no", str(1 + i % 3), "a b" if i % 2 else "a", i)
        for i in range(24)
        for country in ("MY", "IT")
    ]
    header = ("country", "q1", "q2", "q3", "q4")
    frame = load_external(FORMULA_FORM.encode(), "form.md", csv_file([header, *rows]), "data.csv")
    form = read_source(FORMULA_FORM.encode(), "form.md").form
    report = build_report(frame, form=form, title=FORMULAS[0])
    corpus = iter(FORMULAS * 10)
    sections = tuple(
        replace(
            section,
            label=next(corpus),
            tables=tuple(
                replace(
                    table,
                    label=next(corpus),
                    group_labels={g: next(corpus) for g in table.groups},
                    warnings=(*table.warnings, next(corpus)),
                )
                for table in section.tables
            ),
        )
        for section in report.sections
    )
    return replace(report, sections=sections, method_notes=(*report.method_notes, *FORMULAS))


def test_formula_text_everywhere_stays_text() -> None:
    report = _formula_report()
    book, data = _read(whitepaper(report, codebook=(list(FORMULAS), [list(FORMULAS)])))
    assert _no_formulas(book, data) > 100
    texts = {
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for text in FORMULAS:
        assert _as_read(text) in texts, text
    for label in ("+1", "-1", "=1+1", "@SUM(1)", "-b"):
        assert any(label in text for text in texts), label
    sheets = _table_sheets(book)
    for table in report.tables:
        sheet = book[sheets[table.question]]
        _check_table(sheet, table)
    numbers = [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "n" and cell.value is not None
    ]
    assert numbers, "numbers stay numbers"


def test_a_weighted_report_shows_weighted_shares_unweighted_counts_and_effective_n(
    tmp_path: Path,
) -> None:
    frame = load_external(FORM.encode(), "form.md", csv_file([HEADER, *ROWS]), "data.csv")
    population = tmp_path / "population.csv"
    population.write_text(
        "country,institution_type,count\nMY,public,40\nIT,public,10\n", encoding="utf-8"
    )
    weights = _weights(frame, population, "equal")
    report = build_report(frame, form=read_source(FORM.encode(), "form.md").form, weights=weights)
    book, data = _read(whitepaper(report))
    sheets = _table_sheets(book)
    for table in report.tables:
        assert table.effective_n is not None
        sheet = book[sheets[table.question]]
        _check_table(sheet, table)
        at = _find(sheet, EFFECTIVE_N_ROW)
        for i, group in enumerate(table.groups):
            assert sheet.cell(at, 2 + i).value == pytest.approx(table.effective_n[group])
        assert f"weighted ({report.weighting})" in sheet.cell(3, 1).value
    cover = [cell.value for row in book["Cover"].iter_rows() for cell in row]
    assert report.weighting in cover
    _no_formulas(book, data)


def test_sheet_names_are_valid_unique_and_short() -> None:
    names = SheetNames()
    chosen = [
        names.name(wanted)
        for wanted in (
            "Contents",
            "contents",
            "a[b]:c*d?e/f\\g",
            "x" * 40,
            "x" * 40,
            "'quoted'",
            "   ",
            "=HYPERLINK(1)",
        )
    ]
    assert chosen[:3] == ["Contents", "contents (2)", "a_b__c_d_e_f_g"]
    assert chosen[3] == "x" * 31 and chosen[4] == "x" * 27 + " (2)"
    assert chosen[5] == "quoted" and chosen[6] == "Sheet"
    assert len({name.casefold() for name in chosen}) == len(chosen)
    assert all(len(name) <= MAX_SHEET_NAME and not FORBIDDEN & set(name) for name in chosen)
