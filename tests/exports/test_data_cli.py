"""``microcasa export data`` and ``microcasa export codebook``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
from click.testing import CliRunner
from openpyxl import load_workbook

from analysis.synthetic import load_synthetic
from microcasa.cli import main
from microcasa.db import Database
from survey import versions
from tests.conftest import TEST_SECRET
from tests.exports.test_data import HEADER
from tests.exports.test_data_support import FORM, FORM_ID, filled, publish_form, store_partial


def _invoke(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}
    result = CliRunner().invoke(main, ["export", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_every_format_of_the_bundled_questionnaire_by_default(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    with database.transaction() as session:
        load_synthetic(session, 30, seed=2)
    for file_format in ("csv", "xlsx", "sav", "dta"):
        out = tmp_path / f"hei.{file_format}"
        code, _stdout, stderr = _invoke(database_url, "data", "--format", file_format, str(out))
        assert code == 0, stderr
        assert stderr.strip().endswith(f"30 responses to microcasa_hei written to {out}")
    assert len(pd.read_csv(tmp_path / "hei.csv")) == 30
    assert load_workbook(tmp_path / "hei.xlsx", read_only=True)["data"].max_row == 31
    _data, meta = pyreadstat.read_sav(tmp_path / "hei.sav")
    assert meta.number_rows == 30 and "b4_short_course" in meta.column_names
    assert meta.variable_value_labels["b1"][6.0] == "Don't know / cannot say"
    _data, meta = pyreadstat.read_dta(tmp_path / "hei.dta")
    assert meta.number_rows == 30


def test_labels_language_bom_and_partial(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    filled(database, 3)
    with database.transaction() as session:
        store_partial(session, {"q_agree": "3"})
    out = tmp_path / "labels.csv"
    args = ["--form", FORM_ID, "--labels", "--language", "ms", "--bom", "--partial"]
    code, _stdout, stderr = _invoke(database_url, "data", "--format", "csv", str(out), *args)
    assert code == 0, stderr
    read = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(read.columns) == [*HEADER, "status"]
    assert read["q_agree"].tolist() == ["Tidak setuju", "Neutral", "Setuju", "Setuju"]
    assert read["status"].tolist() == ["complete"] * 3 + ["partial"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    # The only questionnaire is the default when the bundled one is not there.
    code, _stdout, stderr = _invoke(database_url, "data", "--format", "csv", str(out))
    assert code == 0, stderr
    assert len(pd.read_csv(out)) == 3


def test_the_codebook_as_xlsx_and_csv(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    publish_form(database)
    code, _stdout, stderr = _invoke(database_url, "codebook", str(tmp_path / "cb.xlsx"))
    assert code == 0, stderr
    sheet = load_workbook(tmp_path / "cb.xlsx")["codebook"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == HEADER
    code, _stdout, stderr = _invoke(database_url, "codebook", str(tmp_path / "cb.csv"))
    assert code == 0, stderr
    assert (
        stderr.strip() == f"{len(HEADER)} columns of {FORM_ID} described in {tmp_path / 'cb.csv'}"
    )
    assert pd.read_csv(tmp_path / "cb.csv")["name"].tolist() == HEADER


def test_errors_are_one_line_and_exit_1(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    publish_form(database)
    cases = [
        (["data", "--format", "csv", "--form", "nope", str(tmp_path / "x.csv")], "nope"),
        (["data", "--format", "csv", str(tmp_path / "missing" / "x.csv")], "cannot write"),
        (["codebook", str(tmp_path / "cb.txt")], ".xlsx or .csv"),
    ]
    for args, words in cases:
        code, _stdout, stderr = _invoke(database_url, *args)
        assert code == 1
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert stderr.startswith("microcasa: error: ") and words in stderr
    code, _stdout, stderr = _invoke(database_url, "data", "--format", "json", "x")
    assert code == 2 and "json" in stderr  # click's own usage error


def test_several_questionnaires_need_form(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    publish_form(database)
    with database.transaction() as session:
        other = FORM.replace(FORM_ID, "other_form").encode()
        versions.publish(session, other, "other_form.md", publisher="tester")
    code, _stdout, stderr = _invoke(database_url, "data", "--format", "csv", str(tmp_path / "x"))
    assert code == 1 and "--form is needed" in stderr
