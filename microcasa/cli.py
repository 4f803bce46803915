"""The ``microcasa`` command: one entry point, a group per concern, each area adds its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from analysis import cli as analysis_cli
from exports import cli as exports_cli
from microcasa import schema
from microcasa.auth import cli as auth_cli
from microcasa.auth.errors import AccountError
from microcasa.db import Database, DatabaseUnavailable, describe_db_error
from microcasa.settings import Settings, SettingsError, load_settings
from policy_matrix import cli as policy_cli
from policy_matrix.errors import EntryInvalid, MatrixProblem
from survey import cli as survey_cli
from survey import privacy_cli
from survey.errors import SurveyProblem


class PlatformGroup(click.Group):
    """Turns the errors an operator can fix into one line on stderr, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            _fail(f"configuration: {exc}")
        except DatabaseUnavailable as exc:
            _fail(str(exc))
        except DBAPIError as exc:
            _fail(describe_db_error(exc, load_settings()))
        except (AccountError, SurveyProblem, MatrixProblem) as exc:
            _fail(exc.message)
        except EntryInvalid as exc:
            _fail(
                "; ".join(
                    f"{place}: {' '.join(messages)}" for place, messages in exc.errors.items()
                )
            )


def _fail(message: str) -> None:
    click.echo(f"microcasa: error: {message}", err=True)
    sys.exit(1)


@contextmanager
def open_database(settings: Settings | None = None) -> Iterator[Database]:
    """A Database for a CLI command, disposed of afterwards."""
    database = Database(settings or load_settings())
    try:
        yield database
    finally:
        database.dispose()


@click.group(cls=PlatformGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="microcasa")
def main() -> None:
    """microcasa: survey, policy matrix and comparative analysis of micro-credentials."""


@main.group()
def db() -> None:
    """Database migrations, backups and restores."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database schema (to the newest revision by default)."""
    with open_database() as database:
        database.ping()
        schema.upgrade(database, revision)
        click.echo(f"database at revision {schema.current_revision(database)}")


@db.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema by one revision, or to REVISION ("base" removes every table)."""
    with open_database() as database:
        database.ping()
        schema.downgrade(database, revision)
        click.echo(f"database at revision {schema.current_revision(database) or 'base'}")


@db.command("check")
def db_check() -> None:
    """Exit 1 unless the database is at the newest revision and matches the models."""
    with open_database() as database:
        database.ping()
        current, head = schema.current_revision(database), schema.head_revision()
        if current != head:
            behind = f"database at revision {current or 'base'}, newest is {head}"
            _fail(f"{behind}: run `microcasa db upgrade`")
        differences = schema.drift(database)
        if differences:
            listed = "; ".join(str(item) for item in differences[:10])
            _fail(f"models and migrations differ ({len(differences)}): {listed}")
        click.echo(f"database at revision {current}; models and migrations agree")


@db.command("backup")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def db_backup(out: Path) -> None:
    """Write a backup of the database to OUT while the platform runs (a new file)."""
    from microcasa.backup import BackupProblem, backup

    settings = load_settings()
    try:
        size = backup(settings, out)
    except BackupProblem as exc:
        _fail(exc.message)
    click.echo(f"backed up {settings.redacted_database_url()} to {out} ({size} bytes)")
    click.echo(
        "note: back up the secret key too, apart from this file: invitation links, resume "
        "codes and the pseudonymous ids in exports depend on it",
        err=True,
    )


@db.command("restore")
@click.argument("source", metavar="IN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace what the database holds.")
def db_restore(source: Path, force: bool) -> None:
    """Restore a backup made by `db backup` into the (empty) configured database."""
    from microcasa.backup import BackupProblem, restore

    settings = load_settings()
    try:
        restored = restore(settings, source, force=force)
    except BackupProblem as exc:
        _fail(exc.message)
    click.echo(
        f"restored {source} into {settings.redacted_database_url()}; "
        f"database at revision {restored.revision or 'base'}"
    )
    if not restored.known:
        click.echo("the backup comes from a newer version: install it before serving", err=True)
    elif restored.revision != restored.head:
        click.echo(f"the newest revision is {restored.head}: run `microcasa db upgrade`", err=True)


@main.command()
@click.option("--demo", is_flag=True, help="Load the demo data first and print the admin login.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(demo: bool, host: str, port: int, workers: int) -> None:
    """Upgrade the database, then serve the platform."""
    import uvicorn

    from microcasa.demo import load_demo, print_demo_result

    settings = load_settings()
    if workers > 1 and settings.is_sqlite:
        click.echo(
            "note: several workers share one SQLite file; PostgreSQL suits --workers better",
            err=True,
        )
    with open_database(settings) as database:
        database.ping()
        schema.upgrade(database)
        if demo:
            print_demo_result(load_demo(database))
    click.echo(
        f"serving microcasa at http://{host}:{port}/ (database {settings.redacted_database_url()})"
    )
    uvicorn.run(
        "microcasa.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
        server_header=False,
    )


@main.command()
def demo() -> None:
    """Load the demo data (idempotent) and print the admin login."""
    from microcasa.demo import load_demo, print_demo_result

    with open_database() as database:
        database.ping()
        schema.upgrade(database)
        print_demo_result(load_demo(database))


main.add_command(auth_cli.users)
main.add_command(survey_cli.form)
main.add_command(privacy_cli.fieldwork)
main.add_command(policy_cli.policy)
main.add_command(analysis_cli.analyze)
main.add_command(exports_cli.export)
