"""The codebook: one entry per column of the data files, with labels, codes and logic."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from analysis.frame import load_responses
from analysis.synthetic import load_synthetic
from exports.codebook import (
    CodebookChoice,
    codebook,
    codebook_table,
    forms_of,
    languages_of,
    stats_names,
    write_codebook,
)
from microcasa.db import Database
from tests.exports.test_data import HEADER
from tests.exports.test_data_support import FORMULA, filled, frame_and_forms


def test_an_entry_per_data_column_with_kinds_codes_and_logic(database: Database) -> None:
    filled(database, 4)
    frame, forms = frame_and_forms(database)
    entries = codebook(frame, forms)
    assert [entry.column for entry in entries] == HEADER
    by = {entry.column: entry for entry in entries}
    assert by["respondent"].kind == "meta" and by["respondent"].question == ""
    assert by["completed_at"].measure == "scale"
    agree = by["q_agree"]
    assert (agree.kind, agree.type, agree.measure) == ("likert", "select_one agree", "ordinal")
    assert agree.labels == {"en": "Do you agree?", "ms": "Adakah anda setuju?"}
    assert agree.choices[-1] == CodebookChoice(
        "dk", 4, {"en": "Don't know", "ms": "Tidak tahu"}, missing=True
    )
    assert [c.value for c in agree.choices] == [1, 2, 3, 4]
    assert agree.relevance == "${q_num} >= 0"  # from its group
    pick = by["q_pick"]
    assert [(c.name, c.value, c.missing) for c in pick.choices] == [
        ("x", 1, False),
        ("y", 2, False),
        ("refused", 3, True),
        ("na", 4, True),
    ]
    assert by["q_opts"].kind == "multiple" and by["q_opts"].choices[0].value is None
    option = by["q_opts/o2"]
    assert (option.kind, option.question, option.measure) == ("option", "q_opts", "nominal")
    assert option.labels["ms"] == "Pilihan: Pilihan dua"
    assert by["q_num"].constraint == ". >= 0" and by["q_num"].measure == "scale"
    assert by["q_dec"].relevance == "${q_num} > 1"
    assert by["q_text"].versions == ("1",)
    assert languages_of(forms) == ("en", "ms")


def test_likert_scales_keep_their_points_and_missing_codes_follow(database: Database) -> None:
    with database.transaction() as session:
        load_synthetic(session, 20, seed=5)
    with database.session() as session:
        frame = load_responses(session, "microcasa_hei")
        forms = forms_of(session, "microcasa_hei", frame.versions)
    by = {entry.column: entry for entry in codebook(frame, forms)}
    b1 = by["b1"]
    assert [(c.name, c.value) for c in b1.choices] == [
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("4", 4),
        ("5", 5),
        ("dk", 6),
    ]
    assert "b4/short_course" in by and by["b4"].type == "select_multiple mc_terms"
    assert by["a1_other"].relevance == "selected(${a1}, 'other')"
    assert set(languages_of(forms)) == {"en", "id", "ms", "fil", "de", "it", "es"}


def test_the_table_names_labels_per_language_and_codes(database: Database) -> None:
    filled(database, 2)
    frame, forms = frame_and_forms(database)
    header, rows = codebook_table(codebook(frame, forms), ["en", "ms"])
    assert header == [
        "name",
        "sav_dta_name",
        "label_en",
        "label_ms",
        "type",
        "kind",
        "measure",
        "choices",
        "relevance",
        "constraint",
        "versions",
    ]
    row = {r[0]: r for r in rows}
    assert row["q_pick"][7] == "1=x; 2=y; 3=refused (missing); 4=na (missing)"
    assert row["q_opts"][7] == "o1; o2"
    assert row["q_opts/o1"][1] == "q_opts_o1"
    assert row["q_agree"][2:4] == ["Do you agree?", "Adakah anda setuju?"]
    assert row["country"][3] == "Country (ISO 3166-1 alpha-2)"  # meta: English for every language


def test_names_for_spss_and_stata_are_valid_and_unique() -> None:
    long = "a" * 40
    names = stats_names(
        ["b4/short_course", "_country", "country", "2nd", "in", long, long + "x", "é-t"]
    )
    assert names["b4/short_course"] == "b4_short_course"
    assert names["_country"] == "v_country" and names["country"] == "country"
    assert names["2nd"] == "v_2nd" and names["in"] == "v_in"
    assert names[long] == "a" * 32 and names[long + "x"] == "a" * 30 + "_2"
    assert names["é-t"] == "v_t"
    for name in names.values():
        assert len(name) <= 32 and name[0].isalpha()
        assert all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)


def test_the_codebook_file_as_xlsx_and_csv_keeps_text_as_text(
    database: Database, tmp_path: Path
) -> None:
    filled(database, 2)
    frame, forms = frame_and_forms(database)
    entries = codebook(frame, forms)
    write_codebook(entries, ["en", "ms"], tmp_path / "codebook.xlsx")
    sheet = load_workbook(tmp_path / "codebook.xlsx")["codebook"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet["A1"].value == "name" and sheet["A1"].font.b
    assert sheet.max_row == len(entries) + 1
    write_codebook(entries, ["en", "ms"], tmp_path / "codebook.csv")
    with open(tmp_path / "codebook.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0][:4] == ["name", "sav_dta_name", "label_en", "label_ms"]
    assert [row[0] for row in rows[1:]] == HEADER
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    pick = next(row for row in rows if row[0] == "q_pick")
    assert pick[8] == "" and "1=x" in pick[7]
    assert FORMULA not in {cell.value for cell in cells}  # choice labels are not in the table
