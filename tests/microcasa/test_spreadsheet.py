"""Reading an uploaded .xlsx safely: every limit is checked before the file is parsed."""

from __future__ import annotations

import io
import pathlib
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from microcasa.spreadsheet import MAX_FILE_BYTES, Refusal, XlsxRefused, open_xlsx

MB = 1024 * 1024


def workbook(**sheets: list[list[object]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes, max_rows: int = 100, sheets: list[str] | None = None) -> dict[str, Any]:
    with open_xlsx(data, max_rows, sheets) as found:
        return {name: list(rows) for name, rows in found.items()}


def refusal(data: bytes, max_rows: int = 100, sheets: list[str] | None = None) -> XlsxRefused:
    with pytest.raises(XlsxRefused) as refused:
        read(data, max_rows, sheets)
    return refused.value


def test_a_good_workbook_gives_its_rows_sheet_by_sheet() -> None:
    data = workbook(survey=[["type", "name"], ["integer", "age"]], choices=[["list_name"]])
    found = read(data, max_rows=2)
    assert list(found) == ["survey", "choices"]
    assert [row[:2] for row in found["survey"]] == [("type", "name"), ("integer", "age")]
    assert found["choices"][0][0] == "list_name"


def test_only_the_named_sheets_are_read_and_each_must_be_there() -> None:
    data = workbook(Matrix=[["dimension"]], History=[["changed_at"]] * 10)
    assert list(read(data, max_rows=2, sheets=["Matrix"])) == ["Matrix"]
    missing = refusal(data, sheets=["Matrix", "Evidence"])
    assert missing.refusal is Refusal.MISSING_SHEETS
    assert missing.details == {"missing": ["Evidence"], "found": ["Matrix", "History"]}


def test_a_sheet_longer_than_the_limit_is_refused_by_name() -> None:
    found = refusal(workbook(short=[["a"]], long=[["a"]] * 6), max_rows=5)
    assert (found.refusal, found.details) == (Refusal.TOO_MANY_ROWS, {"sheet": "long"})


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened() -> None:
    found = refusal(b"PK" + b"\0" * MAX_FILE_BYTES)
    assert (found.refusal, found.details) == (Refusal.TOO_LARGE, {"size": 10.0, "limit": 10})


@pytest.mark.parametrize(
    "data",
    [b"", b"dimension;label\n", b"%PDF-1.7\n" + bytes(200)],
    ids=["empty", "csv", "pdf"],
)
def test_bytes_that_are_not_a_zip_are_not_xlsx(data: bytes) -> None:
    assert refusal(data).refusal is Refusal.NOT_XLSX


def zip_of(members: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_is_not_xlsx() -> None:
    assert refusal(zip_of({"word/document.xml": "<w:document/>"})).refusal is Refusal.NOT_XLSX


def test_a_zip_that_unpacks_to_too_much_is_refused_without_unpacking_it() -> None:
    bomb = zip_of({"[Content_Types].xml": "<Types/>", "xl/media/image1.png": bytes(101 * MB)})
    assert len(bomb) < MB  # a ratio of over 100 to 1
    found = refusal(bomb)
    assert (found.refusal, found.details) == (Refusal.ZIP_BOMB, {"limit": 100})


def test_a_broken_workbook_is_corrupt_with_a_reason() -> None:
    found = refusal(zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<broken"}))
    assert found.refusal is Refusal.CORRUPT and found.details["reason"]


def test_xml_entities_are_refused_in_words() -> None:
    source = zipfile.ZipFile(io.BytesIO(workbook(Matrix=[["dimension"]])))
    members = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + members[sheet]
    found = refusal(zip_of(members))
    assert found.refusal is Refusal.CORRUPT
    assert found.details["reason"].startswith("it declares XML entities")


def test_cells_written_to_workbooks_keep_text_as_text(tmp_path: pathlib.Path) -> None:
    from openpyxl import Workbook, load_workbook

    from microcasa.spreadsheet import put_cell, stream_cell

    values = ["=1+1", "+SUM(A1)", "@cmd", "#N/A", "a\x01b", 12, None, 3.5]
    book = Workbook()
    for column, value in enumerate(values, start=1):
        put_cell(book.active, 1, column, value)
    streamed = Workbook(write_only=True)
    sheet = streamed.create_sheet("data")
    sheet.append([stream_cell(sheet, value) for value in values])
    for made, name in ((book, "normal.xlsx"), (streamed, "stream.xlsx")):
        made.save(tmp_path / name)
        row = next(load_workbook(tmp_path / name).worksheets[0].iter_rows())
        assert [cell.data_type for cell in row[:5]] == ["s"] * 5
        assert [cell.value for cell in row] == [
            "=1+1",
            "+SUM(A1)",
            "@cmd",
            "#N/A",
            "a\ufffdb",
            12,
            None,
            3.5,
        ]
