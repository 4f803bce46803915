"""A backup restored into a fresh database gives identical exports, on SQLite and PostgreSQL.

Every command runs in its own process, as the operator runs it: ``microcasa db
backup`` and ``db restore`` (pg_dump and pg_restore on PostgreSQL), then the
platform's own exports from the original and from the restored database, with the
same secret key (the pseudonymous ids in the data file are HMACs with it).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from analysis.synthetic import DEFAULT_SEED, load_synthetic
from microcasa import schema
from microcasa.auth import service as accounts
from microcasa.auth.roles import Role
from microcasa.db import Database
from policy_matrix import service
from policy_matrix.catalogue import bundled_entries
from survey.demo import publish_bundled_form
from survey.models import Response
from tests.conftest import (
    PASSWORD,
    PG_URL,
    TEST_SECRET,
    add_user,
    make_settings,
    postgres_schema_url,
)

MICROCASA = str(Path(sys.executable).parent / "microcasa")
SYNTHETIC = 60  # synthetic responses: every answer type, quick to load
EDITOR = service.Actor(None, "rita.researcher@uni.example", Role.RESEARCHER)
# The one thing that differs between two exports of the same data: the time an
# .xlsx was written, in its document properties (docProps/core.xml) and in the
# dates of its zip entries, which are left out by comparing member by member.
GENERATION_STAMP = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def microcasa(
    database_url: str, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MICROCASA_DATABASE_URL": database_url,
        "MICROCASA_SECRET_KEY": TEST_SECRET,
        "MICROCASA_ENV": "test",
    }
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [MICROCASA, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def load_study(database: Database) -> None:
    """The bundled questionnaire with synthetic responses, the matrix with one edit, a user."""
    with database.transaction() as session:
        publish_bundled_form(session)
        service.load_bundled(session)
        assert load_synthetic(session, SYNTHETIC, DEFAULT_SEED) == SYNTHETIC
        (entry,) = [e for e in bundled_entries("MY") if e["dimension"] == "PM05"]
        fields = {**entry, "value": {**(entry["value"] or {}), "levels": 9}}
        reason = 'Kementerian circular 2026 ✓ — =HYPERLINK("x")'
        assert service.update_cell(session, EDITOR, "MY", "PM05", fields, reason) is not None
    add_user(database, "ana@uni.example", role="researcher")


def exports(database_url: str, folder: Path) -> dict[str, bytes]:
    """The data file, the codebook, the matrix workbook and the analysis report."""
    folder.mkdir()
    commands = {
        "data.csv": ["export", "data", "--format", "csv", str(folder / "data.csv")],
        "codebook.xlsx": ["export", "codebook", str(folder / "codebook.xlsx")],
        "matrix.xlsx": ["policy", "export", str(folder / "matrix.xlsx")],
        "report.json": [
            "analyze",
            "--form",
            "microcasa_hei",
            "--json",
            str(folder / "report.json"),
        ],
    }
    files = {}
    for name, args in commands.items():
        result = microcasa(database_url, *args)
        assert result.returncode == 0, result.stderr
        files[name] = (folder / name).read_bytes()
    return files


def comparable(name: str, content: bytes) -> dict[str, bytes]:
    """A file as its parts: an .xlsx by zip member, with only its generation time removed."""
    if not name.endswith(".xlsx"):
        return {name: content}
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        parts = {member: book.read(member) for member in book.namelist()}
    parts["docProps/core.xml"] = GENERATION_STAMP.sub(b"", parts["docProps/core.xml"])
    return parts


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database to restore into: a new SQLite file, or a new PostgreSQL
    database with a search_path naming the same schema as the original's."""
    if not PG_URL:
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'microcasa.db'}"
        return
    options = str(make_url(database_url).query["options"])
    schema = options.split("=", 1)[1]
    name = "restore_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    fresh = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield postgres_schema_url(fresh, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_restored_backup_gives_identical_exports(
    database: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    load_study(database)
    # Backed up before any export: the restored database's exports are then computed
    # from its restored responses, not from a frame that an export cached in the database.
    backup = tmp_path / "study.backup"
    made = microcasa(database_url, "db", "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert oct(backup.stat().st_mode & 0o777) == "0o600", "a backup holds respondent data"
    before = exports(database_url, tmp_path / "before")
    assert before["data.csv"].count(b"\n") == SYNTHETIC + 1, "a header and every response"

    restored = microcasa(fresh_url, "db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr

    after = exports(fresh_url, tmp_path / "after")
    for name, content in before.items():
        assert comparable(name, after[name]) == comparable(name, content), name

    copy = Database(make_settings(fresh_url))
    try:
        revision = schema.current_revision(database)
        assert f"database at revision {revision}" in restored.stdout
        assert schema.current_revision(copy) == revision
        # The same tables, columns, indexes and constraints as the original.
        assert [str(d) for d in schema.drift(copy)] == [str(d) for d in schema.drift(database)]
    finally:
        copy.dispose()


def test_the_restored_database_takes_new_writes_and_keeps_history_append_only(
    database: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    load_study(database)
    backup = tmp_path / "study.backup"
    assert microcasa(database_url, "db", "backup", str(backup)).returncode == 0
    assert microcasa(fresh_url, "db", "restore", str(backup)).returncode == 0

    copy = Database(make_settings(fresh_url))
    try:
        # New rows continue the restored ids (PostgreSQL sequences come back too).
        newest = add_user(copy, "new@uni.example")
        assert newest.id is not None and newest.id > 1
        with pytest.raises(DBAPIError), copy.transaction() as session:
            session.execute(text("DELETE FROM policy_change"))

        refused = microcasa(fresh_url, "db", "restore", str(backup))
        assert refused.returncode == 1
        (line,) = refused.stderr.strip().splitlines()
        assert "already holds" in line and "--force" in line
        assert _users(copy) == 2, "a refused restore changes nothing"

        forced = microcasa(fresh_url, "db", "restore", "--force", str(backup))
        assert forced.returncode == 0, forced.stderr
        assert _users(copy) == 1, "--force replaces what the database held"
        with copy.session() as session:
            assert session.exec(select(func.count()).select_from(Response)).one() == SYNTHETIC
    finally:
        copy.dispose()


def _users(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(text("SELECT count(*) FROM user_account")).scalar_one())


def test_backup_and_restore_fail_in_one_line(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    existing = tmp_path / "kept.backup"
    existing.write_bytes(b"an older backup")
    result = microcasa(database_url, "db", "backup", str(existing))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"microcasa: error: {existing} exists; a backup is never written over a file"
    ]
    assert existing.read_bytes() == b"an older backup"

    result = microcasa(database_url, "db", "restore", str(existing))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "is not a" in line and "make backups with `microcasa db backup`" in line

    empty = tmp_path / "no-tools"
    empty.mkdir()
    nowhere = "postgresql+psycopg://microcasa@127.0.0.1:1/microcasa"
    result = microcasa(nowhere, "db", "backup", str(tmp_path / "x.backup"), path=str(empty))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "microcasa: error: pg_dump is not installed (or not on PATH); "
        "install the PostgreSQL client tools"
    ]
    assert not (tmp_path / "x.backup").exists()


def test_a_backup_runs_beside_an_open_write_and_holds_only_what_was_committed(
    database: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    add_user(database, "kept@uni.example")
    backup = tmp_path / "during.backup"
    with database.transaction() as session:
        accounts.create_user(
            session, email="pending@uni.example", password=PASSWORD, role="researcher"
        )
        session.flush()
        # The writer holds its transaction (and on SQLite the write lock) open meanwhile.
        made = microcasa(database_url, "db", "backup", str(backup))
        assert made.returncode == 0, made.stderr
    assert _emails(database) == ["kept@uni.example", "pending@uni.example"]

    assert microcasa(fresh_url, "db", "restore", str(backup)).returncode == 0
    copy = Database(make_settings(fresh_url))
    try:
        assert _emails(copy) == ["kept@uni.example"]
    finally:
        copy.dispose()


def _emails(database: Database) -> list[str]:
    with database.session() as session:
        rows = session.execute(text("SELECT email FROM user_account ORDER BY email"))
        return [str(email) for (email,) in rows]


def test_a_restore_says_when_the_backup_comes_from_a_newer_version(
    database: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    with database.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999_later'"))
    backup = tmp_path / "newer.backup"
    assert microcasa(database_url, "db", "backup", str(backup)).returncode == 0

    result = microcasa(fresh_url, "db", "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert "database at revision 9999_later" in result.stdout
    assert result.stderr.strip().splitlines() == [
        "the backup comes from a newer version: install it before serving"
    ]
