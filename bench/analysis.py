"""Time and memory of a full comparative report, against a naive baseline.

Fills a fresh database with N responses (100,000 by default) to a 50-question
form in 10 countries, then measures in the same process, in alternating rounds:

- **load**: ``analysis.frame.load_responses`` from the database, as a page or
  ``microcasa analyze`` meets it: through the columnar copy of the frame that the
  previous load kept (:mod:`analysis.snapshots`);
- **cold load**: the same after the copy is deleted, as after an erasure or the
  first time: every answer decoded, and the copy stored again;
- **decode**: every answer decoded, no copy read or stored (``keep=False``), to
  show what keeping the copy costs a cold load;
- **report**: ``analysis.report.build_report`` by country on that frame, and its
  JSON (``report_to_json`` + ``json.dumps``), as ``microcasa analysis report`` does;
- **baseline**: for each question, ``pd.crosstab(country, answer)`` and
  ``scipy.stats.chi2_contingency`` — nothing else.

Prints seconds (median over the rounds), peak memory, the ratio report/baseline,
the targets and whether they hold, and a final ``summary {...}`` JSON line.

    .venv/bin/python bench/analysis.py --quick
    .venv/bin/python bench/analysis.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import secrets
import signal
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from analysis.frame import Frame
    from microcasa.db import Database
    from survey.xlsform import Form

REPO = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, and this file would shadow the
# platform's ``analysis`` package: put the repository there instead.
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

from bench.databases import postgres_schema  # noqa: E402

FORM_ID = "bench50"
COUNTRIES = ("MY", "ID", "TH", "VN", "PH", "DE", "FR", "IT", "ES", "PL")
LIKERT = [f"l{i:02d}" for i in range(1, 41)]  # 40 five-point items with "don't know"
SINGLE = [f"s{i}" for i in range(1, 6)]  # 5 single-choice, 4 options each
MULTIPLE = [f"m{i}" for i in range(1, 4)]  # 3 select_multiple, 6 options each
INTEGER = [f"n{i}" for i in range(1, 3)]  # 2 integers
KINDS = ("public", "private", "religious", "other")
OPTIONS = tuple(f"o{i}" for i in range(1, 7))
SKIPPED = 0.03  # share of questions left unanswered
BATCH = 5000  # rows per executemany

TARGET_SECONDS = 3.0  # the report
TARGET_MB = 1024.0  # each step's peak
TARGET_RATIO = 1.0  # report / baseline: not slower than the naive baseline
TARGET_LOAD_SHARE = 0.5  # loading "must not dominate": at most half of load + report
MB = 1024 * 1024


# --- the form and the data -----------------------------------------------------------


def form_markdown() -> str:
    """The 50-question markdown XLSForm: 40 Likert, 5 single, 3 multiple, 2 integer."""
    survey = ["| type | name | label |", "| --- | --- | --- |"]
    survey += [f"| select_one agree | {n} | Statement {n} |" for n in LIKERT]
    survey += [f"| select_one kind | {n} | Kind {n} |" for n in SINGLE]
    survey += [f"| select_multiple opts | {n} | Options {n} |" for n in MULTIPLE]
    survey += [f"| integer | {n} | Number {n} |" for n in INTEGER]
    choices = ["| list_name | name | label |", "| --- | --- | --- |"]
    choices += [f"| agree | {v} | {v} |" for v in ("1", "2", "3", "4", "5")]
    choices += ["| agree | dk | Don't know |"]
    choices += [f"| kind | {v} | {v.title()} |" for v in KINDS]
    choices += [f"| opts | {v} | Option {v} |" for v in OPTIONS]
    settings = f"| form_id | version | title |\n| --- | --- | --- |\n| {FORM_ID} | 1 | Bench 50 |"
    return (
        "## survey\n\n"
        + "\n".join(survey)
        + "\n\n## choices\n\n"
        + "\n".join(choices)
        + "\n\n## settings\n\n"
        + settings
        + "\n"
    )


def _draw(rng: np.random.Generator, probabilities: np.ndarray, country: np.ndarray) -> np.ndarray:
    """One draw per row from its country's distribution (rows of ``probabilities``)."""
    cumulative = np.cumsum(probabilities, axis=1)[country]
    cumulative[:, -1] = 1.0
    drawn: np.ndarray = (rng.random(len(country))[:, None] > cumulative).sum(axis=1)
    return drawn.astype(np.int8)


def draw_answers(count: int, seed: int = 20261128) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Countries and answer codes (-1: skipped), Likert shifted by country."""
    rng = np.random.default_rng(seed)
    country = rng.integers(0, len(COUNTRIES), count)
    codes: dict[str, np.ndarray] = {}
    points = np.arange(1, 6)
    for at, name in enumerate(LIKERT):
        # Each item leans its own way, each country a little further up or down.
        centre = 3 + 0.8 * np.sin(at) + (np.arange(len(COUNTRIES)) - 4.5) * 0.06 * (at % 4)
        weights = np.exp(-0.5 * ((points[None, :] - centre[:, None]) / 1.2) ** 2)
        five = 0.95 * weights / weights.sum(axis=1, keepdims=True)
        codes[name] = _draw(rng, np.hstack([five, np.full((len(COUNTRIES), 1), 0.05)]), country)
    for name in SINGLE:
        raw = rng.dirichlet(np.full(len(KINDS), 4.0), len(COUNTRIES))
        codes[name] = _draw(rng, raw, country)
    for name in MULTIPLE:  # a bit pattern of the options picked (0: none, treated as skipped)
        chance = rng.uniform(0.15, 0.5, (len(COUNTRIES), len(OPTIONS)))[country]
        picked = rng.random((count, len(OPTIONS))) < chance
        codes[name] = (picked * (1 << np.arange(len(OPTIONS)))).sum(axis=1).astype(np.int16)
    for at, name in enumerate(INTEGER):
        codes[name] = rng.poisson(20 * (at + 1) + country * 3).astype(np.int32)
    skipped = rng.random((count, len(codes))) < SKIPPED
    for at, name in enumerate(codes):
        codes[name][skipped[:, at]] = -1 if name not in MULTIPLE else 0
    return country, codes


def _rows(
    country: np.ndarray, codes: dict[str, np.ndarray], start: int, stop: int
) -> list[dict[str, Any]]:
    likert = np.array(["1", "2", "3", "4", "5", "dk"], dtype=object)
    kinds = np.array(KINDS, dtype=object)
    picks = [[o for bit, o in enumerate(OPTIONS) if mask >> bit & 1] for mask in range(64)]
    columns: list[tuple[str, list[Any]]] = []
    for name, values in codes.items():
        chunk: np.ndarray = values[start:stop]
        if name in LIKERT or name in SINGLE:
            labels = likert if name in LIKERT else kinds
            texts = labels[np.maximum(chunk, 0)]  # a copy: fancy indexing
            texts[chunk < 0] = None
            columns.append((name, texts.tolist()))
        elif name in MULTIPLE:
            columns.append((name, [picks[m] if m else None for m in chunk.tolist()]))
        else:
            columns.append((name, [v if v >= 0 else None for v in chunk.tolist()]))
    now = datetime.now(UTC)
    rows = []
    for at in range(stop - start):
        answers = {name: values[at] for name, values in columns if values[at] is not None}
        rows.append(
            {
                "instance_id": str(uuid.uuid4()),
                "channel": "api",
                "country": COUNTRIES[country[start + at]],
                "language": "default",
                "status": "complete",
                "answers": answers,
                "created_at": now,
                "updated_at": now,
                "completed_at": now,
            }
        )
    return rows


# --- the database --------------------------------------------------------------------


def open_database(database_url: str) -> Database:
    from microcasa.db import Database
    from microcasa.settings import load_settings

    secret = secrets.token_urlsafe(48)
    return Database(load_settings(database_url=database_url, secret_key=secret, env="test"))


def prepare(database: Database, count: int) -> float:
    """Migrate, publish the form and insert ``count`` responses; the seconds it took."""
    from sqlalchemy import insert

    import microcasa.auth.models  # noqa: F401 - the user_account table a version points at
    from microcasa import schema
    from survey import versions
    from survey.models import Response

    started = time.perf_counter()
    schema.upgrade(database)
    with database.transaction() as session:
        published = versions.publish(
            session, form_markdown().encode(), f"{FORM_ID}.md", publisher="bench"
        )
        version_id = published.version.id
    country, codes = draw_answers(count)
    table = Response.__table__  # type: ignore[attr-defined]
    with database.transaction() as session:
        for start in range(0, count, BATCH):
            rows = _rows(country, codes, start, min(count, start + BATCH))
            for row in rows:
                row.update(
                    form_version_id=version_id,
                    content_hash="",
                    page="",
                    notice_version="",
                    institution_name="",
                )
            session.execute(insert(table), rows)
    return time.perf_counter() - started


# --- the steps -----------------------------------------------------------------------


def load(database: Database, keep: bool = True) -> tuple[Frame, Form]:
    """The frame and the newest form, as ``microcasa analysis report --form`` reads them.

    ``keep=False``: every answer decoded, no columnar copy read or stored.
    """
    from analysis.frame import load_responses
    from survey.versions import form_of, get_version

    with database.session() as session:
        frame = load_responses(session, FORM_ID, keep=keep)
        form = form_of(get_version(session, FORM_ID, frame.versions[-1]))
    return frame, form


def forget_copy(database: Database) -> None:
    """Delete the stored columnar copy, so that the next load decodes every answer."""
    from sqlalchemy import delete

    from analysis.models import FrameSnapshot

    with database.transaction() as session:
        session.execute(delete(FrameSnapshot))


def full_report(frame: Frame, form: Form) -> int:
    """build_report by country and its JSON; the number of tables."""
    from analysis.report import build_report
    from analysis.report_json import report_to_json

    report = build_report(frame, by="country", form=form)
    json.dumps(report_to_json(report), ensure_ascii=False, allow_nan=False)
    return len(report.tables)


def baseline_columns(frame: Frame) -> list[str]:
    """One column per question: its answer (a select_multiple's picks as text, "o1 o3")."""
    return [variable.name for variable in frame.variables]


def naive(frame: Frame, columns: list[str]) -> int:
    """pd.crosstab(country, answer) + chi2_contingency per question, nothing else."""
    import pandas as pd
    from scipy.stats import chi2_contingency

    country = frame.data[frame.meta["country"]]
    for name in columns:
        chi2_contingency(pd.crosstab(country, frame.data[name]))
    return len(columns)


def peak_mb(step: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``step`` under tracemalloc; its result and the peak of traced memory in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        result = step()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / MB


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# --- the command ---------------------------------------------------------------------


def memory_pass(database: Database) -> tuple[dict[str, float], int, list[str]]:
    """Each step once under tracemalloc (untimed): peaks, report tables, baseline columns."""
    (frame, form), load_mb = peak_mb(lambda: load(database))
    columns = baseline_columns(frame)
    tables, report_mb = peak_mb(lambda: full_report(frame, form))
    _, baseline_mb = peak_mb(lambda: naive(frame, columns))
    print(
        f"memory pass done: {len(frame.data)} rows, {tables} report tables, "
        f"{len(columns)} baseline tables",
        flush=True,
    )
    return {"load": load_mb, "report": report_mb, "baseline": baseline_mb}, tables, columns


def measure(database: Database, args: argparse.Namespace) -> dict[str, Any]:
    """One untimed pass under tracemalloc, then alternating timed rounds."""
    end = time.monotonic() + args.time_limit
    times: dict[str, list[float]] = {
        "decode": [],
        "cold load": [],
        "load": [],
        "report": [],
        "baseline": [],
    }
    peaks, tables, columns = memory_pass(database)
    cut = False
    for number in range(args.rounds):
        if number and time.monotonic() >= end:
            cut = True
            break
        forget_copy(database)
        firsts = ("decode", "cold load") if number % 2 == 0 else ("cold load", "decode")
        for step in (*firsts, "load"):
            gc.collect()
            started = time.perf_counter()
            frame, form = load(database, keep=step != "decode")
            times[step].append(time.perf_counter() - started)
        order = ("report", "baseline") if number % 2 == 0 else ("baseline", "report")
        for step in order:
            gc.collect()
            started = time.perf_counter()
            if step == "report":
                full_report(frame, form)
            else:
                naive(frame, columns)
            times[step].append(time.perf_counter() - started)
        del frame
        print(
            f"round {number + 1}: " + "  ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
            flush=True,
        )
    return {
        "times": times,
        "peaks": peaks,
        "tables": tables,
        "baseline_tables": len(columns),
        "cut": cut,
    }


def show(result: dict[str, Any], prepare_s: float, args: argparse.Namespace) -> dict[str, Any]:
    times: dict[str, list[float]] = result["times"]
    peaks: dict[str, float] = result["peaks"]
    median = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
    ratio = median["report"] / median["baseline"]
    per_round = [r / b for r, b in zip(times["report"], times["baseline"], strict=True)]
    rss = maxrss_mb()
    print(
        f"\n{'step':10}{'seconds':>10}{'min':>8}{'max':>8}{'peak MB':>10}  what"
        f"\n{'decode':10}{median['decode']:10.2f}{min(times['decode']):8.2f}"
        f"{max(times['decode']):8.2f}{'':>10}  every answer decoded, no copy read or stored"
        f"\n{'cold load':10}{median['cold load']:10.2f}{min(times['cold load']):8.2f}"
        f"{max(times['cold load']):8.2f}{peaks['load']:10.0f}  every answer decoded, "
        "the copy stored"
        f"\n{'load':10}{median['load']:10.2f}{min(times['load']):8.2f}{max(times['load']):8.2f}"
        f"{'':>10}  load_responses + the newest form, through the copy"
        f"\n{'report':10}{median['report']:10.2f}{min(times['report']):8.2f}"
        f"{max(times['report']):8.2f}{peaks['report']:10.0f}  build_report by country + JSON, "
        f"{result['tables']} tables"
        f"\n{'baseline':10}{median['baseline']:10.2f}{min(times['baseline']):8.2f}"
        f"{max(times['baseline']):8.2f}{peaks['baseline']:10.0f}  crosstab + chi2_contingency, "
        f"{result['baseline_tables']} tables"
    )
    print(
        "seconds: median over the rounds; peak MB: tracemalloc peak of the step alone "
        "(Python and numpy allocations, one untimed pass)"
    )
    print(f"process peak RSS (ru_maxrss, everything incl. preparation): {rss:.0f} MB")
    whole = median["load"] + median["report"]
    share = median["load"] / whole
    checks = [
        ("report seconds", median["report"], f"≤ {TARGET_SECONDS:g}", TARGET_SECONDS),
        ("load + report peak MB", peaks["load"] + peaks["report"], f"≤ {TARGET_MB:g}", TARGET_MB),
        ("process peak RSS MB", rss, f"≤ {TARGET_MB:g}", TARGET_MB),
        ("ratio report/baseline", ratio, f"≤ {TARGET_RATIO:g}", TARGET_RATIO),
        ("load share of the whole", share, f"≤ {TARGET_LOAD_SHARE:g}", TARGET_LOAD_SHARE),
    ]
    print()
    for name, value, target, bound in checks:
        verdict = "holds" if value <= bound else "MISSED"
        print(f"{name:24}{value:10.2f}  target {target:8}  {verdict}")
    print("ratio per round:        " + " ".join(f"{r:.2f}" for r in per_round))
    cold = median["cold load"] / (median["cold load"] + median["report"])
    print(
        f"loading is {share:.0%} of the whole "
        f"(load {median['load']:.2f} s + report {median['report']:.2f} s = {whole:.2f} s); "
        f"a cold load would be {cold:.0%} ({median['cold load']:.2f} s); "
        f"preparing the database took {prepare_s:.1f} s"
    )
    return {
        "responses": args.responses,
        "rounds": len(times["report"]),
        "decode_s": round(median["decode"], 3),
        "cold_load_s": round(median["cold load"], 3),
        "load_s": round(median["load"], 3),
        "report_s": round(median["report"], 3),
        "baseline_s": round(median["baseline"], 3),
        "ratio": round(ratio, 3),
        "load_share": round(share, 3),
        "cold_load_share": round(cold, 3),
        "peak_mb": {k: round(v, 1) for k, v in peaks.items()},
        "maxrss_mb": round(rss, 1),
        "targets_held": all(value <= bound for _n, value, _t, bound in checks),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 responses, 2 rounds")
    parser.add_argument("--responses", type=int, help="responses (default 100,000)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 3, 2 with --quick)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL on 127.0.0.1 instead")
    parser.add_argument("--time-limit", type=float, help="start no round after this many seconds")
    args = parser.parse_args(argv)
    args.responses = args.responses or (10_000 if args.quick else 100_000)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.time_limit = args.time_limit or (30.0 if args.quick else 300.0)
    if min(args.responses, args.rounds) < 1:
        parser.error("--responses and --rounds must be at least 1")
    return args


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def run(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        if args.postgres:
            database_url = stack.enter_context(postgres_schema(args.postgres))
            kind = "postgresql (fresh schema)"
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-an-")))
            database_url = f"sqlite:///{folder / 'microcasa.db'}"
            kind = "sqlite"
        database = open_database(database_url)
        stack.callback(database.dispose)
        print(
            f"Analysis report ({kind}): {args.responses} responses × 50 questions × "
            f"{len(COUNTRIES)} countries, {args.rounds} rounds, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        prepare_s = prepare(database, args.responses)
        print(f"database ready in {prepare_s:.1f} s", flush=True)
        result = measure(database, args)
        if result["cut"]:
            print(f"stopped at the time limit ({args.time_limit:g} s); figures cover what ran")
        summary = show(result, prepare_s, args)
        summary["load_average"] = round(os.getloadavg()[0], 2)
        print("summary " + json.dumps(summary))
    return 0  # targets are reported, never failed; an error raises and exits 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: temporary files removed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
