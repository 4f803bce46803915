"""``microcasa export whitepaper``, and LibreOffice opening the white paper (CI: always)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from analysis import service
from analysis.external import load_external
from analysis.report import build_report
from analysis.synthetic import load_synthetic
from exports.country import country_summary
from exports.country_workbook import country_workbook
from exports.whitepaper import whitepaper
from microcasa.cli import main
from microcasa.db import Database
from policy_matrix.service import load_bundled, matrix
from survey.versions import read_source
from tests.analysis.test_report import FORM, HEADER, ROWS
from tests.conftest import TEST_SECRET
from tests.survey.fieldwork_support import csv_file


def _clear_caches() -> None:
    service.FRAMES.clear()
    service.REPORTS.clear()


def _invoke(database_url: str, *args: str) -> tuple[int, str]:
    env = {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}
    result = CliRunner().invoke(main, ["export", "whitepaper", *args], env=env)
    return result.exit_code, result.stderr


def test_the_command_writes_the_organisers_white_paper(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    with database.transaction() as session:
        load_synthetic(session, 60, seed=5)
        load_bundled(session)
    _clear_caches()
    out = tmp_path / "white paper.xlsx"
    code, stderr = _invoke(database_url, str(out), "--organisers", "--by", "country")
    assert code == 0, stderr
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.strip().endswith("(organisers' copy, small counts hidden)")
    book = load_workbook(out)
    assert {"Cover", "Contents", "Policy matrix", "Evidence", "Codebook"} <= set(book.sheetnames)
    assert book["Codebook"].cell(4, 1).value == "name"
    counted = [cell.value for row in book["Cover"].iter_rows() for cell in row]
    assert "Responses counted" in counted and 60 in counted
    _clear_caches()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--form", "nope"), "nope"),
        (("--pooling", "equal"), "--pooling goes with --weights"),
        (("--filter", "zz=1"), "--filter"),
        (("--by", "nothing"), "--by nothing"),
    ],
)
def test_the_command_fails_in_one_line(
    database_url: str, database: Database, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    with database.transaction() as session:
        load_synthetic(session, 12, seed=5)
    _clear_caches()
    out = tmp_path / "wp.xlsx"
    code, stderr = _invoke(database_url, str(out), *args)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("microcasa: error: ") and words in stderr
    assert not out.exists()
    _clear_caches()


def test_the_command_needs_a_form_when_there_is_none(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    code, stderr = _invoke(database_url, str(tmp_path / "wp.xlsx"))
    assert code == 1 and stderr.startswith("microcasa: error: give --form FORM_ID")
    assert len(stderr.strip().splitlines()) == 1


def test_the_command_says_when_it_cannot_write(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    with database.transaction() as session:
        load_synthetic(session, 12, seed=5)
    _clear_caches()
    code, stderr = _invoke(database_url, str(tmp_path / "missing" / "wp.xlsx"))
    assert code == 1 and stderr.startswith("microcasa: error: cannot write ")
    assert len(stderr.strip().splitlines()) == 1
    _clear_caches()


# LibreOffice: the workbook opens and prints (Debian's libreoffice-calc in CI).

SOFFICE = "/usr/bin/soffice"


def test_libreoffice_converts_the_white_paper_and_a_country_summary_to_pdf(
    database: Database, tmp_path: Path
) -> None:
    soffice = SOFFICE if Path(SOFFICE).exists() else shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("CI must check the white paper with LibreOffice: install libreoffice-calc")
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    # A small study (a fresh LibreOffice profile takes most of a minute to start) with every
    # kind of table and chart, a scale-free report, and the bundled matrix.
    with database.transaction() as session:
        load_bundled(session)
        load_synthetic(session, 60, seed=9)
    with database.session() as session:
        current = matrix(session)
        summary = country_summary(session, "microcasa_hei", "MY")
    frame = load_external(FORM.encode(), "form.md", csv_file([HEADER, *ROWS]), "data.csv")
    report = build_report(frame, form=read_source(FORM.encode(), "form.md").form)
    assert {table.kind for table in report.tables} == {
        "categorical",
        "likert",
        "multiple",
        "numeric",
    }
    source = tmp_path / "white-paper.xlsx"
    whitepaper(report, matrix=current, versions=[("3", "0" * 64)]).save(source)
    country = tmp_path / "country-MY.xlsx"
    country_workbook(summary).save(country)
    profile = (tmp_path / "lo-profile").as_uri()
    command = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(tmp_path),
        str(source),
        str(country),
    ]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    for name in ("white-paper.pdf", "country-MY.pdf"):  # one LibreOffice start for both
        pdf = tmp_path / name
        assert pdf.exists() and pdf.stat().st_size > 10_000, name
        assert pdf.read_bytes().startswith(b"%PDF")
