"""``microcasa form inspect / publish / convert``, and the bundled workbook beside its text form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from microcasa.cli import main
from microcasa.db import Database
from survey import versions
from survey.demo import BUNDLED_FORM
from survey.xlsform import read_markdown_form, read_xlsx
from survey.xlsform.definition import to_definition
from tests.conftest import TEST_SECRET

MICROCASA = str(Path(sys.executable).parent / "microcasa")
BUNDLED_TEXT = BUNDLED_FORM.with_suffix(".md")
BROKEN = """
## survey
| type | name | label | relevant |
| --- | --- | --- | --- |
| text | q1 | One | |
| text | q1 | Again | ${nowhere} = 1 |
"""


def test_bundled_workbook_and_its_text_form_agree() -> None:
    from_xlsx = to_definition(read_xlsx(BUNDLED_FORM.read_bytes(), BUNDLED_FORM.name).form)
    from_text = to_definition(read_markdown_form(BUNDLED_TEXT.read_text(encoding="utf-8")).form)
    assert from_xlsx == from_text


def test_inspect_prints_an_outline_in_the_chosen_language() -> None:
    result = CliRunner().invoke(main, ["form", "inspect", str(BUNDLED_FORM), "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "form_id microcasa_hei, version 2026112810" in result.output
    assert "page 2: A. Perfil de la institución [a_profile]" in result.output
    assert "shown if selected(${a1}, 'other')" in result.output


def test_inspect_json_is_the_normalised_definition() -> None:
    result = CliRunner().invoke(main, ["form", "inspect", str(BUNDLED_FORM), "--json"])
    assert result.exit_code == 0
    definition = json.loads(result.output)
    assert definition["form_id"] == "microcasa_hei"
    assert definition["default_language"] == "English (en)"
    assert len(definition["languages"]) == 7
    question = next(q for q in definition["questions"] if q["name"] == "i2")
    assert question["type"] == "select_multiple"
    assert {
        "name",
        "type",
        "list_name",
        "group",
        "required",
        "relevant",
        "constraint",
        "choice_filter",
        "appearance",
        "calculation",
        "labels",
        "hints",
    } <= set(question)
    assert definition["choices"]["credit_unit"][0].keys() >= {"name", "labels", "country"}


def test_inspect_errors_go_to_stderr_with_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text(BROKEN, encoding="utf-8")
    result = subprocess.run(
        [MICROCASA, "form", "inspect", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        "error: survey sheet, row 3, column “name”: “q1” is already used on row 2" in result.stderr
    )
    assert "broken.md: 1 error(s)" in result.stderr


def test_publish_from_the_command_line(
    tmp_path: Path, database_url: str, database: Database
) -> None:
    env = {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}
    runner = CliRunner()
    first = runner.invoke(main, ["form", "publish", str(BUNDLED_FORM), "--open"], env=env)
    assert first.exit_code == 0, first.output
    assert "version 2026112810 published, status open" in first.output
    again = runner.invoke(main, ["form", "publish", str(BUNDLED_FORM)], env=env)
    assert "already published (unchanged)" in again.output
    with database.session() as session:
        assert versions.get_version(session, "microcasa_hei", "2026112810").status == "open"
    broken = tmp_path / "broken.md"
    broken.write_text(BROKEN, encoding="utf-8")
    failed = subprocess.run(
        [MICROCASA, "form", "publish", str(broken)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert failed.returncode == 1
    assert "already used on row 2" in failed.stderr


def test_convert_writes_a_workbook_that_reads_the_same(tmp_path: Path) -> None:
    target = tmp_path / "hei.xlsx"
    result = CliRunner().invoke(main, ["form", "convert", str(BUNDLED_TEXT), str(target)])
    assert result.exit_code == 0
    written = read_xlsx(target.read_bytes(), target.name).form
    assert to_definition(written) == to_definition(read_xlsx(BUNDLED_FORM.read_bytes()).form)
