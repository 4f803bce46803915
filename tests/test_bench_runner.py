"""`python -m bench`: reading each benchmark's figures, verdicts, and the table it writes.

The benchmarks themselves take minutes and are never run here (no timings in tests);
these run small scripts in their place, through the same subprocess path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.__main__ import END, START, Row, Run, load_rows, run_one, table, write_markdown


def _script(folder: Path, body: str) -> str:
    path = folder / "fake_bench.py"
    path.write_text(body)
    return str(path)


def _rows(summary: dict[str, object]) -> list[Row]:
    value = float(summary["value"])  # type: ignore[arg-type]
    return [Row("fake: seconds", value, 2.0, value / 2.0, "≤ 3 s", "s", "report only")]


def test_figures_come_from_the_summary_line(tmp_path: Path) -> None:
    script = _script(tmp_path, 'print("noise")\nprint("summary " + \'{"value": 1.5}\')\n')
    rows, note = run_one(Run("fake", script, (), _rows, 30), tmp_path)
    assert rows == [Row("fake: seconds", 1.5, 2.0, 0.75, "≤ 3 s", "s", "report only")]
    assert note.startswith("fake: ok in")
    assert "noise" in (tmp_path / "fake.log").read_text()


def test_a_benchmark_that_fails_or_overruns_is_a_row_that_says_so(tmp_path: Path) -> None:
    failing = _script(tmp_path, "import sys\nprint('Traceback: boom')\nsys.exit(1)\n")
    rows, note = run_one(Run("fails", failing, (), _rows, 30), tmp_path)
    assert rows[0].verdict.startswith("did not run to the end (exit 1")
    assert "FAILED" in note
    slow = _script(tmp_path, "import time\ntime.sleep(30)\n")
    rows, _note = run_one(Run("slow", slow, (), _rows, 0.5), tmp_path)
    assert rows[0].verdict == "did not run to the end (stopped after its time budget)"


def test_json_rows_and_their_promises(tmp_path: Path) -> None:
    figures = [
        {"figure": "stored / acknowledged", "value": 40, "baseline": 40, "ratio": 1.0,
         "target": "= 1", "unit": "ratio"},
        {"figure": "5xx", "value": 2, "baseline": None, "ratio": None, "target": "= 0",
         "unit": "requests"},
        {"figure": "load x: page p50", "value": 12.5, "baseline": 3.1, "ratio": 4.03,
         "target": "report only", "unit": "ms"},
        {"figure": "load x: notice p99", "value": 30.0, "baseline": 9.0, "ratio": 3.3,
         "target": "report only", "unit": "ms"},
    ]  # fmt: skip
    body = (
        "import json, sys\n"
        "path = sys.argv[sys.argv.index('--summary-json') + 1]\n"
        f"open(path, 'w').write({json.dumps(figures)!r})\n"
    )
    script = _script(tmp_path, body)
    rows, _note = run_one(Run("load", script, (), load_rows, 30, json_rows=True), tmp_path)
    assert [r.verdict for r in rows] == ["holds", "MISSED", "report only"]  # no notice step
    assert rows[0].ratio == 1.0 and rows[2].baseline == 3.1


def test_the_table_is_written_between_the_markers_only(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nprose\n\n{START}\nold table\n{END}\n\nafter\n")
    lines = table([Row("fake: seconds", 1234.5, None, None, "≤ 3 s", "s", "MISSED")])
    write_markdown(doc, lines)
    text = doc.read_text()
    assert "old table" not in text
    assert text.startswith("# Benchmarks\n\nprose\n\n" + START)
    assert "| fake: seconds | 1,234 | s |  |  | ≤ 3 s | MISSED |" in text
    assert text.endswith(END + "\n\nafter\n")
    (tmp_path / "bare.md").write_text("no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        write_markdown(tmp_path / "bare.md", lines)


def test_the_command_answers_help_without_running_anything() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "--markdown" in done.stdout and "--no-postgres" in done.stdout


def test_crash_figures_hold_only_when_nothing_is_lost_duplicated_or_refused() -> None:
    from bench.__main__ import crash_rows

    clean = {"crashes": 60, "database": "sqlite", "tried": 900, "acknowledged": 900,
             "lost": 0, "duplicated": 0, "server_errors": 0, "passed": True}  # fmt: skip
    assert {r.verdict for r in crash_rows(clean)} == {"holds"}
    lost = crash_rows({**clean, "lost": 2, "passed": False})
    assert [r.verdict for r in lost] == ["MISSED", "MISSED", "holds", "holds"]
    assert lost[0].value == 898 and lost[0].baseline == 900
