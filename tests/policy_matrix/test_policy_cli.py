"""``microcasa policy export / import``, run against the test database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from microcasa.cli import main
from microcasa.db import Database
from policy_matrix import service
from policy_matrix.workbook_layout import DIMENSIONS, EVIDENCE, HISTORY, MATRIX
from tests.conftest import TEST_SECRET
from tests.policy_matrix.test_workbook import edited, history_count, place, set_cell
from tests.survey.fieldwork_support import staff


@pytest.fixture
def bundled(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


def _run(database_url: str, *args: str) -> Result:
    env = {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}
    return CliRunner().invoke(main, ["policy", *args], env=env)


def _export(database_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "matrix.xlsx"
    result = _run(database_url, "export", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {path}\n"
    return path


def _max(database: Database) -> object:
    with database.session() as session:
        return (service.matrix(session).cell("MY", "PM09").value or {}).get("max")


def test_export_writes_the_four_sheets(
    database_url: str, bundled: Database, tmp_path: Path
) -> None:
    path = _export(database_url, tmp_path)
    book = load_workbook(io.BytesIO(path.read_bytes()))
    assert book.sheetnames == [MATRIX, EVIDENCE, DIMENSIONS, HISTORY]


def test_import_lists_the_changes_then_applies_them_as_the_account(
    database_url: str, bundled: Database, tmp_path: Path
) -> None:
    staff(bundled, "res@uni.example")
    path = _export(database_url, tmp_path)
    path.write_bytes(edited(path.read_bytes(), set_cell("MY", "PM09", "value.max", 400)))
    before = history_count(bundled)

    dry = _run(
        database_url, "import", str(path), "--reason", "check", "--as", "res@uni.example",
        "--dry-run",
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines() == [
        "MY PM09 value.max: (empty) → 400",
        "dry run: 1 cell would change; nothing was written.",
    ]
    assert (history_count(bundled), _max(bundled)) == (before, None)

    applied = _run(
        database_url, "import", str(path), "--reason", "MQA maximum", "--as", "RES@uni.example"
    )
    assert applied.exit_code == 0, applied.output
    assert applied.output.splitlines() == ["MY PM09 value.max: (empty) → 400", "1 cell changed."]
    assert (history_count(bundled), _max(bundled)) == (before + 1, 400)
    with bundled.session() as session:
        (latest,) = service.cell_view(session, "MY", "PM09").history[:1]
    assert (latest.source, latest.reason, latest.actor) == (
        "import",
        "MQA maximum",
        "res@uni.example",
    )

    again = _run(database_url, "import", str(path), "--reason", "again", "--as", "res@uni.example")
    assert again.exit_code == 0
    assert again.output == "The workbook matches the matrix: nothing to change.\n"


def test_an_invalid_workbook_lists_every_error_and_exits_1(
    database_url: str, bundled: Database, tmp_path: Path
) -> None:
    staff(bundled, "res@uni.example")
    path = _export(database_url, tmp_path)
    original = path.read_bytes()
    broken = edited(original, set_cell("MY", "PM09", "value.max", "forty"))
    path.write_bytes(edited(broken, set_cell("MY", "PM01", "status", "maybe")))
    before = history_count(bundled)
    result = _run(database_url, "import", str(path), "--reason", "x", "--as", "res@uni.example")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{place(original, 'MY', 'PM01', 'status')} (MY PM01 status): Use one of the statuses: "
        "none, under_discussion, draft, adopted, implemented, not_applicable, unknown.",
        f"{place(original, 'MY', 'PM09', 'value.max')} (MY PM09 value.max): Give a number.",
        "matrix.xlsx: 2 error(s); nothing was imported.",
    ]
    assert history_count(bundled) == before


def test_import_needs_an_account_that_may_edit(
    database_url: str, bundled: Database, tmp_path: Path
) -> None:
    staff(bundled, "org@uni.example", role="organiser")
    path = _export(database_url, tmp_path)
    for email in ("nobody@uni.example", "org@uni.example"):
        result = _run(database_url, "import", str(path), "--reason", "x", "--as", email)
        assert result.exit_code == 1
        assert f"{email} is not an active admin, researcher or coordinator account" in result.stderr
    missing = _run(database_url, "import", str(path), "--reason", "x")
    assert missing.exit_code == 2
    assert "Missing option '--as'" in missing.stderr
    unreadable = _run(
        database_url, "import", str(tmp_path / "nowhere.xlsx"), "--reason", "x", "--as", "a@b.c"
    )
    assert unreadable.exit_code == 1
    assert "cannot read" in unreadable.stderr
