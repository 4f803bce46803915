"""The white-paper step of bench/exports.py: the workbook of the 50-question report
against a naive one-crosstab-per-sheet workbook, timed in alternating rounds.

- **white paper**: ``exports.whitepaper.write_whitepaper(report, BytesIO(),
  matrix=None, codebook=…, versions=…)`` of ``build_report(frame, by="country",
  form=…)`` (built once, untimed), with the frame's codebook table and its form
  versions with their SHA-256, as ``microcasa export whitepaper`` writes it;
- **baseline**: one workbook into a BytesIO, per question ``pd.crosstab(country,
  answer).to_excel(writer, sheet_name=question)`` (openpyxl engine), nothing else.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import time
from typing import TYPE_CHECKING, Any

from bench.analysis import FORM_ID, peak_mb

if TYPE_CHECKING:
    from analysis.frame import Frame
    from analysis.report import Report
    from microcasa.db import Database
    from survey.xlsform import Form

TARGET_SECONDS = 2.0  # the white paper of 50 tables
PROFILE_LINES = 18


def inputs(database: Database, frame: Frame) -> dict[str, Any]:
    """The codebook table and the form versions (with SHA-256) of ``frame``, from the
    database, as the CLI and the page read them (the policy matrix is left out)."""
    from exports.sources import whitepaper_inputs

    with database.session() as session:
        versions, _matrix, codebook = whitepaper_inputs(session, FORM_ID, frame)
    return {"matrix": None, "codebook": codebook, "versions": versions}


def build(frame: Frame, form: Form) -> Report:
    from analysis.report import build_report

    return build_report(frame, by="country", form=form)


def write_paper(report: Report, options: dict[str, Any]) -> int:
    """The white paper into memory; its size in bytes."""
    from exports.whitepaper import write_whitepaper

    buffer = io.BytesIO()
    write_whitepaper(report, buffer, **options)
    return len(buffer.getvalue())


def write_naive(frame: Frame) -> int:
    """One sheet per question: its crosstab by country through to_excel; the size in bytes."""
    import pandas as pd

    buffer = io.BytesIO()
    country = frame.data[frame.meta["country"]]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for variable in frame.variables:
            table = pd.crosstab(country, frame.data[variable.name])
            table.to_excel(writer, sheet_name=variable.name[:31])
    return len(buffer.getvalue())


def profile(report: Report, options: dict[str, Any]) -> list[str]:
    """Where the white paper's time goes: cProfile's top functions by own and total time."""
    profiler = cProfile.Profile()
    profiler.runcall(write_paper, report, options)
    lines: list[str] = []
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(PROFILE_LINES)
        lines.append(f"--- cProfile, sorted by {order} ---")
        text = out.getvalue()
        lines += [line for line in text[text.find("   ncalls") :].splitlines() if line.strip()]
    return lines


def whitepaper_step(
    frame: Frame, form: Form, options: dict[str, Any], rounds: int, always_profile: bool
) -> dict[str, Any]:
    """Build the report once, then time white paper and baseline in alternating rounds."""
    started = time.perf_counter()
    report = build(frame, form)
    report_s = time.perf_counter() - started
    tables = len(report.tables)
    paper_bytes, paper_mb = peak_mb(lambda: write_paper(report, options))
    naive_bytes, naive_mb = peak_mb(lambda: write_naive(frame))
    print(
        f"\nWhite paper: report of {tables} tables built in {report_s:.2f} s (untimed below); "
        f"memory pass done: white paper peak {paper_mb:.0f} MB, baseline peak {naive_mb:.0f} MB",
        flush=True,
    )
    times: dict[str, list[float]] = {"whitepaper": [], "baseline": []}
    for number in range(rounds):
        order = ("whitepaper", "baseline") if number % 2 == 0 else ("baseline", "whitepaper")
        for step in order:
            gc.collect()
            started = time.perf_counter()
            if step == "whitepaper":
                write_paper(report, options)
            else:
                write_naive(frame)
            times[step].append(time.perf_counter() - started)
        print(
            f"round {number + 1}: " + "  ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
            flush=True,
        )
    paper_s, naive_s = (statistics.median(times[k]) for k in ("whitepaper", "baseline"))
    ratio = paper_s / naive_s
    held = paper_s <= TARGET_SECONDS
    print(
        f"\n{'step':12}{'seconds':>10}{'min':>8}{'max':>8}{'peak MB':>10}  what"
        f"\n{'whitepaper':12}{paper_s:10.2f}{min(times['whitepaper']):8.2f}"
        f"{max(times['whitepaper']):8.2f}{paper_mb:10.0f}  write_whitepaper, {tables} tables "
        f"+ codebook, {paper_bytes / 1e6:.2f} MB"
        f"\n{'baseline':12}{naive_s:10.2f}{min(times['baseline']):8.2f}"
        f"{max(times['baseline']):8.2f}{naive_mb:10.0f}  crosstab.to_excel per question, "
        f"{len(frame.variables)} sheets, {naive_bytes / 1e6:.2f} MB"
    )
    print(f"ratio whitepaper/baseline {ratio:10.2f}  (reported, no target)")
    print(
        f"{'whitepaper seconds':24}{paper_s:10.2f}  target ≤ {TARGET_SECONDS:g}      "
        f"{'holds' if held else 'MISSED'}"
    )
    if not held or always_profile:
        print("\n".join(profile(report, options)))
    return {
        "tables": tables,
        "baseline_sheets": len(frame.variables),
        "rounds": rounds,
        "report_build_s": round(report_s, 3),
        "whitepaper_s": round(paper_s, 3),
        "baseline_s": round(naive_s, 3),
        "ratio": round(ratio, 3),
        "whitepaper_peak_mb": round(paper_mb, 1),
        "baseline_peak_mb": round(naive_mb, 1),
        "whitepaper_bytes": paper_bytes,
        "target_held": held,
    }
