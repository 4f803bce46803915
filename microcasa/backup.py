"""Backups of the platform's database, and restoring one into an empty database.

SQLite: SQLite's online backup API copies a consistent snapshot while the
platform keeps serving; the copy is one self-contained file. PostgreSQL:
``pg_dump -Fc`` of the platform's schema, restored with ``pg_restore`` in a
single transaction, so a failed restore leaves no half-restored tables.

A backup holds respondent data: it is written owner-only, under a temporary
name until complete, and never over an existing file.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from microcasa.db import describe_db_error
from microcasa.schema import alembic_config, head_revision
from microcasa.settings import Settings

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# A dump or restore of a large study takes minutes; this only stops one that hangs.
TOOL_TIMEOUT_SECONDS = 4 * 3600
# A table in pg_restore --list: "216; 1259 16389 TABLE public response postgres" (its
# data is "TABLE DATA public response postgres", one word more).
TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?P<schema>\S+) (?P<name>\S+) \S+$")


class BackupProblem(Exception):
    """A backup or restore cannot be done; the message is one line for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Restored:
    """What a restore left: the schema revision of the backup, and the installed newest."""

    revision: str | None
    head: str | None
    known: bool  # whether the installed version has the backup's revision


def backup(settings: Settings, out: Path) -> int:
    """Write a backup of the configured database to ``out``; its size in bytes."""
    if out.exists():
        raise BackupProblem(f"{out} exists; a backup is never written over a file")
    if not out.parent.is_dir():
        raise BackupProblem(f"cannot write {out}: no folder {out.parent}")
    partial = out.with_name(f".{out.name}.partial")
    _owner_only_file(partial)
    try:
        if settings.is_sqlite:
            _sqlite_backup(_sqlite_file(settings), partial, settings.db_busy_timeout_ms)
        else:
            _postgres_backup(settings, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out.stat().st_size


def restore(settings: Settings, source: Path, force: bool = False) -> Restored:
    """Restore a backup into the configured database, which must be empty unless ``force``."""
    try:
        with source.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupProblem(f"cannot read {source}: {exc.strerror}") from None
    if settings.is_sqlite:
        if not header.startswith(SQLITE_HEADER):
            raise BackupProblem(f"{source} is not a SQLite backup; {_kind_hint(header)}")
        revision = _sqlite_restore(source, _sqlite_file(settings), settings, force)
    else:
        if not header.startswith(PG_DUMP_HEADER):
            raise BackupProblem(f"{source} is not a pg_dump -Fc backup; {_kind_hint(header)}")
        revision = _postgres_restore(settings, source, force)
    return Restored(revision, head_revision(), _known(revision))


def _known(revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _kind_hint(header: bytes) -> str:
    if header.startswith(SQLITE_HEADER):
        return "it is a SQLite backup, and the configured database is PostgreSQL"
    if header.startswith(PG_DUMP_HEADER):
        return "it is a PostgreSQL backup, and the configured database is SQLite"
    return "make backups with `microcasa db backup`"


def _owner_only_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise BackupProblem(f"cannot write {path}: {exc.strerror}") from None


# SQLite


def _sqlite_file(settings: Settings) -> Path:
    path = settings.sqlite_path
    if path is None:
        raise BackupProblem("an in-memory SQLite database has nothing to back up or restore")
    return path


def _sqlite_backup(path: Path, out: Path, busy_timeout_ms: int) -> None:
    if not path.is_file():
        raise BackupProblem(f"no database at {path}")
    try:
        with (
            closing(sqlite3.connect(path, timeout=busy_timeout_ms / 1000)) as source,
            closing(sqlite3.connect(out)) as copy,
        ):
            # One step: the copy is one read transaction, which writers do not wait for.
            source.backup(copy)
            # The copy stands alone: one file, no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupProblem(f"cannot back up {path}: {exc}") from None


def _sqlite_tables(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(name) for (name,) in rows}


def _sqlite_restore(source: Path, target: Path, settings: Settings, force: bool) -> str | None:
    if target.exists() and target.resolve() == source.resolve():
        raise BackupProblem(f"{source} is the configured database itself")
    if not target.resolve().parent.is_dir():
        raise BackupProblem(f"the folder for the SQLite file {target} does not exist")
    try:
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup:
            if backup.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupProblem(f"{source} is damaged (SQLite quick_check failed)")
            if "alembic_version" not in _sqlite_tables(backup):
                raise BackupProblem(f"{source} is not a backup of this platform's database")
            if not target.exists():
                _owner_only_file(target)
            with closing(
                sqlite3.connect(target, timeout=settings.db_busy_timeout_ms / 1000)
            ) as database:
                tables = _sqlite_tables(database)
                if tables and not force:
                    raise BackupProblem(_not_empty(str(target), len(tables)))
                backup.backup(database)
                database.execute("PRAGMA journal_mode=WAL")
                row = database.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise BackupProblem(f"cannot restore {source} into {target}: {exc}") from None
    return None if row is None else str(row[0])


def _not_empty(target: str, tables: int) -> str:
    return (
        f"{target} already holds {tables} tables; restore into an empty database, "
        "or add --force to replace what it holds"
    )


# PostgreSQL


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupProblem(
            f"{name} is not installed (or not on PATH); install the PostgreSQL client tools"
        )
    return found


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq URI for the tools, and their environment: the password never on a command line."""
    url: URL = make_url(settings.database_url)
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    try:
        finished = subprocess.run(  # noqa: S603 - the operator's own client tools, no shell
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupProblem(f"{what} did not finish within {TOOL_TIMEOUT_SECONDS} s") from None
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line] or lines or ["no message"]
        raise BackupProblem(f"{what} failed: {errors[0].strip()}")
    return finished.stdout


def _schema(settings: Settings) -> tuple[str, bool]:
    """The platform's schema (the first of the search path) and whether it exists yet."""
    engine = create_engine(settings.database_url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT current_schema()")).scalar()
            if current is not None:
                return str(current), True
            path = str(connection.execute(text("SHOW search_path")).scalar() or "")
    except DBAPIError as exc:
        raise BackupProblem(describe_db_error(exc, settings)) from None
    finally:
        engine.dispose()
    named = [part.strip().strip('"') for part in path.split(",") if part.strip() != '"$user"']
    if not named or not named[0]:
        raise BackupProblem("the database's search_path names no schema to restore into")
    return named[0], False


def _postgres_backup(settings: Settings, out: Path) -> None:
    pg_dump = _tool("pg_dump")
    schema, exists = _schema(settings)
    if not exists:
        raise BackupProblem(f"the schema {schema} does not exist: nothing to back up")
    uri, env = _libpq(settings)
    # The quotes make the schema an exact name, not a pattern.
    command = [pg_dump, "--format=custom", f'--schema="{schema}"', f"--file={out}"]
    _run([*command, f"--dbname={uri}"], env, "pg_dump")


def _postgres_restore(settings: Settings, source: Path, force: bool) -> str | None:
    pg_restore = _tool("pg_restore")
    uri, env = _libpq(settings)
    listing = _run([pg_restore, "--list", str(source)], env, "pg_restore --list")
    tables = [match for line in listing.splitlines() if (match := TOC_TABLE.match(line))]
    schemas = {entry["schema"] for entry in tables}
    if "alembic_version" not in {entry["name"] for entry in tables} or len(schemas) != 1:
        raise BackupProblem(f"{source} is not a backup of this platform's database")
    (dumped,) = schemas
    schema, exists = _schema(settings)
    if dumped != schema:
        raise BackupProblem(
            f"{source} holds the schema {dumped}; the configured database uses {schema} "
            f"(restore into a database whose search_path starts with {dumped})"
        )
    _prepare_schema(settings, schema, exists, force)
    # The schema itself exists already: restore what is in it, not the schema.
    kept = [
        line
        for line in listing.splitlines()
        if not re.match(rf"^\d+; \d+ \d+ (COMMENT - )?SCHEMA - {re.escape(schema)} ", line)
    ]
    with tempfile.TemporaryDirectory() as folder:
        chosen = Path(folder) / "restore.list"
        chosen.write_text("\n".join(kept) + "\n", encoding="utf-8")
        command = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction"]
        _run([*command, f"--use-list={chosen}", f"--dbname={uri}", str(source)], env, "pg_restore")
    return _postgres_revision(settings)


def _prepare_schema(settings: Settings, schema: str, exists: bool, force: bool) -> None:
    engine = create_engine(settings.database_url, connect_args={"connect_timeout": 10})
    quoted = engine.dialect.identifier_preparer.quote_identifier(schema)
    try:
        with engine.begin() as connection:
            if exists:
                tables = inspect(connection).get_table_names(schema=schema)
                if tables and not force:
                    where = f"the schema {schema} of {settings.redacted_database_url()}"
                    raise BackupProblem(_not_empty(where, len(tables)))
                if tables:
                    connection.execute(text(f"DROP SCHEMA {quoted} CASCADE"))
                    exists = False
            if not exists:
                connection.execute(text(f"CREATE SCHEMA {quoted}"))
    except DBAPIError as exc:
        raise BackupProblem(describe_db_error(exc, settings)) from None
    finally:
        engine.dispose()


def _postgres_revision(settings: Settings) -> str | None:
    engine = create_engine(settings.database_url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise BackupProblem(describe_db_error(exc, settings)) from None
    finally:
        engine.dispose()
    return None if value is None else str(value)
