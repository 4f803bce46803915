"""The ``microcasa`` command, run as an operator runs it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from microcasa import schema
from microcasa.auth import service
from microcasa.cli import main
from microcasa.db import Database
from policy_matrix.models import PolicyEntry
from survey.models import Response
from tests.conftest import TEST_SECRET, add_user, make_settings

MICROCASA = str(Path(sys.executable).parent / "microcasa")


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET, **extra}


def _run(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_env(database_url)}
    return subprocess.run(
        [MICROCASA, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_users_create_reads_the_password_from_stdin(database_url: str, database: Database) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["users", "create", "Koord@UNI.example", "--role", "coordinator", "--country", "es"],
        input="a sunny day in seville\n",
        env=_env(database_url),
    )
    assert result.exit_code == 0, result.output
    assert "created coordinator koord@uni.example (ES)" in result.output
    assert "a sunny day in seville" not in result.output
    with database.session() as session:
        user = service.find_user(session, "koord@uni.example")
        assert user is not None and user.country == "ES"
        assert user.password_hash.startswith("$argon2id$")


def test_users_create_refuses_a_weak_password_in_one_line(
    database_url: str, database: Database
) -> None:
    result = _run(
        database_url, "users", "create", "a@uni.example", "--role", "admin", stdin="password1234\n"
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "microcasa: error: This password is too common to be safe. "
        "A phrase of several unrelated words works well."
    ]


def test_users_token_prints_a_working_token_once(database_url: str, database: Database) -> None:
    add_user(database, "ana@uni.example")
    result = CliRunner().invoke(main, ["users", "token", "ana@uni.example"], env=_env(database_url))
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("mcat_")
    with database.transaction() as session:
        from microcasa.auth.tokens import resolve_token

        user = resolve_token(session, secret)
        assert user is not None and user.email == "ana@uni.example"


def test_unknown_account_is_one_line(database_url: str, database: Database) -> None:
    result = CliRunner().invoke(
        main, ["users", "token", "nobody@uni.example"], env=_env(database_url)
    )
    assert result.exit_code == 1
    assert "There is no account with that email address." in result.output


def test_db_commands_round_trip(database_url: str) -> None:
    runner = CliRunner()
    env = _env(database_url)
    head = schema.head_revision()
    assert f"database at revision {head}" in runner.invoke(main, ["db", "upgrade"], env=env).output
    check = runner.invoke(main, ["db", "check"], env=env)
    assert check.exit_code == 0
    assert "models and migrations agree" in check.output
    down = runner.invoke(main, ["db", "downgrade", "base"], env=env)
    assert "database at revision base" in down.output
    stale = runner.invoke(main, ["db", "check"], env=env)
    assert stale.exit_code == 1
    assert "run `microcasa db upgrade`" in stale.output


def test_production_without_secret_is_one_line(database_url: str) -> None:
    env = {**os.environ, "MICROCASA_DATABASE_URL": database_url, "MICROCASA_ENV": "production"}
    env.pop("MICROCASA_SECRET_KEY", None)
    result = subprocess.run(
        [MICROCASA, "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "microcasa: error: configuration: MICROCASA_SECRET_KEY must be set in production"
    )


def test_wrong_setting_is_one_line(database_url: str) -> None:
    env = {**os.environ, **_env(database_url), "MICROCASA_SESSION_IDLE_MINUTES": "forever"}
    result = subprocess.run(
        [MICROCASA, "serve"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "microcasa: error: configuration: MICROCASA_SESSION_IDLE_MINUTES: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_unreachable_database_is_one_line() -> None:
    result = _run("postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "upgrade")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "microcasa: error: cannot reach the database postgresql+psycopg://nobody@127.0.0.1:1/none:"
    )


def test_demo_is_idempotent(database_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo"], env=_env(database_url))
    assert re.search(r"demo admin: admin@example.org  password: \S{16,}", first.output)
    assert "policy matrix: six countries and two reference rows (192 cells loaded)" in first.output
    assert "synthetic responses: 600 loaded (labelled synthetic)" in first.output
    second = runner.invoke(main, ["demo"], env=_env(database_url))
    assert second.exit_code == 0
    assert "exists" in second.output
    assert "password:" not in second.output
    assert "(already loaded)" in second.output
    assert "synthetic responses: already loaded" in second.output
    database = Database(make_settings(database_url))
    try:
        with database.session() as session:
            stored = session.exec(select(func.count()).select_from(PolicyEntry)).one()
            responses = session.exec(select(func.count()).select_from(Response)).one()
    finally:
        database.dispose()
    assert stored == 192  # 8 jurisdictions × 24 entered dimensions, once
    assert responses == 600  # the synthetic responses, once


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_demo_prints_a_login_that_works(
    database_url: str, tmp_path: Path, workers: int
) -> None:
    port = _free_port()
    env = {**os.environ, **_env(database_url)}
    server = subprocess.Popen(
        [MICROCASA, "serve", "--demo", "--port", str(port), "--workers", str(workers)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        password = None
        for line in server.stdout:
            found = re.search(r"password: (\S+)", line)
            if found:
                password = found.group(1)
                break
        assert password, "serve --demo prints the admin password"
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=10) as browser:
            browser.get("/login")
            response = browser.post(
                "/login",
                data={
                    "email": "admin@example.org",
                    "password": password,
                    "_csrf_token": browser.cookies["mc_csrf"],
                },
            )
            assert response.status_code == 303
            # Several workers behave as one: the session works on whichever answers.
            for _ in range(6):
                dashboard = browser.get("/dashboard")
                assert dashboard.status_code == 200
                assert "Demo admin" in dashboard.text
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
