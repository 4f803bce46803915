"""``kill -9`` of the server during submissions, many times: the crash test at a larger size.

Runs ``tests/reliability/test_crash.py`` (see docs/reliability.md) with
``MICROCASA_TEST_CRASHES`` set, on SQLite or with ``--postgres URL`` on PostgreSQL,
prints its output and a final ``summary {...}`` line with what it counted: tried,
acknowledged, lost, duplicated and 5xx from a live server.

    .venv/bin/python bench/crash.py --crashes 60
    .venv/bin/python bench/crash.py --crashes 60 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status: the test's (0 when every acknowledged submission survived exactly once).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST = "tests/reliability/test_crash.py"
REPORT = re.compile(
    r"crash: (\d+) tried, (\d+) acknowledged, (\d+) lost, (\d+) duplicated, (\d+) 5xx"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--crashes", type=int, default=60, help="kills (default 60, at least 20)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL on 127.0.0.1 instead")
    parser.add_argument("--time-limit", type=float, default=600.0, help="stop after S seconds")
    args = parser.parse_args(argv)
    env = {**os.environ, "MICROCASA_TEST_CRASHES": str(max(20, args.crashes))}
    env.pop("MICROCASA_TEST_DATABASE_URL", None)
    if args.postgres:
        env["MICROCASA_TEST_DATABASE_URL"] = args.postgres
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TEST]
    done = subprocess.run(  # noqa: S603 - the repository's own test
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=args.time_limit,
        check=False,
    )
    print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
    found = REPORT.search(done.stdout)
    if found is None:
        print("the crash test printed no report", file=sys.stderr)
        return done.returncode or 1
    tried, acknowledged, lost, duplicated, errors = (int(x) for x in found.groups())
    summary = {
        "crashes": max(20, args.crashes),
        "database": "postgresql" if args.postgres else "sqlite",
        "tried": tried,
        "acknowledged": acknowledged,
        "lost": lost,
        "duplicated": duplicated,
        "server_errors": errors,
        "passed": done.returncode == 0,
    }
    print("summary " + json.dumps(summary))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
