"""Unsafe or broken uploads: each gives a clear FormInvalid quickly, in bounded memory."""

from __future__ import annotations

import io
import random
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import openpyxl
import openpyxl.xml
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.xml import functions as openpyxl_xml

from survey.xlsform import FormInvalid, FormIssue, ReadResult, read_xlsx
from survey.xlsform.sheets import MAX_ROWS, read_markdown, write_workbook

MB = 1024 * 1024
QUESTIONNAIRE = """
## survey

| type | name | label |
| --- | --- | --- |
| text | village | Village |
| integer | age | Age |
"""

# The smallest workbook Excel would open, written by hand so that the XML of
# its parts can be anything a test needs.
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE x [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def sheet_xml(doctype: str = "", label_cell: str = '<c r="C2" t="s"><v>5</v></c>') -> str:
    """survey: type | name | label, then text | age | (label_cell); strings 0–5 shared."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row><row r="2"><c r="A2" t="s"><v>3</v></c>'
        f'<c r="B2" t="s"><v>4</v></c>{label_cell}</row></sheetData></worksheet>'
    )


def strings_xml(doctype: str = "", label: str = "Age") -> str:
    items = "".join(f"<si><t>{s}</t></si>" for s in ("type", "name", "label", "text", "age", label))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{items}</sst>"
    )


def handmade(sheet: str | None = None, strings: str | None = None, padding_mb: int = 0) -> bytes:
    """The handmade workbook; ``padding_mb`` of spaces in an XML comment before the rows."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", strings or strings_xml())
        head, rows = (sheet or sheet_xml()).split("<sheetData>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            member.write(head.encode() + b"<!-- ")
            for _ in range(padding_mb):  # in chunks, so that the test itself stays light
                member.write(b" " * MB)
            member.write(b" --><sheetData>" + rows.encode())
    return buffer.getvalue()


def refused(data: bytes, filename: str = "upload.xlsx") -> FormIssue:
    """The single error of an upload that cannot be read, with a message for the author."""
    with pytest.raises(FormInvalid) as caught:
        read_xlsx(data, filename)
    (found,) = caught.value.errors
    assert found.message and "{" not in found.message
    return found


@contextmanager
def bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """The block must finish within ``seconds`` and allocate at most ``megabytes``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes * MB, f"peak {peak / MB:.0f} MB"


def test_openpyxl_parses_workbooks_with_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl_xml.iterparse.__module__.startswith("defusedxml")


def test_the_handmade_workbook_is_a_valid_questionnaire() -> None:
    form = read_xlsx(handmade(), "handmade.xlsx").form
    assert [(q.name, dict(q.labels)) for q in form.questions] == [("age", {"default": "Age"})]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"type,name,label\ntext,age,Age\n",
        b"%PDF-1.7\n" + bytes(200),
        random.Random(7).randbytes(5000),
        b"PK\x03\x04" + random.Random(8).randbytes(500),
    ],
    ids=["empty", "csv", "pdf", "random", "zip-signature-then-noise"],
)
def test_bytes_that_are_no_workbook(data: bytes) -> None:
    assert refused(data).code == "NOT_XLSX"


def zip_of(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": "<w:document/>"},
        {"xl/workbook.xml": WORKBOOK},
        {"notes.txt": "hello"},
    ],
    ids=["docx", "no-content-types", "plain-zip"],
)
def test_a_zip_that_is_no_workbook(members: dict[str, str]) -> None:
    found = refused(zip_of(members), "report.docx")
    assert found.code == "NOT_XLSX" and ".xlsx" in found.message


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.1], ids=["half", "most", "a-tenth"])
def test_a_truncated_workbook(keep: float) -> None:
    data = write_workbook(read_markdown(QUESTIONNAIRE))
    found = refused(data[: int(len(data) * keep)])
    assert found.code in ("CORRUPT", "NOT_XLSX")


def test_a_workbook_with_damaged_compressed_data() -> None:
    data = bytearray(handmade())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename)
    for offset in range(start + 4, start + 24):
        data[offset] ^= 0xFF
    found = refused(bytes(data))
    assert found.code == "CORRUPT" and "cannot be opened" in found.message


def test_a_zip_directory_asking_for_an_unknown_zip_version() -> None:
    data = bytearray(handmade())
    at = data.find(b"PK\x01\x02")
    data[at + 6] = 100  # "version needed to extract": 10.0
    found = refused(bytes(data))  # zipfile raises NotImplementedError here, not BadZipFile
    assert found.code == "CORRUPT" and "zip file version 10.0" in found.message


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A valid questionnaire that also holds 200 MB of zeros (about 200 kB packed)."""
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(write_workbook(read_markdown(QUESTIONNAIRE))))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        with archive.open("xl/media/image1.png", "w", force_zip64=True) as member:
            chunk = bytes(MB)
            for _ in range(200):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_without_unpacking_it(zip_bomb: bytes) -> None:
    assert len(zip_bomb) < 2 * MB
    with bounded(seconds=2, megabytes=20):
        found = refused(zip_bomb)
    assert found.code == "ZIP_BOMB" and "100 MB" in found.message


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name`` claiming ``size`` bytes unpacked, in both of its headers."""
    patched = bytearray(data)
    encoded = name.encode()
    for signature, name_length_at, name_at, size_at in (
        (b"PK\x03\x04", 26, 30, 22),  # local file header
        (b"PK\x01\x02", 28, 46, 24),  # central directory entry
    ):
        at = patched.find(signature)
        while at != -1:
            (length,) = struct.unpack_from("<H", patched, at + name_length_at)
            if patched[at + name_at : at + name_at + length] == encoded:
                struct.pack_into("<I", patched, at + size_at, size)
            at = patched.find(signature, at + 4)
    return bytes(patched)


def test_a_zip_that_lies_about_its_unpacked_size_is_still_bounded() -> None:
    data = lie_about_size(handmade(padding_mb=60), "xl/worksheets/sheet1.xml", 1000)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()) < MB
    with bounded(seconds=3, megabytes=40):
        found = refused(data)
    assert found.code == "CORRUPT"


@pytest.mark.parametrize(
    "data",
    [
        handmade(strings=strings_xml(XXE, "&xxe;")),
        handmade(sheet=sheet_xml(XXE, '<c r="C2" t="inlineStr"><is><t>&xxe;</t></is></c>')),
    ],
    ids=["shared-strings", "worksheet"],
)
def test_an_external_entity_is_refused_and_never_read(data: bytes) -> None:
    with pytest.raises(FormInvalid) as caught:
        read_xlsx(data, "xxe.xlsx")
    assert [i.code for i in caught.value.issues] == ["CORRUPT"]
    everything = " ".join(str(v) for i in caught.value.issues for v in i.as_dict().values())
    assert "root:" not in everything and "/bin/" not in everything
    assert "XML entities" in caught.value.issues[0].message


@pytest.mark.parametrize(
    "data",
    [
        handmade(strings=strings_xml(LAUGHS, "&lol9;")),
        handmade(sheet=sheet_xml(LAUGHS, '<c r="C2" t="inlineStr"><is><t>&lol9;</t></is></c>')),
    ],
    ids=["shared-strings", "worksheet"],
)
def test_a_billion_laughs_is_refused_quickly(data: bytes) -> None:
    with bounded(seconds=2, megabytes=30):
        found = refused(data)
    assert found.code == "CORRUPT"


def test_an_internal_entity_is_refused_too() -> None:
    doctype = '<!DOCTYPE x [<!ENTITY greeting "Hello">]>'
    assert refused(handmade(strings=strings_xml(doctype, "&greeting;"))).code == "CORRUPT"


def rows_workbook(sheet: str, count: int) -> bytes:
    """A questionnaire whose ``sheet`` has ``count`` rows under its header."""
    workbook = openpyxl.Workbook(write_only=True)
    survey = workbook.create_sheet("survey")
    survey.append(["type", "name", "label"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    target = survey if sheet == "survey" else choices
    for n in range(count):
        target.append(["text", f"q{n}", "Q"] if sheet == "survey" else ["l", f"c{n}", "C"])
    if sheet == "choices":
        survey.append(["select_one l", "q", "Q"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("sheet", ["survey", "choices"])
def test_too_many_rows_names_the_sheet(sheet: str) -> None:
    found = refused(rows_workbook(sheet, MAX_ROWS + 1))
    assert (found.code, found.sheet) == ("TOO_MANY_ROWS", sheet)
    assert f"The {sheet} sheet" in found.message and "5000" in found.message


def test_the_largest_questionnaire_is_accepted() -> None:
    assert len(read_xlsx(rows_workbook("survey", MAX_ROWS)).form.questions) == MAX_ROWS


def test_a_file_over_10_mb() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        source = zipfile.ZipFile(io.BytesIO(write_workbook(read_markdown(QUESTIONNAIRE))))
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        archive.writestr("xl/media/photo.jpg", random.Random(3).randbytes(11 * MB))
    data = buffer.getvalue()
    assert len(data) > 10 * MB
    found = refused(data)
    assert found.code == "TOO_LARGE"
    assert "11.0 MB" in found.message and "10 MB" in found.message


def test_cells_typed_by_excel_are_read_as_the_author_sees_them() -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "Survey"  # sheet names are matched whatever their case
    for row in (
        ["type", "name", "label", "required", "default"],
        ["select_one n", "rating", "Rating", True, None],
        ["date", "visit", "Visit", False, date(2024, 1, 31)],
        ["integer", "n", 42, None, 1.0],
    ):
        survey.append(row)
    choices = workbook.create_sheet("choices")
    for row in (["list_name", "name", "label"], ["n", 1, "One"], ["n", 2.0, "Two"]):
        choices.append(row)
    settings_sheet = workbook.create_sheet("settings")
    settings_sheet.append(["form_id", "version"])
    settings_sheet.append(["typed", 2026112801])
    buffer = io.BytesIO()
    workbook.save(buffer)
    form = read_xlsx(buffer.getvalue()).form
    assert form.version == "2026112801"
    assert form.choices["n"].names() == ("1", "2")
    assert form.question("rating").required == "true"
    assert form.question("visit").required == ""
    assert form.question("visit").default == "2024-01-31"
    assert dict(form.question("n").labels) == {"default": "42"}
    assert form.question("n").default == "1"


def outcome(read: Callable[[], ReadResult]) -> str:
    """Whether the upload was read or refused (refused with messages); anything else escapes."""
    try:
        read()
    except FormInvalid as exc:
        refusal = exc
    else:
        return "read"
    assert refusal.errors and all(i.message for i in refusal.issues)
    return "refused"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_any_bytes_give_a_form_or_form_invalid(data: bytes) -> None:
    assert outcome(lambda: read_xlsx(data)) == "refused"


VALID = handmade()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)), min_size=1, max_size=8
    )
)
def test_a_damaged_workbook_gives_a_form_or_form_invalid(flips: list[tuple[int, int]]) -> None:
    data = bytearray(VALID)
    for offset, mask in flips:
        data[offset] ^= mask
    assert outcome(lambda: read_xlsx(bytes(data))) in ("read", "refused")
