"""Data files read back: CSV (pandas), XLSX (openpyxl), .sav and .dta (pyreadstat)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from analysis.frame import Frame
from exports import data as data_module
from exports.data import ContactData, pseudonyms, write_data
from microcasa.db import Database
from tests.conftest import TEST_SECRET
from tests.exports.test_data_support import (
    CORPUS,
    FORM_ID,
    FORMULA,
    FORMULA_LIKE,
    answers,
    filled,
    frame_and_forms,
    store_partial,
)

HEADER = [
    "respondent",
    "country",
    "institution_type",
    "language",
    "form_version",
    "completed_at",
    "synthetic",
    "q_agree",
    "q_pick",
    "q_opts",
    "q_opts/o1",
    "q_opts/o2",
    "q_num",
    "q_dec",
    "q_text",
    "q_date",
]


def _write(frame: Frame, tmp_path: Path, file_format: str, **options: Any) -> Path:
    out = tmp_path / f"data.{file_format}"
    assert write_data(frame, out, file_format, secret=TEST_SECRET, **options) == len(frame.data)
    return out


def _csv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def _safe(text: str) -> str:
    return "'" + text if text in FORMULA_LIKE else text


def test_csv_codes_read_back_equal_to_the_frame(database: Database, tmp_path: Path) -> None:
    ids = filled(database)
    frame, _forms = frame_and_forms(database)
    read = _csv(_write(frame, tmp_path, "csv"))
    assert list(read.columns) == HEADER
    assert len(read) == len(ids) == 12
    data = frame.data
    assert read["q_agree"].tolist() == data["q_agree"].astype(str).tolist()
    assert read["q_pick"].tolist() == data["q_pick"].astype(str).tolist()
    assert read["q_opts"].tolist() == data["q_opts"].fillna("").tolist()
    assert read["q_opts/o1"].tolist() == [str(v) if pd.notna(v) else "" for v in data["q_opts/o1"]]
    assert read["q_num"].astype(int).tolist() == data["q_num"].tolist()
    assert read["q_dec"].tolist()[:3] == ["", "", "0.5"]
    assert read["q_text"].tolist() == [_safe(text) for text in data["q_text"]]
    assert read["q_date"].tolist()[:2] == ["2026-01-10", "2026-02-11"]
    assert read["country"].tolist() == ["MY"] * 12
    stamps = pd.to_datetime(read["completed_at"], utc=True, format="ISO8601")
    assert (stamps == data["completed_at"].reset_index(drop=True)).all()
    # Numbers stay numbers for pandas.
    numbers = pd.read_csv(tmp_path / "data.csv")
    assert pd.api.types.is_integer_dtype(numbers["q_num"].dtype)
    assert pd.api.types.is_float_dtype(numbers["q_dec"].dtype)


def test_csv_labels_in_a_language_with_an_excel_bom(database: Database, tmp_path: Path) -> None:
    filled(database, 4)
    frame, _forms = frame_and_forms(database)
    path = _write(frame, tmp_path, "csv", labels=True, language="ms", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfrespondent,")
    read = _csv(path, encoding="utf-8-sig")
    assert read["q_agree"].tolist() == ["Tidak setuju", "Neutral", "Setuju", "Tidak tahu"]
    assert read["q_pick"].tolist() == ["'" + FORMULA, "Biasa", "Enggan", "Tidak berkenaan"]
    assert read["q_opts"].tolist() == ["", "Pilihan satu", "Pilihan satu; Pilihan dua", ""]
    assert read["q_opts/o2"].tolist() == ["", "0", "1", ""]
    english = _csv(_write(frame, tmp_path, "csv", labels=True, language="en"))
    assert english["q_agree"].tolist()[0] == "Disagree"


def test_xlsx_cells_are_typed_and_never_formulas(database: Database, tmp_path: Path) -> None:
    filled(database)
    frame, _forms = frame_and_forms(database)
    sheet = load_workbook(_write(frame, tmp_path, "xlsx"))["data"]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADER
    assert all(cell.data_type != "f" for row in rows for cell in row)
    by = {name: at for at, name in enumerate(HEADER)}
    texts = [row[by["q_text"]].value for row in rows[1:]]
    assert texts == frame.data["q_text"].tolist()  # the corpus intact, as text
    assert all(row[by["q_text"]].data_type == "s" for row in rows[1:])
    assert [row[by["q_num"]].value for row in rows[1:]] == list(range(12))
    assert all(row[by["q_num"]].data_type == "n" for row in rows[1:])
    assert rows[3][by["q_dec"]].value == 0.5
    assert [row[by["q_opts/o1"]].value for row in rows[1:4]] == [None, 1, 1]
    assert rows[1][by["q_agree"]].value == "1" and rows[1][by["q_agree"]].data_type == "s"
    when = rows[1][by["completed_at"]]
    assert when.is_date
    expected = frame.data["completed_at"].iloc[0].tz_convert(None).to_pydatetime()
    assert abs((when.value - expected).total_seconds()) < 0.001
    assert rows[1][by["q_date"]].value.date().isoformat() == "2026-01-10"
    assert sheet.freeze_panes == "A2"
    assert len({row[0].value for row in rows[1:]}) == 12


def test_xlsx_labels(database: Database, tmp_path: Path) -> None:
    filled(database, 2)
    frame, _forms = frame_and_forms(database)
    sheet = load_workbook(_write(frame, tmp_path, "xlsx", labels=True, language="en"))["data"]
    pick = HEADER.index("q_pick")
    cell = next(sheet.iter_rows(min_row=2, max_row=2))[pick]
    assert (cell.value, cell.data_type) == (FORMULA, "s")


def test_sav_keeps_labels_missing_values_and_measures(database: Database, tmp_path: Path) -> None:
    filled(database)
    frame, _forms = frame_and_forms(database)
    read, meta = pyreadstat.read_sav(_write(frame, tmp_path, "sav"), user_missing=True)
    assert list(read.columns) == [name.replace("/", "_") for name in HEADER]
    labels = meta.column_names_to_labels
    assert labels["q_agree"] == "Do you agree?"
    assert labels["q_opts_o1"] == "Options: Option one"
    assert meta.variable_value_labels["q_agree"] == {
        1.0: "Disagree",
        2.0: "Neutral",
        3.0: "Agree",
        4.0: "Don't know",
    }
    assert meta.variable_value_labels["q_pick"][1.0] == FORMULA
    assert meta.variable_value_labels["q_opts_o2"] == {0.0: "not selected", 1.0: "selected"}
    # User-missing codes survive as values, declared missing.
    assert read["q_agree"].tolist()[:4] == [1.0, 2.0, 3.0, 4.0]
    assert meta.missing_ranges["q_agree"] == [{"lo": 4.0, "hi": 4.0}]
    assert sorted(r["lo"] for r in meta.missing_ranges["q_pick"]) == [3.0, 4.0]
    plain, _meta = pyreadstat.read_sav(tmp_path / "data.sav")
    assert plain["q_agree"].isna().tolist()[:4] == [False, False, False, True]
    assert meta.variable_measure["q_agree"] == "ordinal"
    assert meta.variable_measure["q_pick"] == "nominal"
    assert meta.variable_measure["q_num"] == "scale"
    assert read["q_text"].tolist() == frame.data["q_text"].tolist()
    assert read["q_num"].tolist() == list(range(12))
    assert pd.isna(read["q_opts_o1"][0])  # not answered
    assert read["q_opts_o2"].tolist()[1:3] == [0.0, 1.0]
    assert read["respondent"].tolist() == pseudonyms(frame, TEST_SECRET)
    assert str(read["q_date"].iloc[0])[:10] == "2026-01-10"


def test_dta_keeps_value_labels_and_user_missing_as_extended_missing(
    database: Database, tmp_path: Path
) -> None:
    filled(database)
    frame, _forms = frame_and_forms(database)
    path = _write(frame, tmp_path, "dta", language="ms")
    read, meta = pyreadstat.read_dta(path, user_missing=True)
    assert list(read.columns) == [name.replace("/", "_") for name in HEADER]
    assert meta.column_names_to_labels["q_agree"] == "Adakah anda setuju?"
    assert meta.variable_value_labels["q_agree"] == {
        1: "Tidak setuju",
        2: "Neutral",
        3: "Setuju",
        "a": "Tidak tahu",
    }
    assert meta.variable_value_labels["q_pick"]["b"] == "Tidak berkenaan"
    assert meta.missing_user_values["q_pick"] == ["a", "b"]
    assert read["q_agree"].tolist()[:4] == [1, 2, 3, "a"]
    assert read["q_pick"].tolist()[:4] == [1, 2, "a", "b"]
    plain, labelled = pyreadstat.read_dta(path, apply_value_formats=True)
    assert plain["q_agree"].tolist()[:3] == ["Tidak setuju", "Neutral", "Setuju"]
    assert pd.isna(plain["q_agree"][3])  # "don't know": missing to Stata
    assert labelled.variable_value_labels["q_opts_o1"] == {0: "not selected", 1: "selected"}
    assert read["q_text"].tolist() == frame.data["q_text"].tolist()


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "sav", "dta"])
def test_partial_responses_only_on_request(
    database: Database, tmp_path: Path, file_format: str
) -> None:
    filled(database, 2)
    with database.transaction() as session:
        store_partial(session, {"q_agree": "2", "q_text": "half"})
    complete, _forms = frame_and_forms(database)
    both, _forms = frame_and_forms(database, include_partial=True)
    assert len(complete.data) == 2 and len(both.data) == 3
    path = _write(both, tmp_path, file_format)
    if file_format == "csv":
        read = _csv(path)
    elif file_format == "xlsx":
        values = list(load_workbook(path)["data"].iter_rows(values_only=True))
        read = pd.DataFrame(values[1:], columns=values[0])
    else:
        reader = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
        read = reader(path)[0]
    assert list(read.columns)[-1] == "status"
    assert read["status"].tolist() == ["complete", "complete", "partial"]
    assert "status" not in _csv(_write(complete, tmp_path, "csv")).columns


def test_respondents_are_pseudonymous(database: Database, tmp_path: Path) -> None:
    ids = filled(database)
    frame, _forms = frame_and_forms(database)
    names = pseudonyms(frame, TEST_SECRET)
    key = TEST_SECRET.encode()
    assert (
        names[0] == hmac.new(key, f"{FORM_ID}:{ids[0]}".encode(), hashlib.sha256).hexdigest()[:12]
    )
    assert len(set(names)) == len(ids) and all(len(n) == 12 for n in names)
    assert pseudonyms(frame, "another-secret") != names  # only the platform's secret gives them
    assert pseudonyms(frame, TEST_SECRET) == names  # stable from one export to the next
    read = _csv(_write(frame, tmp_path, "csv"))
    assert read["respondent"].tolist() == names
    # The database ids are nowhere in the file's respondent column, nor a column of their own.
    assert not {str(i) for i in ids} & set(read["respondent"])
    assert "response" not in read.columns and "id" not in read.columns
    # Without the secret no guess over the id space reproduces a pseudonym.
    guesses = {hashlib.sha256(f"{FORM_ID}:{i}".encode()).hexdigest()[:12] for i in range(1, 10_000)}
    assert not guesses & set(names)


def test_contact_data_is_never_written(database: Database, tmp_path: Path) -> None:
    filled(database, 2)
    frame, _forms = frame_and_forms(database)
    with_email = replace(frame, data=frame.data.assign(email=["a@b.c", "d@e.f"]))
    with pytest.raises(ContactData, match="email"):
        write_data(with_email, tmp_path / "x.csv", "csv", secret=TEST_SECRET)
    assert not (tmp_path / "x.csv").exists()


def test_the_formula_corpus_through_every_format(database: Database, tmp_path: Path) -> None:
    filled(database, len(CORPUS))
    frame, _forms = frame_and_forms(database)
    # CSV: formula-like text gets a leading apostrophe, everything else is intact.
    with open(_write(frame, tmp_path, "csv"), encoding="utf-8", newline="") as file:
        cells = list(csv.reader(file))
    text = HEADER.index("q_text")
    assert [row[text] for row in cells[1:]] == [_safe(t) for t in CORPUS]
    assert [row[HEADER.index("q_num")] for row in cells[1:]] == [str(i) for i in range(10)]
    labelled = _csv(_write(frame, tmp_path, "csv", labels=True))
    assert labelled["q_pick"].tolist()[0] == "'" + FORMULA
    # XLSX, codes and labels: no formula cell anywhere, text as written.
    for labels in (False, True):
        book = load_workbook(_write(frame, tmp_path, "xlsx", labels=labels))
        cells_x = [cell for row in book["data"].iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells_x)
        assert [row[text].value for row in book["data"].iter_rows(min_row=2)] == list(CORPUS)
    # .sav / .dta are not spreadsheets: the text is kept exactly.
    assert pyreadstat.read_sav(_write(frame, tmp_path, "sav"))[0]["q_text"].tolist() == list(CORPUS)
    assert pyreadstat.read_dta(_write(frame, tmp_path, "dta"))[0]["q_text"].tolist() == list(CORPUS)


def test_rows_stream_in_chunks_with_progress(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled(database, 7)
    frame, _forms = frame_and_forms(database)
    monkeypatch.setattr(data_module, "CHUNK", 3)
    for file_format in ("csv", "xlsx"):
        seen: list[int] = []
        out = tmp_path / f"streamed.{file_format}"
        write_data(frame, out, file_format, secret=TEST_SECRET, progress=seen.append)
        assert seen == [3, 6, 7]
    read = _csv(tmp_path / "streamed.csv")
    assert read["q_num"].tolist() == [str(i) for i in range(7)]
    assert read["q_text"].tolist() == [_safe(answers(i)["q_text"]) for i in range(7)]


def test_an_unknown_format_is_refused(database: Database, tmp_path: Path) -> None:
    filled(database, 1)
    frame, _forms = frame_and_forms(database)
    with pytest.raises(ValueError, match="unknown format"):
        write_data(frame, io.StringIO(), "json", secret=TEST_SECRET)  # type: ignore[arg-type]
