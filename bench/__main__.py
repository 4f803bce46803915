"""Every benchmark at a size that fits in a few minutes on 2 cores, and one table of figures.

    .venv/bin/python -m bench                      # SQLite, and PostgreSQL if it answers
    .venv/bin/python -m bench --no-postgres
    .venv/bin/python -m bench --markdown docs/benchmarks.md

Runs each benchmark script of this folder in a process of its own (submission,
analysis, exports, load — see bench/README.md for each), reads the figures each
prints (its ``summary {...}`` line, or ``--summary-json``), and prints one table:
each figure, its baseline from the same run, the ratio and the target. A
benchmark's own output goes to a log file named in the table's footer. With
``--markdown FILE``, the table and the machine are written between the
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers of FILE.

Exit status: 0 when every benchmark ran and every "= 0"/"= 1" figure (lost,
duplicated, 5xx) holds; speed targets are reported, never failed; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    figure: str
    value: float | None
    baseline: float | None
    ratio: float | None  # value / baseline unless the figure says otherwise
    target: str
    unit: str
    verdict: str  # holds, MISSED, report only, or why it did not run


@dataclass(frozen=True)
class Run:
    name: str
    script: str
    args: tuple[str, ...]
    rows: Callable[[Any], list[Row]]  # from the summary dict, or the list of rows
    budget: float  # seconds before the run is stopped
    postgres: bool = False
    json_rows: bool = False  # figures come as --summary-json rows


def _held(value: float, bound: float, at_most: bool = True) -> str:
    return "holds" if (value <= bound if at_most else value >= bound) else "MISSED"


def submit_rows(kind: str) -> Callable[[dict[str, Any]], list[Row]]:
    def rows(s: dict[str, Any]) -> list[Row]:
        ratio = float(s["ratio"])
        return [
            Row(
                f"submit ({kind}): complete responses per second",
                s["platform_per_s"],
                s["bare_per_s"],
                ratio,
                "ratio ≥ 0.5 of a bare Litestar endpoint",
                "/s",
                _held(ratio, 0.5, at_most=False),
            )
        ]

    return rows


def analysis_rows(kind: str) -> Callable[[dict[str, Any]], list[Row]]:
    def rows(s: dict[str, Any]) -> list[Row]:
        n = f"analysis ({kind}, {s['responses']:,} responses × 50 questions)"
        peak = sum(s["peak_mb"].get(step, 0.0) for step in ("load", "report"))
        share = float(s["load_share"])
        return [
            Row(
                f"{n}: report",
                s["report_s"],
                s["baseline_s"],
                s["ratio"],
                "≤ 3 s and ratio ≤ 1 (naive crosstab + chi²)",
                "s",
                _held(max(s["report_s"] / 3.0, s["ratio"]), 1.0),
            ),
            Row(
                f"{n}: load through the columnar copy",
                s["load_s"],
                s["report_s"],
                share,
                "ratio = load share of load + report ≤ 0.5",
                "s",
                _held(share, 0.5),
            ),
            Row(
                f"{n}: cold load (decode all + store the copy)",
                s["cold_load_s"],
                s["decode_s"],
                round(s["cold_load_s"] / s["decode_s"], 3),
                "report only (baseline: decode all, keep nothing)",
                "s",
                "report only",
            ),
            Row(
                f"{n}: peak memory load + report",
                round(peak, 1),
                None,
                None,
                "≤ 1024 MB",
                "MB",
                _held(peak, 1024.0),
            ),
            Row(
                f"{n}: process peak RSS",
                s["maxrss_mb"],
                None,
                None,
                "≤ 1024 MB",
                "MB",
                _held(s["maxrss_mb"], 1024.0),
            ),
        ]

    return rows


def exports_rows(s: dict[str, Any]) -> list[Row]:
    raw, paper = s["raw_xlsx"], s["whitepaper"]
    n = f"{raw['rows']:,} responses"
    return [
        Row(
            f"export: raw XLSX, {n}",
            raw["writer_s"],
            raw["baseline_s"],
            round(raw["writer_s"] / raw["baseline_s"], 3),
            "baseline/writer ≥ 1.5 (DataFrame.to_excel)",
            "s",
            _held(raw["speedup"], 1.5, at_most=False),
        ),
        Row(
            f"export: raw XLSX writer peak, {n}",
            raw["writer_peak_mb"],
            raw["baseline_peak_mb"],
            None,
            "< 500 MB",
            "MB",
            _held(raw["writer_peak_mb"], 500.0),
        ),
        Row(
            f"export: white paper, {paper['tables']} tables",
            paper["whitepaper_s"],
            paper["baseline_s"],
            paper["ratio"],
            "≤ 2 s (ratio to a bare crosstab workbook)",
            "s",
            _held(paper["whitepaper_s"], 2.0),
        ),
    ]


LOAD_STEPS = ("page", "submit", "api submit")  # latencies in the table; the log has them all
_LATENCY = re.compile(r": (.+) p(?:50|99)$")


def crash_rows(s: dict[str, Any]) -> list[Row]:
    n = f"kill -9 × {s['crashes']} during submissions ({s['database']})"
    held = s["passed"] and s["lost"] == s["duplicated"] == s["server_errors"] == 0
    return [
        Row(
            f"{n}: stored / acknowledged",
            s["acknowledged"] - s["lost"],
            s["acknowledged"],
            1.0 if s["acknowledged"] and not s["lost"] else 0.0,
            "= 1",
            "responses",
            "holds" if held else "MISSED",
        ),
        Row(f"{n}: lost", s["lost"], None, None, "= 0", "responses", _zero(s["lost"])),
        Row(f"{n}: duplicated", s["duplicated"], None, None, "= 0", "rows", _zero(s["duplicated"])),
        Row(
            f"{n}: 5xx from a live server",
            s["server_errors"],
            None,
            None,
            "= 0",
            "requests",
            _zero(s["server_errors"]),
        ),
    ]


def _zero(value: int) -> str:
    return "holds" if value == 0 else "MISSED"


def load_rows(rows: list[dict[str, Any]]) -> list[Row]:
    found = []
    for row in rows:
        step = _LATENCY.search(str(row["figure"]))
        if step and step.group(1) not in LOAD_STEPS:
            continue
        target = str(row["target"])
        verdict = "report only"
        if target.startswith("= "):
            verdict = "holds" if float(row["value"]) == float(target[2:]) else "MISSED"
            if row["baseline"] is not None and target == "= 1":
                verdict = "holds" if row["value"] == row["baseline"] else "MISSED"
        found.append(
            Row(
                row["figure"],
                row["value"],
                row["baseline"],
                row["ratio"],
                target,
                row["unit"],
                verdict,
            )
        )
    return found


def runs(postgres: str | None) -> Iterator[Run]:
    yield Run("submit, SQLite", "submit.py", ("--quick",), submit_rows("SQLite"), 240)
    yield Run(
        "analysis, SQLite",
        "analysis.py",
        ("--responses", "100000", "--rounds", "2"),
        analysis_rows("SQLite"),
        420,
    )
    yield Run("exports, SQLite", "exports.py", ("--quick",), exports_rows, 420)
    yield Run("load, SQLite", "load.py", ("--quick",), load_rows, 240, json_rows=True)
    yield Run("crash, SQLite", "crash.py", ("--crashes", "60"), crash_rows, 420)
    if postgres:
        pg = ("--postgres", postgres)
        yield Run(
            "submit, PostgreSQL",
            "submit.py",
            ("--quick", *pg),
            submit_rows("PostgreSQL"),
            240,
            postgres=True,
        )
        yield Run(
            "analysis, PostgreSQL",
            "analysis.py",
            ("--responses", "100000", "--rounds", "2", *pg),
            analysis_rows("PostgreSQL"),
            420,
            postgres=True,
        )
        yield Run(
            "load, PostgreSQL",
            "load.py",
            ("--quick", *pg),
            load_rows,
            240,
            postgres=True,
            json_rows=True,
        )
        yield Run(
            "load, PostgreSQL, 2 workers",
            "load.py",
            ("--quick", "--workers", "2", *pg),
            load_rows,
            240,
            postgres=True,
            json_rows=True,
        )
        yield Run(
            "crash, PostgreSQL",
            "crash.py",
            ("--crashes", "60", *pg),
            crash_rows,
            420,
            postgres=True,
        )


def run_one(run: Run, logs: Path) -> tuple[list[Row], str]:
    """The rows of one benchmark, and what happened in words (for the footer)."""
    log = logs / (run.name.replace(", ", "-").replace(" ", "_") + ".log")
    summary_file = logs / (log.stem + ".json")
    argv = [sys.executable, str(HERE / run.script), *run.args]
    if run.json_rows:
        argv += ["--summary-json", str(summary_file)]
    started = time.monotonic()
    print(f"running {run.name} (at most {run.budget:.0f} s) …", file=sys.stderr, flush=True)
    with log.open("w") as out:
        try:
            done = subprocess.run(  # noqa: S603 - this folder's own scripts
                argv,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=run.budget,
                check=False,
            )
            status = done.returncode
        except subprocess.TimeoutExpired:
            status = None
    took = time.monotonic() - started
    text = log.read_text(errors="replace")
    try:
        if run.json_rows:
            figures: Any = json.loads(summary_file.read_text())
        else:
            line = next(x for x in reversed(text.splitlines()) if x.startswith("summary "))
            figures = json.loads(line.removeprefix("summary "))
        rows = run.rows(figures)
    except (StopIteration, FileNotFoundError, ValueError, KeyError, TypeError) as exc:
        why = "stopped after its time budget" if status is None else f"exit {status}: {exc!r}"
        return [Row(run.name, None, None, None, "", "", f"did not run to the end ({why})")], (
            f"{run.name}: FAILED in {took:.0f} s, see {log}"
        )
    state = "ok" if status == 0 else f"exit status {status}"
    return rows, f"{run.name}: {state} in {took:.0f} s, log {log}"


def postgres_reachable(url: str) -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # any failure means: leave PostgreSQL out
        return False


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| figure | value | unit | baseline (same run) | ratio | target | verdict |",
        "| --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.figure} | {_number(r.value)} | {r.unit} | {_number(r.baseline)} | "
            f"{_number(r.ratio)} | {r.target} | {r.verdict} |"
        )
    return lines


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.node() or 'this machine'}: {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"load average {load[0]:.2f} at the end; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def write_markdown(path: Path, lines: list[str]) -> None:
    text = path.read_text() if path.exists() else f"{START}\n{END}\n"
    if START not in text or END not in text:
        raise SystemExit(f"{path}: no {START} … {END} markers to write between")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    path.write_text(head + START + "\n" + "\n".join(lines) + "\n" + END + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("MICROCASA_BENCH_POSTGRES", LOCAL_POSTGRES),
        help="PostgreSQL on 127.0.0.1",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--only", metavar="WORD", help="only the runs whose name has WORD")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="write the table there")
    parser.add_argument("--logs", type=Path, metavar="DIR", help="keep the logs there")
    args = parser.parse_args(argv)
    postgres = None if args.no_postgres else args.postgres
    skipped = []
    if postgres and not postgres_reachable(postgres):
        skipped.append(f"PostgreSQL runs skipped: {postgres} did not answer")
        postgres = None
    logs = args.logs or Path(tempfile.mkdtemp(prefix="microcasa-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    notes: list[str] = []
    started = time.monotonic()
    for run in runs(postgres):
        if args.only and args.only.lower() not in run.name.lower():
            continue
        found, note = run_one(run, logs)
        rows += found
        notes.append(note)
    lines = table(rows)
    footer = [
        "",
        f"Machine: {machine()}; all runs took {time.monotonic() - started:.0f} s.",
        *[f"- {note}" for note in [*notes, *skipped]],
    ]
    print("\n".join(lines + footer))
    if args.markdown:
        write_markdown(args.markdown, lines + footer)
    broken = [r for r in rows if r.verdict.startswith("did not run")]
    lost = [r for r in rows if r.target.startswith("= ") and r.verdict != "holds"]
    return 1 if broken or lost else 0


if __name__ == "__main__":
    sys.exit(main())
