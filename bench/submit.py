"""Throughput of complete responses through the JSON API, against a bare Litestar app.

Starts the real platform (``microcasa serve``) on a fresh database and, side by
side, a bare Litestar app under uvicorn (one POST endpoint that parses the JSON
body and answers 201). Both get the same requests from one asyncio client, in
alternating rounds so that the shared machine's noise hits both. Prints
submissions per second, the ratio platform/bare, p50/p99 latency, every non-2xx
status, and checks in the database that the rows stored are exactly the 201s.

    .venv/bin/python bench/submit.py --quick
    .venv/bin/python bench/submit.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from microcasa.settings import Settings

REPO = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, and bench/analysis.py would shadow
# the platform's analysis package: the repository comes first instead.
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

from bench.databases import postgres_schema  # noqa: E402

MICROCASA = Path(sys.executable).parent / "microcasa"
FORM_ID = "microcasa_hei"
FORM_FILE = REPO / "survey" / "forms" / "microcasa_hei.md"
TARGET_RATIO = 0.5
LOOPBACK = "127.0.0.1"
REQUEST_TIMEOUT = 30.0
STARTUP_TIMEOUT = 60.0

# One complete response of an institution that already offers micro-credentials,
# so that every section (C2-C6, D, E, H) is shown and checked.
ANSWERS: dict[str, Any] = {
    "a1": "MY",
    "a2": "public",
    "a3": "comprehensive",
    "a4": "15k_30k",
    "a5": "qa_officer",
    "a6": "accredited",
    "b1": "4",
    "b2_eu": "3",
    "b2_microbol": "2",
    "b2_unesco": "3",
    "b2_national": "5",
    "b2_aqrf": "2",
    "b3": "yes",
    "b4": ["micro_credential", "short_course", "digital_badge"],
    "c1": "established",
    "c2": 24,
    "c3": 1850,
    "c4": ["online", "blended"],
    "c5": ["own_students", "alumni", "employees"],
    "c6": ["industry", "prof_bodies"],
    "c7": "approved",
    "c8": "expand",
    "d1": "mostly",
    "d2": ["mqa_credit"],
    "d3": "1_5",
    "d4": "sometimes",
    "d5": ["exam", "project"],
    "d6": "supervised_id",
    "d7": ["learner_id", "title", "awarding_body", "issue_date", "learning_outcomes", "workload"],
    "e1": "same",
    "e2": "agency_verification",
    "e3": "4",
    "e4": "3",
    "f1": "case_by_case",
    "f2_national": "case_by_case",
    "f2_foreign": "never",
    "f3": ["credit_transfer", "rpl"],
    "f4": 12.5,
    "f5": "3",
    "g1": "defined_pathways",
    "g2": "with_agreements",
    "g3": "planned",
    "h1": ["signed_pdf", "open_badges"],
    "h2": "yes",
    "h3": "some",
    "h4": "4",
    "i1_definition": "2",
    "i1_qa_rules": "3",
    "i1_recognition": "4",
    "i1_funding": "5",
    "i1_staff": "3",
    "i1_it": "2",
    "i1_employer": "3",
    "i1_demand": "2",
    "i1_curriculum": "3",
    "i1_accreditation": "4",
    "i2": ["recognition", "funding", "digital"],
    "i3": "4",
    "i4": "A shared national register would help employers trust micro-credentials.",
}


# The request body with a placeholder for the instance_id: encoded once, not per request.
INSTANCE_MARK = "00000000-0000-4000-8000-000000000000"
BODY = json.dumps(
    {"instance_id": INSTANCE_MARK, "language": "en", "country": "MY", "answers": ANSWERS}
)
HEADERS = {"Content-Type": "application/json"}
TLS = ssl.create_default_context()  # unused on http://; built once, not per client


def create_bare_app() -> Any:
    """The baseline: one POST endpoint that parses the JSON body and answers 201."""
    from litestar import Litestar, post

    ids = itertools.count(1)

    @post("/submit")
    async def submit(data: dict[str, Any]) -> dict[str, int]:
        return {"id": next(ids)}

    return Litestar([submit])


def check_answers() -> None:
    """Refuse to benchmark with an answer set the bundled form would reject (422s)."""
    from survey.engine import evaluate_form
    from survey.xlsform import read_markdown_form

    form = read_markdown_form(FORM_FILE.read_text(encoding="utf-8"), FORM_ID).form
    errors = evaluate_form(form, ANSWERS, form.default_language).errors
    if errors:
        raise SystemExit(f"the benchmark's answers do not validate: {dict(errors)}")


# --- the databases -------------------------------------------------------------------
# The platform is imported inside functions: this file also runs the bare server,
# which must not pay for (or be slowed by) loading the platform.


def _settings(database_url: str, secret_key: str) -> Settings:
    from microcasa.settings import load_settings

    return load_settings(database_url=database_url, secret_key=secret_key, env="production")


def prepare_database(database_url: str, secret_key: str) -> str:
    """Migrate, publish and open the bundled form, and return a researcher's API token."""
    from microcasa import schema
    from microcasa.auth.service import create_user
    from microcasa.auth.tokens import create_token
    from microcasa.db import Database
    from survey.demo import publish_bundled_form

    database = Database(_settings(database_url, secret_key))
    try:
        schema.upgrade(database)
        with database.transaction() as session:
            user = create_user(
                session,
                email="bench@example.org",
                password=secrets.token_urlsafe(24),
                role="researcher",
                display_name="Submission benchmark",
            )
            token = create_token(session, user, "submission benchmark").secret
            publish_bundled_form(session)
    finally:
        database.dispose()
    return token


def stored_instances(database_url: str, secret_key: str) -> list[str]:
    """The instance_id of every response stored through the API."""
    from sqlmodel import select

    from microcasa.db import Database
    from survey.models import Response

    database = Database(_settings(database_url, secret_key))
    try:
        with database.session() as session:
            statement = select(Response.instance_id).where(Response.channel == "api")
            return list(session.exec(statement))
    finally:
        database.dispose()


# --- the servers ---------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open together while they are picked)."""
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((LOOPBACK, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


@dataclass
class Server:
    """One uvicorn subprocess in a process group of its own, logging to a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own venv's executables
                self.argv,
                env=self.env,
                cwd=self.log_path.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, ready_path: str, ready_status: int | None) -> None:
        """Wait until ``ready_path`` answers ``ready_status`` (or anything, for None)."""
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with httpx.Client(base_url=self.url, trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    status = client.get(ready_path).status_code
                except httpx.TransportError:
                    status = None
                if status is not None and ready_status in (None, status):
                    return
                time.sleep(0.1)
        raise SystemExit(f"{self.name} did not start:\n{self.excerpt()}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's process group (0 where /proc is missing)."""
        if self.process is None:
            return 0.0
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended while we looked
            if int(fields[2]) == self.process.pid:  # pgrp
                ticks += int(fields[11]) + int(fields[12])  # utime + stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the whole process group (uvicorn's workers too): TERM, then KILL."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def excerpt(self, limit: int = 60) -> str:
        """The log's first warnings and errors (tracebacks whole), or its tail."""
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return "  (no log)"
        keys = ("error", "warning", "traceback", "exception", "locked", '  File "', "    ")
        picked = [line for line in lines if any(k in line.lower() for k in keys)] or lines[-20:]
        more = len(picked) - limit
        shown = [f"  | {line}" for line in picked[:limit]]
        if more > 0:
            shown.append(f"  | … {more} more such lines in the log")
        return "\n".join(shown)


def platform_server(
    database_url: str, secret_key: str, workers: int, log: Path, port: int
) -> Server:
    """``microcasa serve`` as in production, without the per-request access log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCASA_")}
    env |= {
        "MICROCASA_ENV": "production",
        "MICROCASA_DATABASE_URL": database_url,
        "MICROCASA_SECRET_KEY": secret_key,
        "MICROCASA_BASE_URL": f"http://{LOOPBACK}:{port}",
        "MICROCASA_LOG_LEVEL": "warning",
    }
    argv = [str(MICROCASA), "serve", "--host", LOOPBACK, "--port", str(port)]
    return Server("platform", [*argv, "--workers", str(workers)], env, log, port)


def bare_server(workers: int, log: Path, port: int) -> Server:
    argv = [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(port)]
    return Server("bare", [*argv, "--workers", str(workers)], dict(os.environ), log, port)


def serve_bare(port: int, workers: int) -> None:
    """Run the baseline app as ``microcasa serve`` runs the platform (factory, no access log)."""
    import uvicorn

    uvicorn.run(
        "bench.submit:create_bare_app",  # by package: worker processes drop bench/ from sys.path
        factory=True,
        app_dir=str(REPO),
        host=LOOPBACK,
        port=port,
        workers=workers,
        log_level="warning",
        server_header=False,
    )


# --- the load ------------------------------------------------------------------------


@dataclass
class Target:
    """One server under load and everything measured on it."""

    name: str
    server: Server
    path: str
    headers: dict[str, str]
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # no HTTP answer at all
    samples: dict[int | str, str] = field(default_factory=dict)  # by status or exception
    created: list[str] = field(default_factory=list)  # instance_ids answered 201
    rounds: list[tuple[int, float]] = field(default_factory=list)  # (2xx, seconds)
    client_cpu: float = 0.0  # this process's CPU seconds during the measured rounds
    server_cpu: float = 0.0  # the server's CPU seconds during the measured rounds

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def seconds(self) -> float:
        return sum(seconds for _, seconds in self.rounds)

    @property
    def rate(self) -> float:
        return sum(ok for ok, _ in self.rounds) / self.seconds if self.seconds else 0.0


async def submit_one(client: httpx.AsyncClient, target: Target, record: bool) -> bool:
    """Send one new response; True for a 2xx."""
    instance = str(uuid.uuid4())
    body = BODY.replace(INSTANCE_MARK, instance).encode()
    started = time.perf_counter()
    try:
        answer = await client.post(target.path, content=body, headers=target.headers)
    except httpx.HTTPError as exc:
        name = type(exc).__name__
        target.failures[name] += 1
        target.samples.setdefault(name, f"{exc!r} after {time.perf_counter() - started:.3f} s")
        return False
    if answer.status_code == 201:
        target.created.append(instance)
    if record:
        target.latencies.append(time.perf_counter() - started)
    target.statuses[answer.status_code] += 1
    if not 200 <= answer.status_code < 300:
        target.samples.setdefault(answer.status_code, answer.text[:300])
    return 200 <= answer.status_code < 300


async def load_round(
    target: Target, count: int, until: float, concurrency: int, record: bool = True
) -> None:
    """``count`` requests (or fewer, at ``until``), ``concurrency`` in flight.

    Each round opens its own connections: a connection left idle while the other
    server had its round would meet uvicorn's keep-alive timeout (5 s), and a request
    racing that close fails with a ReadError that is no fault of the server.
    """
    # One single-connection client per request in flight: httpx's pool rescans every
    # connection on each request, which made the client, not the servers, the bottleneck.
    clients = [
        httpx.AsyncClient(
            base_url=target.server.url,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            verify=TLS,
            timeout=REQUEST_TIMEOUT,
            trust_env=False,  # loopback only: no proxy from the environment
        )
        for _ in range(min(concurrency, count))
    ]
    left = count
    ok = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal left, ok
        while left > 0 and time.monotonic() < until:
            left -= 1
            succeeded = await submit_one(client, target, record)
            ok += succeeded

    started, cpu = time.perf_counter(), time.process_time()
    server_cpu = target.server.cpu_seconds()
    try:
        await asyncio.gather(*(sender(client) for client in clients))
    finally:
        for client in clients:
            await client.aclose()
    if record:
        target.rounds.append((ok, time.perf_counter() - started))
        target.client_cpu += time.process_time() - cpu
        target.server_cpu += target.server.cpu_seconds() - server_cpu


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def drive(bare: Target, platform: Target, args: argparse.Namespace) -> str:
    """Run the load; "done", "time limit" or "interrupted" (Ctrl-C or SIGTERM)."""
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    # A signal cancels the load between steps: an exception raised by a signal handler
    # in the middle of the event loop can leave it stuck.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main.cancel)
    try:
        finished = await alternate(bare, platform, args)
        return "done" if finished else "time limit"
    except asyncio.CancelledError:
        return "interrupted"
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def alternate(bare: Target, platform: Target, args: argparse.Namespace) -> bool:
    """Warm both up, then alternate rounds (ABBA); False when the time limit cut it short."""
    end = time.monotonic() + args.time_limit
    for target in (bare, platform):
        await load_round(target, 2 * args.concurrency, end, args.concurrency, False)
    counts = _split(args.requests, args.rounds) if args.seconds is None else None
    for number in range(args.rounds):
        order = (bare, platform) if number % 2 == 0 else (platform, bare)
        for target in order:
            if time.monotonic() >= end:
                return False
            if counts is None:
                count, until = sys.maxsize, time.monotonic() + args.seconds / args.rounds
            else:
                count, until = counts[number], end
            await load_round(target, count, min(until, end), args.concurrency)
    return True


# --- the report ----------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def _statuses(target: Target) -> str:
    parts = [f"{status}×{n}" for status, n in sorted(target.statuses.items())]
    parts += [f"{name}×{n}" for name, n in sorted(target.failures.items())]
    return " ".join(parts) or "-"


def report(bare: Target, platform: Target) -> tuple[float, bool]:
    """Print the table, the ratio and the errors; return (ratio, platform had errors)."""
    columns = ("2xx", "seconds", "subs/s", "p50 ms", "p99 ms", "server cpu", "cpu ms/sub")
    columns += ("client cpu",)
    print("\n" + " " * 9 + "".join(f"{c:>11}" for c in columns) + "  statuses (with warm-up)")
    for target in (bare, platform):
        seconds = target.seconds or 1.0
        done = sum(ok for ok, _ in target.rounds)
        print(
            f"{target.name:9}{done:11d}{target.seconds:11.2f}"
            f"{target.rate:11.1f}{percentile(target.latencies, 0.50) * 1000:11.1f}"
            f"{percentile(target.latencies, 0.99) * 1000:11.1f}"
            f"{target.server_cpu / seconds:11.0%}{target.server_cpu * 1000 / (done or 1):11.2f}"
            f"{target.client_cpu / seconds:11.0%}  {_statuses(target)}"
        )
    ratio = platform.rate / bare.rate if bare.rate else 0.0
    per_round = [
        (p_ok / p_s) / (b_ok / b_s)
        for (b_ok, b_s), (p_ok, p_s) in zip(bare.rounds, platform.rounds, strict=False)
        if b_ok and b_s and p_s
    ]
    print(f"\nratio platform/bare: {ratio:.3f}  (target ≥ {TARGET_RATIO})")
    print("ratio per round:     " + " ".join(f"{r:.3f}" for r in per_round))
    if ratio < TARGET_RATIO:
        print(f"RATIO below {TARGET_RATIO}")
    errors = False
    for target in (bare, platform):
        bad = {s: n for s, n in target.statuses.items() if not 200 <= s < 300}
        if not bad and not target.failures:
            print(f"{target.name}: no errors")
            continue
        errors = errors or target is platform
        print(f"{target.name}: ERRORS {dict(bad)} {dict(target.failures)}")
        for key, sample in sorted(target.samples.items(), key=str):
            print(f"  {key}: {sample}")
    return ratio, errors


def verify(platform: Target, stored: list[str]) -> bool:
    """Rows stored == acknowledged 201s, no duplicates; print the comparison."""
    acknowledged = set(platform.created)
    rows = set(stored)
    duplicates = len(stored) - len(rows)
    missing = acknowledged - rows
    unacknowledged = rows - acknowledged
    same = len(stored) == len(platform.created) and not missing and not unacknowledged
    print(
        f"database: {len(stored)} rows stored, {len(platform.created)} acknowledged 201s "
        f"(warm-up included); {duplicates} duplicate instance_ids; "
        f"{len(missing)} acknowledged but not stored; {len(unacknowledged)} stored "
        f"but not acknowledged -> {'OK' if same and not duplicates else 'MISMATCH'}"
    )
    return same and not duplicates


# --- the command ---------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 requests each, 4 rounds")
    parser.add_argument("--requests", type=int, help="requests per server (default 3000)")
    parser.add_argument("--seconds", type=float, help="seconds per server instead of a count")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 6)")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, for both")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL on 127.0.0.1 instead")
    parser.add_argument("--time-limit", type=float, help="stop the load after this many seconds")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.requests = args.requests or (300 if args.quick else 3000)
    args.rounds = args.rounds or (4 if args.quick else 6)
    args.time_limit = args.time_limit or (25.0 if args.quick else 300.0)
    if args.seconds is not None:
        args.time_limit = max(args.time_limit, args.seconds * 2 + 30)
    if min(args.requests, args.rounds, args.concurrency, args.workers) < 1:
        parser.error("--requests, --rounds, --concurrency and --workers must be at least 1")
    if args.requests < args.rounds:
        parser.error("--requests must be at least --rounds")
    return args


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def _handle_signals() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, so that the cleanup runs."""
    signal.signal(signal.SIGINT, _interrupt)  # even where the shell started us ignoring it
    signal.signal(signal.SIGTERM, _interrupt)


def run(args: argparse.Namespace) -> int:
    check_answers()
    secret_key = secrets.token_urlsafe(48)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-submit-")))
        if args.postgres:
            database_url = stack.enter_context(postgres_schema(args.postgres))
            kind = "postgresql (fresh schema)"
        else:
            database_url = f"sqlite:///{folder / 'microcasa.db'}"
            kind = "sqlite (WAL, synchronous=FULL)"
        bare_port, platform_port = free_ports(2)
        servers = (
            bare_server(args.workers, folder / "bare.log", bare_port),
            platform_server(
                database_url, secret_key, args.workers, folder / "platform.log", platform_port
            ),
        )
        for server in servers:
            stack.callback(server.stop)
        servers[0].start()  # starts up while the database is prepared
        token = prepare_database(database_url, secret_key)
        servers[1].start()
        servers[0].wait_ready("/submit", None)
        servers[1].wait_ready("/healthz", 200)
        bare = Target("bare", servers[0], "/submit", HEADERS)
        platform = Target(
            "platform",
            servers[1],
            f"/api/forms/{FORM_ID}/submissions",
            HEADERS | {"Authorization": f"Bearer {token}"},
        )
        amount = f"{args.seconds:g} s" if args.seconds else f"{args.requests} requests"
        print(
            f"POST a complete response: platform ({kind}) vs bare Litestar, "
            f"{amount} each in {args.rounds} alternating rounds, concurrency "
            f"{args.concurrency}, workers {args.workers}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,  # the load takes a while; say what is running first
        )
        outcome = asyncio.run(drive(bare, platform, args))
        _handle_signals()  # the event loop put its own handlers back to the defaults
        if outcome == "interrupted":
            raise KeyboardInterrupt
        if outcome == "time limit":
            print(f"stopped at the time limit ({args.time_limit:g} s); figures cover what ran")
        ratio, platform_errors = report(bare, platform)
        crashed = [server.name for server in servers if not server.alive()]
        for server in servers:
            server.stop()
        if crashed:
            print(f"CRASHED during the run: {', '.join(crashed)}")
        if platform_errors or crashed:
            print("platform log (warnings and errors):")
            print(servers[1].excerpt())
        consistent = verify(platform, stored_instances(database_url, secret_key))
        summary = {
            "ratio": round(ratio, 3),
            "platform_per_s": round(platform.rate, 1),
            "bare_per_s": round(bare.rate, 1),
        }
        print("summary " + json.dumps(summary))
    # Performance is reported, never failed; wrong answers or lost rows are failures.
    return 1 if platform_errors or crashed or not consistent else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bare_server is not None:
        serve_bare(args.bare_server, args.workers)
        return 0
    _handle_signals()
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, temporary files removed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
