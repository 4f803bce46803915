"""What every rendering of a table shares: the chart, the footnotes, and the table as CSV."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from analysis.charts import chart, likert_colours
from analysis.external import load_external
from analysis.footnotes import describe_test, footnotes, p_value, percent
from analysis.stats import Effect, TestResult
from analysis.table_csv import table_csv
from analysis.table_model import Table
from analysis.tables import build_table, suppress
from tests.survey.fieldwork_support import csv_file

SVG = "{http://www.w3.org/2000/svg}"
FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| select_one pick | pick | =HYPERLINK("http://evil.example") <script>alert(1)</script> |
| select_one agree | trust | I trust micro-credentials |
| select_multiple offer | offer | What do you offer? |
| integer | staff | Staff |

## choices
| list_name | name | label |
| --- | --- | --- |
| pick | a | @SUM(A1:A2) |
| pick | b | Plain <b>bold</b> |
| agree | 1 | Disagree |
| agree | 2 | 2 |
| agree | 3 | Agree |
| agree | dk | Don't know |
| offer | short | Short courses |
| offer | cert | Certificates |

## settings
| form_id | version |
| --- | --- |
| render | 1 |
"""


def _tables() -> dict[str, Table]:
    rows: list[list[object]] = [["country", "pick", "trust", "offer", "staff"]]
    for index in range(40):
        rows.append(["MY", "a" if index % 3 else "b", str(1 + index % 3), "short cert", 10 + index])
    for index in range(12):
        rows.append(["IT", "b", "dk" if index == 0 else "3", "cert", index])
    rows.append(["DE", "a", "1", "short", 4])  # one answer: a small cell everywhere
    frame = load_external(FORM.encode(), "form.md", csv_file(rows), "data.csv")
    assert frame.rejected == ()
    return {name: build_table(frame, name) for name in ("pick", "trust", "offer", "staff")}


@pytest.fixture(scope="module")
def tables() -> dict[str, Table]:
    return _tables()


def _svg(table: Table) -> ET.Element:
    return ET.fromstring(chart(table, "x1"))  # noqa: S314 (our own output, parsed to check it)


def test_charts_are_well_formed_images_with_a_title_and_description(
    tables: dict[str, Table],
) -> None:
    for table in tables.values():
        root = _svg(table)
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == "x1-t x1-d"
        assert root.find(f"{SVG}title").text == table.label  # type: ignore[union-attr]
        assert "table above the chart" in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]


def test_labels_are_text_never_markup(tables: dict[str, Table]) -> None:
    markup = chart(tables["pick"], "x1")
    assert "<script>" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in markup
    texts = [t.text or "" for t in _svg(tables["pick"]).iter(f"{SVG}text")]
    assert "Plain <b>bold</b>" in texts


def test_likert_bars_stack_to_the_whole_width(tables: dict[str, Table]) -> None:
    table = tables["trust"]
    root = _svg(table)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    by_row: dict[str, float] = {}
    for bar in bars:
        title = bar.find(f"{SVG}title").text or ""  # type: ignore[union-attr]
        group = title.split(":")[0]
        by_row[group] = by_row.get(group, 0.0) + float(bar.get("width") or 0)
    widths = {round(width, 0) for width in by_row.values()}
    assert len(widths) == 1, by_row  # every group's shares sum to 100 %
    assert set(by_row) == {"DE", "IT", "MY", "Total"}
    assert len(likert_colours(3)) == 3 and likert_colours(5)[2] == "#e0e0e0"


def test_grouped_bars_draw_one_bar_per_shown_share(tables: dict[str, Table]) -> None:
    for name in ("pick", "offer"):
        table = tables[name]
        rows = table.options if name == "offer" else [r for r in table.rows if not r.missing]
        expected = sum(1 for row in rows for g in table.groups if row.percent.get(g) is not None)
        bars = [r for r in _svg(table).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
        assert len(bars) == expected
        hidden = suppress(table)
        shown = sum(
            1 for row in hidden.rows for g in hidden.groups if row.counts.get(g) is not None
        )
        assert shown < sum(1 for row in table.rows for g in table.groups)
        hidden_bars = [
            r for r in _svg(hidden).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None
        ]
        assert len(hidden_bars) < len(bars)


def test_numbers_chart_places_median_inside_the_quartiles(tables: dict[str, Table]) -> None:
    root = _svg(tables["staff"])
    boxes = [
        r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#9ecae1" and r.get("height") != "12"
    ]  # the legend's swatch is 12 high
    ticks = [line for line in root.iter(f"{SVG}line") if line.get("stroke") == "#08306b"]
    assert len(boxes) == len(ticks) >= 3
    for box, tick in zip(boxes, ticks, strict=False):
        left, width = float(box.get("x") or 0), float(box.get("width") or 0)
        assert left - 0.1 <= float(tick.get("x1") or 0) <= left + width + 0.1


def test_p_values_and_the_test_line() -> None:
    assert p_value(0.0004) == "< 0.001"
    assert p_value(0.04567) == "= 0.046"
    assert p_value(None) == ""
    assert percent(45.25) == "45.2%" or percent(45.25) == "45.3%"
    test = TestResult("Pearson chi-square", 23.456, 10, 0.0091, Effect("Cramér's V", 0.153), 300)
    assert describe_test(test, 0.031, 48) == (
        "Pearson chi-square: χ²(10) = 23.46, p = 0.009, q = 0.031 "
        "(Benjamini–Hochberg over 48 tests); Cramér's V = 0.15."
    )
    simulated = TestResult(
        "Monte Carlo chi-square", 9.1, None, 0.04, None, 20, seed=7, resamples=10000
    )
    assert describe_test(simulated) == (
        "Monte Carlo chi-square: χ² = 9.10, p = 0.040, 10,000 resamples, seed 7."
    )


def test_footnotes_state_base_test_and_warnings(tables: dict[str, Table]) -> None:
    table = tables["trust"]
    notes = footnotes(table)
    assert notes[0] == "Base: respondents with a valid answer."
    assert notes[1].startswith(table.test.name)  # type: ignore[union-attr]
    for warning in table.warnings:
        assert warning in notes
    assert len(notes) == len(set(notes))


def _csv(table: Table) -> list[list[str]]:
    text = table_csv(table)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_holds_the_tables_numbers(tables: dict[str, Table]) -> None:
    table = tables["trust"]
    rows = _csv(table)
    header = rows[2]
    assert header[:2] == ["value", "answer"]
    assert header[2:6] == ["DE n", "DE %", "DE CI low", "DE CI high"]
    for row in table.rows:
        line = next(r for r in rows if r[:1] == [row.value])
        for index, group in enumerate(table.groups):
            assert line[2 + 4 * index] == str(row.counts[group])
            share = row.percent[group]
            assert (
                (line[3 + 4 * index] == "")
                if share is None
                else float(line[3 + 4 * index]) == pytest.approx(share)
            )
    valid = next(r for r in rows if r[1:2] == ["Valid N"])
    assert [valid[2 + 4 * i] for i in range(len(table.groups))] == [
        str(table.n_valid[g]) for g in table.groups
    ]
    assert rows[-len(footnotes(table)) :] == [[line] for line in footnotes(table)]


def test_csv_never_starts_a_cell_with_a_formula(tables: dict[str, Table]) -> None:
    rows = _csv(tables["pick"])
    cells = [cell for row in rows for cell in row if cell]
    assert rows[0] == ['\'=HYPERLINK("http://evil.example") <script>alert(1)</script>']
    assert "'@SUM(A1:A2)" in cells
    assert not any(cell.lstrip().startswith(("=", "+", "@")) for cell in cells)


def test_csv_of_a_suppressed_table_leaves_hidden_counts_empty(tables: dict[str, Table]) -> None:
    hidden = suppress(tables["pick"])
    rows = _csv(hidden)
    for row in hidden.rows:
        line = next(r for r in rows if r[:1] == [row.value])
        for index, group in enumerate(hidden.groups):
            if row.counts[group] is None:
                assert line[2 + 4 * index : 6 + 4 * index] == ["", "", "", ""]
