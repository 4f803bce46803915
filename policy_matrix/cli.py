"""``microcasa policy …``: the matrix workbook from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from microcasa.auth.roles import Role

IMPORTERS = (Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR)


@click.group()
def policy() -> None:
    """Policy matrix: export and import the workbook."""


@policy.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def export(file: Path) -> None:
    """Write the matrix as a workbook: Matrix, Evidence, Dimensions and History sheets."""
    from microcasa.cli import open_database
    from policy_matrix.workbook import export_workbook

    with open_database() as database, database.session() as session:
        content = export_workbook(session)
    try:
        file.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror}") from None
    click.echo(f"wrote {file}")


@policy.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--reason", required=True, help="Why the cells change (kept in their history).")
@click.option(
    "--as",
    "email",
    required=True,
    metavar="EMAIL",
    help="The admin, researcher or coordinator account the changes are made as.",
)
@click.option("--dry-run", is_flag=True, help="Check and list the changes; write nothing.")
def import_workbook(file: Path, reason: str, email: str, dry_run: bool) -> None:
    """Check a matrix workbook, list the cells it changes, and apply them as one change set."""
    from microcasa.auth.service import find_user
    from microcasa.cli import open_database
    from policy_matrix.service import Actor
    from policy_matrix.workbook_errors import WorkbookInvalid
    from policy_matrix.workbook_import import read_workbook
    from policy_matrix.workbook_plan import apply_plan

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from None
    with open_database() as database:
        database.ping()
        with database.session() as session:
            user = find_user(session, email)
        if user is None or not user.is_active or Role(user.role) not in IMPORTERS:
            raise click.ClickException(
                f"{email} is not an active admin, researcher or coordinator account"
            )
        actor = Actor(user.id, user.email, Role(user.role), user.country)
        with database.session(write=not dry_run) as session:
            try:
                plan = read_workbook(session, data, actor)
            except WorkbookInvalid as exc:
                for issue in exc.issues:
                    click.echo(str(issue), err=True)
                click.echo(
                    f"{file.name}: {len(exc.issues)} error(s); nothing was imported.", err=True
                )
                sys.exit(1)
            for change in plan.changes:
                for difference in change.differences:
                    click.echo(
                        f"{change.jurisdiction} {change.dimension} {difference.part}: "
                        f"{_shown(difference.old)} → {_shown(difference.new)}"
                    )
            count = len(plan.changes)
            cells = f"{count} cell{'' if count == 1 else 's'}"
            if not count:
                click.echo("The workbook matches the matrix: nothing to change.")
                return
            if dry_run:
                click.echo(f"dry run: {cells} would change; nothing was written.")
                return
            written = apply_plan(session, actor, plan, reason)
            session.commit()
            click.echo(f"{len(written)} cell{'' if len(written) == 1 else 's'} changed.")


def _shown(text: str) -> str:
    """One line per change: line breaks within a value shown as ⏎."""
    return text.replace("\r\n", "\n").replace("\n", " ⏎ ") if text else "(empty)"
