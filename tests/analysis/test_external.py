"""Frames from data collected elsewhere: every row judged by the engine, bad rows reported."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.external import DataError, DataRefused, load_external
from analysis.frame import Frame, RejectedRow
from analysis.variables import Kind
from survey.demo import BUNDLED_FORM
from survey.messages import Message
from tests.survey.fieldwork_support import csv_file, xlsx_file

FORM = BUNDLED_FORM.read_bytes()
PROFILE = ["a1", "a2", "a3", "a4", "a5"]
MY = ["MY", "public", "comprehensive", "5k_15k", "qa_officer"]
IT = ["IT", "private_nonprofit", "technical", "under_5k", "dean"]

SMALL = """
## survey
| type | name | label | calculation |
| --- | --- | --- | --- |
| integer | staff | Staff | |
| calculate | double | | ${staff} * 2 |

## settings
| form_id | version |
| --- | --- |
| small | 3 |
"""


def _load(data: bytes, filename: str = "answers.csv") -> Frame:
    return load_external(FORM, BUNDLED_FORM.name, data, filename)


def test_a_kobo_style_csv_becomes_a_frame_and_bad_rows_are_reported() -> None:
    data = csv_file(
        [
            [*PROFILE, "b1", "b4", "c1", "c2", "country", "language", "_uuid"],
            [*MY, "4", "short_course certificate", "emerging", "3", "MY", "ms", "u-1"],
            [*MY, "7", "", "emerging", "many", "DE", "de", "u-2"],
            ["", "", "", "", "", "", "", "", "", "", "", ""],
            [*IT, "dk", "", "none", "", "IT", "", "u-3"],
        ],
        delimiter=";",
    )
    assert data.startswith("\ufeff".encode())
    frame = load_external(FORM, BUNDLED_FORM.name, data, "kobo export.csv")
    assert list(frame.data.index) == [2, 5]
    assert frame.data.index.name == "row"
    assert frame.rejected == (
        RejectedRow(3, {"c2": (Message.INTEGER.text("en"),), "b1": (Message.CHOICE.text("en"),)}),
    )
    assert frame.rejected[0].describe().startswith("Row 3: c2: Enter a whole number")
    assert frame.notes == ("Columns that are not questions of the form, ignored: _uuid.",)

    data_frame = frame.data
    assert data_frame["b1"].dtype.ordered
    assert data_frame["b1"].tolist() == ["4", "dk"]
    assert frame.variable("b1").kind is Kind.LIKERT
    assert data_frame["b4/short_course"].tolist() == [1, pd.NA]
    assert data_frame["b4/certificate"].tolist() == [1, pd.NA]
    assert data_frame["b4"].tolist()[0] == "short_course certificate"
    assert str(data_frame["c2"].dtype) == "Int64"
    assert data_frame["c2"].tolist() == [3, pd.NA]
    assert data_frame["country"].tolist() == ["MY", "IT"]
    assert data_frame["institution_type"].tolist() == ["public", "private_nonprofit"]
    assert data_frame["language"].tolist()[0] == "Bahasa Melayu (ms)"
    assert pd.isna(data_frame["language"].tolist()[1])
    assert data_frame["form_version"].tolist() == ["2026112810", "2026112810"]
    assert data_frame["completed_at"].isna().all()
    assert frame.versions == ("2026112810",)
    assert frame.source.kind == "file"
    assert frame.source.description == (
        "3 rows of kobo export.csv judged against “microcasa_hei” version 2026112810 "
        "(microcasa_hei.xlsx): 2 kept, 1 rejected."
    )


def test_required_answers_and_meta_columns_are_checked_too() -> None:
    data = b"a1,a2,country,language\nMY,public,XX,tlh\n"
    frame = load_external(FORM, BUNDLED_FORM.name, data, "plain.csv")
    assert frame.data.empty
    (row,) = frame.rejected
    assert row.row == 2
    assert set(row.errors) == {"country", "language", "a3", "a4", "a5"}
    assert row.errors["a3"] == ("This question is required.",)
    assert row.errors["country"] == (DataError.COUNTRY.value,)
    assert "en, id, ms, fil, de, it, es" in row.errors["language"][0]


def test_an_xlsx_with_numbers_in_cells_is_read_like_its_text() -> None:
    data = xlsx_file(
        [
            [*PROFILE, "b1", "c1", "c2", "f4", "language", None],
            [*MY, 3, "established", 12, 2.5, "de", "a note without a header"],
            [*IT, 5.0, "established", "twelve", None, "it", None],
            [*IT, None, None, None, None, None, None],
        ]
    )
    frame = load_external(FORM, BUNDLED_FORM.name, data, "answers.xlsx")
    assert list(frame.data.index) == [2, 4]
    assert frame.data["b1"].tolist()[0] == "3"
    assert frame.data["c2"].tolist() == [12, pd.NA]
    assert frame.data["f4"].tolist()[0] == 2.5
    assert frame.data["language"].tolist()[0] == "Deutsch (de)"
    assert [(r.row, list(r.errors)) for r in frame.rejected] == [(3, ["c2"])]
    assert frame.notes == ()


def test_calculations_are_computed_not_read() -> None:
    frame = load_external(SMALL.encode(), "small.md", b"staff,double\n3,99\n", "small.csv")
    assert frame.data["double"].tolist() == ["6"]
    assert frame.data["staff"].tolist() == [3]
    assert frame.notes == (
        "Columns of calculations and notes, ignored (the engine computes calculations "
        "itself): double.",
    )


def test_files_too_large_or_too_long_are_refused() -> None:
    huge = b"a1\n" + b"MY\n" * (4 * 1024 * 1024)
    with pytest.raises(DataRefused) as refused:
        _load(huge)
    assert refused.value.error is DataError.TOO_LARGE
    assert refused.value.message == "The data file is 12.0 MB; files up to 10 MB can be read."
    long = b"staff\n" + b"1\n" * 100_001
    with pytest.raises(DataRefused) as refused:
        load_external(SMALL.encode(), "small.md", long, "long.csv")
    assert refused.value.error is DataError.TOO_MANY_ROWS
    assert "more than 100000 rows" in refused.value.message


@pytest.mark.parametrize(
    ("data", "filename", "error"),
    [
        (b"a1,a2,a1\nMY,public,MY\n", "dup.csv", DataError.DUPLICATE_COLUMN),
        (b"name,size\nUSM,big\n", "other.csv", DataError.NO_QUESTIONS),
        (b"", "empty.csv", DataError.EMPTY),
        ("a1,a3_other\nMY,Universit\xe9\n".encode("latin-1"), "latin.csv", DataError.NOT_UTF8),
        (b"\xd0\xcf\x11\xe0", "old.xls", DataError.OLD_EXCEL),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", DataError.UNREADABLE),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(
    data: bytes, filename: str, error: DataError
) -> None:
    with pytest.raises(DataRefused) as refused:
        _load(data, filename)
    assert refused.value.error is error
