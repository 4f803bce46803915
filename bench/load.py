"""Hundreds of respondents at once on the real platform, beside a bare Litestar baseline.

Starts ``microcasa serve`` on a fresh database with the bundled questionnaire,
invitations and the open link, and sends at once N respondents (browsers going
page by page, some saving and coming back) and API submitters (retrying on
timeouts with the same instance_id). Before and after, the same number of
clients send as many requests to a bare Litestar endpoint. Prints p50/p99 per
step against the bare endpoint's, every 5xx, the server log's lines of trouble
("database is locked", "database unavailable", "unexpected error"), and compares
what the database stored with what the platform acknowledged.

    .venv/bin/python bench/load.py --quick
    .venv/bin/python bench/load.py --workers 2 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
# The repository instead of this folder: bench/analysis.py would hide the platform's package.
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

from bench.databases import postgres_schema  # noqa: E402
from bench.load_client import Tally, run_load  # noqa: E402
from bench.load_fieldwork import (  # noqa: E402
    Kept,
    Respondent,
    Submitter,
    compare,
    institutions_needed,
    log_problems,
    plan,
    prepare_fieldwork,
)
from bench.submit import (  # noqa: E402
    BODY,
    HEADERS,
    REQUEST_TIMEOUT,
    Server,
    _handle_signals,  # Ctrl-C and SIGTERM raise KeyboardInterrupt, so that the cleanup runs
    bare_server,
    free_ports,
    percentile,
    platform_server,
)

STEPS: tuple[str, ...] = ("open link", "notice", "consent", "start", "page", "answer", "save")
STEPS += ("resume form", "resume", "submit", "thanks", "api submit")


_EXCEPTION = re.compile(r"^[\w.]+(Error|Exception|Timeout)\b")


@dataclass
class Bare:
    """The baseline's requests: latency of each, and the wall time of each phase."""

    latencies: list[float] = field(default_factory=list)
    phases: list[tuple[int, float, float]] = field(default_factory=list)  # n, seconds, p50
    errors: int = 0


def planned_requests(person: Respondent) -> int:
    """About as many requests as this respondent sends the platform (for the baseline)."""
    pages = 10 if "d1" in person.answers else 8
    return 2 * pages + 5 + (4 if person.save_on_page is not None else 0)


async def bare_phase(url: str, counts: list[int], bare: Bare) -> None:
    """Each client sends its count of requests to the bare endpoint, one after another."""
    latencies: list[float] = []
    body = BODY.encode()

    async def client_run(count: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT, trust_env=False) as c:
            for _ in range(count):
                started = time.perf_counter()
                try:
                    answer = await c.post("/submit", content=body, headers=HEADERS)
                except httpx.HTTPError:
                    bare.errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                bare.errors += answer.status_code != 201

    started = time.perf_counter()
    await asyncio.gather(*(client_run(count) for count in counts))
    seconds = time.perf_counter() - started
    bare.latencies += latencies
    bare.phases.append((len(latencies), seconds, percentile(latencies, 0.5)))


@dataclass(frozen=True)
class Load:
    """Who comes, and where what happens is tallied."""

    people: list[Respondent]
    robots: list[Submitter]
    staff_token: str
    tally: Tally
    bare: Bare


@dataclass
class Platform:
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    outcome: str = "done"


async def drive(args: argparse.Namespace, servers: tuple[Server, Server], work: Load) -> Platform:
    """Bare, platform, bare; a signal or the time limit ends the platform's phase early."""
    counts = [planned_requests(p) for p in work.people] + [r.submissions for r in work.robots]
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main.cancel)
    result = Platform()
    try:
        await bare_phase(servers[0].url, counts, work.bare)
        cpu, server_cpu, started = time.process_time(), servers[1].cpu_seconds(), time.monotonic()
        load = run_load(
            servers[1].url, work.people, work.robots, work.staff_token, args.api_timeout, work.tally
        )
        try:
            await asyncio.wait_for(load, timeout=args.time_limit)
        except TimeoutError:
            result.outcome = "time limit"
        result.seconds = time.monotonic() - started
        result.client_cpu = time.process_time() - cpu
        result.server_cpu = servers[1].cpu_seconds() - server_cpu
        await bare_phase(servers[0].url, counts, work.bare)
    except asyncio.CancelledError:
        result.outcome = "interrupted"
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return result


# --- the report ----------------------------------------------------------------------


def _statuses(tally: Tally, step: str) -> str:
    parts = [f"{s}×{n}" for s, n in sorted(tally.statuses.get(step, {}).items()) if n]
    parts += [f"{k.split(': ')[1]}×{n}" for k, n in tally.failures.items() if k.startswith(step)]
    return " ".join(parts)


def step_table(tally: Tally, bare: Bare) -> list[tuple[str, int, float, float]]:
    """Print p50/p99 per step against the bare endpoint's; (step, n, p50 ms, p99 ms) rows."""
    bare_p50 = percentile(bare.latencies, 0.5) * 1000
    bare_p99 = percentile(bare.latencies, 0.99) * 1000
    print(f"\n{'step':12}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'×bare p50':>10}", end="")
    print(f"{'×bare p99':>10}  statuses")
    rows = []
    for step in STEPS:
        values = tally.latencies.get(step, [])
        if not values:
            continue
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        rows.append((step, len(values), p50, p99))
        print(
            f"{step:12}{len(values):9d}{p50:9.1f}{p99:9.1f}{p50 / bare_p50:10.1f}"
            f"{p99 / bare_p99:10.1f}  {_statuses(tally, step)}"
        )
    print(f"{'bare':12}{len(bare.latencies):9d}{bare_p50:9.1f}{bare_p99:9.1f}", end="")
    phases = ", ".join(f"{n} in {s:.1f} s, p50 {p * 1000:.1f} ms" for n, s, p in bare.phases)
    print(f"{1:10.1f}{1:10.1f}  before and after: {phases}; {bare.errors} errors")
    return rows


def report(
    args: argparse.Namespace,
    tally: Tally,
    bare: Bare,
    run: Platform,
    kept: Kept,
    problems: dict[str, int],
) -> tuple[list[dict[str, Any]], bool]:
    """Print everything; the rows for --summary-json and whether the run held."""
    rows = step_table(tally, bare)
    bare_seconds = sum(s for _, s, _ in bare.phases) or 1.0
    bare_rate = len(bare.latencies) / bare_seconds
    seconds = run.seconds or 1.0
    rate = tally.requests / seconds
    walks = len(tally.acknowledged_tokens) + len(tally.acknowledged_institutions)
    print(
        f"\nplatform: {tally.requests} requests in {run.seconds:.1f} s = {rate:.1f}/s "
        f"(bare {bare_rate:.1f}/s, ratio {rate / bare_rate:.3f}); server cpu "
        f"{run.server_cpu / seconds:.0%}, client cpu {run.client_cpu / seconds:.0%}"
    )
    print(
        f"respondents: {walks} of {args.respondents} submitted, {tally.walks_stopped} stopped; "
        f"{tally.pages_again} pages shown again for a follow-up question"
    )
    print(
        f"api: {len(tally.api_acknowledged)} of {len(tally.api_sent)} acknowledged; "
        f"{tally.api_timeouts} timeouts, {tally.api_retries} retries, "
        f"{tally.api_found_on_retry} retries answered 200 (stored by an attempt that timed out), "
        f"{tally.api_gave_up} given up"
    )
    print(
        f"database: {kept.complete} complete responses stored, {kept.acknowledged} acknowledged; "
        f"{kept.missing} acknowledged but not stored; {kept.unacknowledged} stored but never "
        f"acknowledged; {kept.duplicate_instances} duplicate instance_ids; "
        f"{kept.invitations_with_two} invitations with two complete; {kept.partial} partial "
        f"-> {'OK' if kept.holds else 'MISMATCH'}"
    )
    errors = tally.server_errors
    found = "; ".join(f"'{kind}' {n}" for kind, n in problems.items())
    print(f"5xx: {errors}; server log lines: {found}")
    for key, sample in sorted(tally.samples.items()):
        print(f"  {key}: {' '.join(sample.split())[:160]}")
    label = f"load {args.kind}, {args.workers} worker{'s' if args.workers > 1 else ''}"
    bare_p50 = percentile(bare.latencies, 0.5) * 1000
    bare_p99 = percentile(bare.latencies, 0.99) * 1000
    summary = [_row(f"{label}: requests per second", rate, bare_rate, "report only", "req/s")]
    for step, _n, p50, p99 in rows:
        summary.append(_row(f"{label}: {step} p50", p50, bare_p50, "report only", "ms"))
        summary.append(_row(f"{label}: {step} p99", p99, bare_p99, "report only", "ms"))
    summary += [
        _row(f"{label}: stored / acknowledged", kept.complete, kept.acknowledged, "= 1", "ratio"),
        _row(f"{label}: acknowledged but not stored", kept.missing, None, "= 0", "responses"),
        _row(f"{label}: duplicate instance_ids", kept.duplicate_instances, None, "= 0", "rows"),
        _row(f"{label}: invitations with two", kept.invitations_with_two, None, "= 0", "rows"),
        _row(f"{label}: 5xx", errors, None, "= 0", "requests"),
    ]
    for kind, count in problems.items():
        summary.append(_row(f"{label}: log '{kind}'", count, None, "= 0", "log lines"))
    failed = bool(tally.failures or tally.unexpected or tally.walks_stopped or tally.api_gave_up)
    holds = kept.holds and not errors and not any(problems.values()) and not failed
    return summary, holds


def log_summary(text: str, limit: int = 6) -> str:
    """The server log's warnings and exceptions by kind, and where the first one was raised."""
    kinds = Counter(
        line.split(" - ")[-1][:150] if line.startswith("WARNING") else line[:150]
        for line in text.splitlines()
        if _EXCEPTION.match(line) or line.startswith("WARNING")
    )
    shown = [f"  {n}× {kind}" for kind, n in kinds.most_common(limit)]
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Traceback")), len(lines))
    frames = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break  # the exception line ends the traceback
        if line.strip().startswith(f'File "{REPO}/') and "/.venv/" not in line:
            frames.append("    " + line.strip())
    where = ["  the first traceback's frames in the platform:", *frames] if frames else []
    return "\n".join(["server log:", *shown, *where])


def _row(
    figure: str, value: float, baseline: float | None, target: str, unit: str
) -> dict[str, Any]:
    ratio = round(value / baseline, 3) if baseline else None
    base = round(baseline, 2) if baseline is not None else None
    return {
        "figure": figure,
        "value": round(value, 2),
        "baseline": base,
        "ratio": ratio,
        "target": target,
        "unit": unit,
    }


# --- the command ---------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 respondents, 60 s at most")
    parser.add_argument("--respondents", type=int, help="browsers at once (default 200)")
    parser.add_argument("--submitters", type=int, help="API submitters (default respondents/10)")
    parser.add_argument("--per-submitter", type=int, default=5, help="submissions each")
    parser.add_argument("--api-timeout", type=float, default=0.25, help="first API timeout, s")
    parser.add_argument("--workers", type=int, default=1, help="server workers, for both")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL on 127.0.0.1 instead")
    parser.add_argument("--time-limit", type=float, help="stop the platform's load after S s")
    parser.add_argument("--summary-json", type=Path, metavar="PATH", help="write the figures")
    args = parser.parse_args(argv)
    args.respondents = args.respondents or (40 if args.quick else 200)
    if args.submitters is None:
        args.submitters = max(1, args.respondents // 10)
    args.time_limit = args.time_limit or (60.0 if args.quick else 600.0)
    if min(args.respondents, args.per_submitter, args.workers) < 1 or args.submitters < 0:
        parser.error("--respondents, --per-submitter and --workers must be at least 1")
    return args


def _database(database_url: str, secret_key: str) -> Any:
    from microcasa.db import Database
    from microcasa.settings import load_settings

    settings = load_settings(database_url=database_url, secret_key=secret_key, env="production")
    return Database(settings)


def run(args: argparse.Namespace) -> int:
    from microcasa import schema

    secret_key = secrets.token_urlsafe(48)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
        if args.postgres:
            database_url = stack.enter_context(postgres_schema(args.postgres))
            args.kind = "postgresql"
        else:
            database_url = f"sqlite:///{folder / 'microcasa.db'}"
            args.kind = "sqlite"
        bare_port, platform_port = free_ports(2)
        log = folder / "platform.log"
        servers = (
            bare_server(args.workers, folder / "bare.log", bare_port),
            platform_server(database_url, secret_key, args.workers, log, platform_port),
        )
        # Respondents come through a TLS-terminating reverse proxy, each from an address of
        # its own; the proxy forwards plain HTTP, so cookies are not marked Secure here.
        servers[1].env["MICROCASA_FORWARDED_ALLOW_IPS"] = "127.0.0.1"
        servers[1].env["MICROCASA_COOKIE_SECURE"] = "false"
        for server in servers:
            stack.callback(server.stop)
        servers[0].start()
        database = _database(database_url, secret_key)
        stack.callback(database.dispose)
        schema.upgrade(database)
        needed = institutions_needed(args.respondents, args.submitters, args.per_submitter)
        fieldwork = prepare_fieldwork(database, secret_key, needed)
        people, robots = plan(fieldwork, args.respondents, args.submitters, args.per_submitter)
        servers[1].start()
        servers[0].wait_ready("/submit", None)
        servers[1].wait_ready("/healthz", 200)
        print(
            f"Load: {len(people)} respondents and {len(robots)} API submitters × "
            f"{args.per_submitter} at once on the platform ({args.kind}, workers "
            f"{args.workers}), bare Litestar before and after; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        tally, bare = Tally(), Bare()
        work = Load(people, robots, fieldwork.staff_token, tally, bare)
        result = asyncio.run(drive(args, servers, work))
        _handle_signals()
        if result.outcome == "interrupted":
            raise KeyboardInterrupt
        if result.outcome == "time limit":
            print(f"stopped at the time limit ({args.time_limit:g} s); figures cover what ran")
        crashed = not servers[1].alive()
        for server in servers:
            server.stop()
        text = log.read_text(encoding="utf-8", errors="replace")
        kept = compare(database, secret_key, tally)
        summary, holds = report(args, tally, bare, result, kept, log_problems(text))
        if crashed:
            print("CRASHED: the platform's server ended during the run")
        if not holds or crashed:
            print(log_summary(text))
        if args.summary_json:
            args.summary_json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0 if holds and not crashed and result.outcome == "done" else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _handle_signals()
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, temporary files removed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
