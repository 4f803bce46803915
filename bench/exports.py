"""Time and memory of the exports, each against a naive baseline in the same run.

**Raw XLSX**: fills a fresh SQLite database with N responses (100,000 by default)
to bench/analysis.py's 50-question form, loads the frame once, then in
alternating rounds writes it

- **writer**: ``exports.data.write_data(frame, …, "xlsx")``: the sheet's XML
  streamed straight into the zip (exports/xlsx_stream.py), a chunk of rows at a
  time, text as inline-string cells, pseudonymous ids;
- **baseline**: ``DataFrame.to_excel(engine="openpyxl")`` of the same frame (its
  time zone dropped beforehand, untimed: to_excel refuses aware datetimes).

**White paper** (bench/exports_whitepaper.py): builds ``build_report(frame,
by="country", form=…)`` of the same frame once, then in alternating rounds writes

- **whitepaper**: ``exports.whitepaper.write_whitepaper(report, BytesIO(), …)``
  with the frame's codebook table and form versions, no policy matrix;
- **baseline**: per question ``pd.crosstab(country, answer).to_excel(writer,
  sheet_name=…)`` into one openpyxl workbook in a BytesIO, nothing else.

Prints seconds (median over the rounds), the tracemalloc peak of each step (one
untimed pass each; the raw baseline's only up to 2 million cells, as tracing slows
it several times over), the process's peak RSS after the writer's pass (before the
baseline ever runs) and at the end, the ratios and the targets (writer ≥ 1.5×
faster, writer peak < 500 MB, white paper ≤ 2 s; a missed white-paper target
prints a cProfile of it), and a final ``summary {...}`` line.

    .venv/bin/python bench/exports.py --quick
    .venv/bin/python bench/exports.py --rounds 1
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

from bench.analysis import load, maxrss_mb, open_database, peak_mb, prepare  # noqa: E402
from bench.exports_whitepaper import inputs, whitepaper_step  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd

    from analysis.frame import Frame

TARGET_SPEEDUP = 1.5  # baseline seconds / writer seconds
TARGET_PEAK_MB = 500.0
TRACE_BASELINE_CELLS = 2_000_000  # tracemalloc slows to_excel several times over


def write_raw(frame: Frame, out: Path) -> int:
    """The platform's XLSX data file; the rows written."""
    from exports.data import write_data

    return write_data(frame, out, "xlsx", secret="bench-secret-" + "x" * 40)


def baseline_frame(frame: Frame) -> pd.DataFrame:
    """The frame as to_excel takes it: datetimes without a time zone (untimed)."""
    data = frame.data.copy()
    for column in data.columns:
        if getattr(data[column].dtype, "tz", None) is not None:
            data[column] = data[column].dt.tz_localize(None)
    return data


def write_baseline(data: pd.DataFrame, out: Path) -> int:
    data.to_excel(out, engine="openpyxl")
    return len(data)


def raw_xlsx(frame: Frame, folder: Path, rounds: int) -> dict[str, Any]:
    mine, theirs = folder / "writer.xlsx", folder / "baseline.xlsx"
    cells = len(frame.data) * (len(frame.data.columns) + 1)
    rows, writer_mb = peak_mb(lambda: write_raw(frame, mine))
    rss_writer = maxrss_mb()
    data = baseline_frame(frame)
    baseline_mb = float("nan")  # traced only where it takes minutes, not an hour
    if cells <= TRACE_BASELINE_CELLS:
        _, baseline_mb = peak_mb(lambda: write_baseline(data, theirs))
    print(
        f"memory pass done: {rows} rows, {cells:,} cells; writer peak {writer_mb:.0f} MB, "
        f"baseline peak {baseline_mb:.0f} MB",
        flush=True,
    )
    times: dict[str, list[float]] = {"writer": [], "baseline": []}
    for number in range(rounds):
        order = ("writer", "baseline") if number % 2 == 0 else ("baseline", "writer")
        for step in order:
            gc.collect()
            started = time.perf_counter()
            if step == "writer":
                write_raw(frame, mine)
            else:
                write_baseline(data, theirs)
            times[step].append(time.perf_counter() - started)
        print(
            f"round {number + 1}: " + "  ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
            flush=True,
        )
    writer_s, baseline_s = (statistics.median(times[k]) for k in ("writer", "baseline"))
    speedup = baseline_s / writer_s
    print(
        f"\n{'step':10}{'seconds':>10}{'min':>8}{'max':>8}{'peak MB':>10}  what"
        f"\n{'writer':10}{writer_s:10.2f}{min(times['writer']):8.2f}{max(times['writer']):8.2f}"
        f"{writer_mb:10.0f}  exports.data.write_data(…, 'xlsx'), {mine.stat().st_size / 1e6:.1f} MB"
        f"\n{'baseline':10}{baseline_s:10.2f}{min(times['baseline']):8.2f}"
        f"{max(times['baseline']):8.2f}{baseline_mb:10.0f}  DataFrame.to_excel(engine='openpyxl'), "
        f"{theirs.stat().st_size / 1e6:.1f} MB"
    )
    print(
        f"process peak RSS: {rss_writer:.0f} MB after the writer's pass (frame included), "
        f"{maxrss_mb():.0f} MB at the end (the baseline's)"
    )
    checks = [
        ("speedup baseline/writer", speedup, f"≥ {TARGET_SPEEDUP:g}", speedup >= TARGET_SPEEDUP),
        ("writer peak MB", writer_mb, f"< {TARGET_PEAK_MB:g}", writer_mb < TARGET_PEAK_MB),
        ("RSS after writer MB", rss_writer, f"< {TARGET_PEAK_MB:g}", rss_writer < TARGET_PEAK_MB),
    ]
    for name, value, target, held in checks:
        print(f"{name:24}{value:10.2f}  target {target:8}  {'holds' if held else 'MISSED'}")
    return {
        "rows": rows,
        "cells": cells,
        "rounds": len(times["writer"]),
        "writer_s": round(writer_s, 3),
        "baseline_s": round(baseline_s, 3),
        "speedup": round(speedup, 3),
        "writer_peak_mb": round(writer_mb, 1),
        "baseline_peak_mb": None if math.isnan(baseline_mb) else round(baseline_mb, 1),
        "rss_after_writer_mb": round(rss_writer, 1),
        "targets_held": all(held for *_rest, held in checks),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 responses, 2 rounds")
    parser.add_argument("--responses", type=int, help="responses (default 100,000)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 3, 2 with --quick)")
    parser.add_argument(
        "--paper-rounds", type=int, help="white-paper rounds (default 5, 3 with --quick)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the white paper even if it holds"
    )
    args = parser.parse_args(argv)
    args.responses = args.responses or (10_000 if args.quick else 100_000)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.paper_rounds = args.paper_rounds or (3 if args.quick else 5)
    if min(args.responses, args.rounds, args.paper_rounds) < 1:
        parser.error("--responses, --rounds and --paper-rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ex-") as name:
        folder = Path(name)
        database = open_database(f"sqlite:///{folder / 'microcasa.db'}")
        try:
            print(
                f"Raw XLSX (sqlite): {args.responses} responses × 50 questions, "
                f"{args.rounds} rounds, {os.cpu_count()} CPUs, "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            print(f"database ready in {prepare(database, args.responses):.1f} s", flush=True)
            frame, form = load(database)
            options = inputs(database, frame)
        finally:
            database.dispose()
        summary = {"raw_xlsx": raw_xlsx(frame, folder, args.rounds)}
        summary["whitepaper"] = whitepaper_step(
            frame, form, options, args.paper_rounds, args.profile
        )
        summary["load_average"] = round(os.getloadavg()[0], 2)
        print("summary " + json.dumps(summary))
    return 0  # targets are reported, never failed; an error raises and exits 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: temporary files removed", file=sys.stderr)
        sys.exit(130)
