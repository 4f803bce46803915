"""``microcasa analyze``: the report as JSON, from the database or from files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from analysis.synthetic import COUNTRIES, load_synthetic
from microcasa.cli import main
from microcasa.db import Database
from tests.analysis.test_report import FORM, HEADER, ROWS
from tests.conftest import TEST_SECRET
from tests.survey.fieldwork_support import csv_file


def _invoke(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}
    result = CliRunner().invoke(main, ["analyze", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _files(tmp_path: Path) -> tuple[str, str]:
    form, data = tmp_path / "form.md", tmp_path / "data.csv"
    form.write_text(FORM, encoding="utf-8")
    data.write_bytes(csv_file([HEADER, *ROWS, ("XX", "public", "maybe", "5", "", 1)]))
    return str(form), str(data)


def test_analyze_the_database_writes_six_countries_and_a_total(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    with database.transaction() as session:
        assert load_synthetic(session, 120, seed=11) == 120
    out = tmp_path / "report.json"
    code, _stdout, stderr = _invoke(database_url, "--form", "microcasa_hei", "--json", str(out))
    assert code == 0, stderr
    assert stderr.strip().endswith("of 120 responses by country")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["provenance"]["source_kind"] == "database"
    assert set(data["provenance"]["n"]) == {*COUNTRIES, "Total"}
    assert data["provenance"]["n"]["Total"] == 120
    assert data["provenance"]["fieldwork_start"] is not None
    categorical = next(t for t in data["tables"] if t["kind"] == "categorical")
    assert len(categorical["groups"]) == 7 and categorical["groups"][-1] == "Total"
    assert [s["name"] for s in data["sections"]][:2] == ["a_profile", "b_awareness"]
    kinds = {table["kind"] for table in data["tables"]}
    assert {"categorical", "likert", "multiple"} <= kinds
    assert data["synthetic"] is True  # the demo generator's responses are flagged
    assert data["method_notes"][0].startswith("SYNTHETIC DEMO DATA")


def test_analyze_an_unknown_form_fails_in_one_line(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    code, _stdout, stderr = _invoke(database_url, "--form", "nope", "--json", "-")
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith("microcasa: error: ") and "nope" in stderr


def test_analyze_files_to_stdout_counts_rejected_rows(tmp_path: Path) -> None:
    form, data = _files(tmp_path)
    code, stdout, stderr = _invoke("sqlite://", "--xlsform", form, "--data", data, "--json", "-")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["provenance"]["n"] == {"IT": 4, "MY": 5, "Total": 9}
    assert report["provenance"]["rejected_rows"] == 1
    assert stderr.strip() == "5 tables of 9 responses by country, 1 row rejected"
    assert report["synthetic"] is False


def test_analyze_by_a_question_with_a_filter(tmp_path: Path) -> None:
    form, data = _files(tmp_path)
    args = ["--xlsform", form, "--data", data, "--by", "sector", "--filter", "country=MY"]
    code, stdout, stderr = _invoke("sqlite://", *args, "--json", "-")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["provenance"]["n"] == {"private": 2, "public": 3, "Total": 5}
    assert report["tables"][0]["groups"] == ["public", "private", "Total"]


def test_analyze_refuses_bad_arguments_in_one_line(tmp_path: Path) -> None:
    form, data = _files(tmp_path)
    files = ["--xlsform", form, "--data", data, "--json", "-"]
    for args, message in [
        ([*files, "--filter", "ready=maybe"], "--filter: ready has no value maybe"),
        ([*files, "--filter", "colour=red"], "unknown question: colour"),
        ([*files, "--by", "staff"], "--by staff: tables can be split by a single-choice"),
        ([*files, "--by", "nothing"], "--by nothing: no such question"),
        (["--xlsform", form, "--json", "-"], "--xlsform and --data go together"),
        ([*files, "--pooling", "equal"], "--pooling goes with --weights FILE"),
        (["--json", "-"], "give either --form FORM_ID or --xlsform FILE --data FILE"),
        (["--xlsform", form, "--data", str(tmp_path / "none.csv"), "--json", "-"], "cannot read"),
    ]:
        code, _stdout, stderr = _invoke("sqlite://", *args)
        assert code == 1, args
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert message in stderr, stderr


def test_analyze_files_with_weights_reports_the_weighting(tmp_path: Path) -> None:
    form, data = _files(tmp_path)
    population = tmp_path / "population.csv"
    population.write_text(
        "country,institution_type,count\nMY,public,40\nIT,public,10\n", encoding="utf-8"
    )
    args = ["--xlsform", form, "--data", data, "--weights", str(population), "--pooling", "equal"]
    code, stdout, stderr = _invoke("sqlite://", *args, "--json", "-")
    assert code == 0, stderr
    assert stderr.strip().endswith("1 row rejected, weighted (equal pooling)")
    report = json.loads(stdout)
    assert report["schema_version"] == 1
    assert report["weighting"] == ("post-stratified to HEI population counts; Total pooled equally")
    ready = next(table for table in report["tables"] if table["question"] == "ready")
    assert ready["weighting"] == report["weighting"]
    assert set(ready["effective_n"]) == {"IT", "MY", "Total"}
    assert ready["n"] == {"IT": 4, "MY": 4, "Total": 8}  # unweighted
    assert ready["test"]["name"] == "Rao-Scott chi-square (first-order)"
    assert any("Pooling rule: equal." in note for note in report["method_notes"])


def test_analyze_refuses_a_bad_population_file_with_every_row_error(tmp_path: Path) -> None:
    form, data = _files(tmp_path)
    population = tmp_path / "population.csv"
    population.write_text(
        "country,institution_type,count\nXX,public,4\nMY,public,-3\n", encoding="utf-8"
    )
    args = ["--xlsform", form, "--data", data, "--weights", str(population), "--json", "-"]
    code, stdout, stderr = _invoke("sqlite://", *args)
    assert code == 1
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 2, stderr
    assert all(line.startswith("microcasa: error: --weights population.csv: ") for line in lines)
    assert "Row 2, column country" in lines[0]
    assert "Row 3, column count" in lines[1]
