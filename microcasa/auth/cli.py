"""``microcasa users …``: accounts and API tokens from the command line.

Passwords are read from a hidden prompt, or from standard input when it is not
a terminal (one line), never from the command line where ``ps`` would show them.
"""

from __future__ import annotations

import sys

import click
from sqlmodel import Session

from microcasa.auth import service, tokens
from microcasa.auth.errors import AuthError, NotFound
from microcasa.auth.models import User
from microcasa.auth.roles import Role


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _user(session: Session, email: str) -> User:
    user = service.find_user(session, email)
    if user is None:
        raise NotFound(AuthError.USER_NOT_FOUND)
    return user


@click.group()
def users() -> None:
    """Staff accounts and API tokens."""


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--country", help="ISO 3166-1 alpha-2 code; required for coordinators.")
@click.option("--name", "display_name", default="", help="Display name (defaults to the email).")
def create(email: str, role: str, country: str | None, display_name: str) -> None:
    """Create an account; the password comes from a prompt or standard input."""
    from microcasa.cli import open_database

    password = _read_password()
    with open_database() as database, database.transaction() as session:
        user = service.create_user(
            session,
            email=email,
            password=password,
            role=role,
            country=country,
            display_name=display_name,
        )
        click.echo(
            f"created {user.role} {user.email}" + (f" ({user.country})" if user.country else "")
        )


@users.command("password")
@click.argument("email")
def password(email: str) -> None:
    """Set a new password (ends the account's sessions)."""
    from microcasa.cli import open_database

    new = _read_password()
    with open_database() as database, database.transaction() as session:
        user = _user(session, email)
        service.set_password(user, new)
        session.add(user)
        click.echo(f"new password set for {user.email}")


@users.command("list")
def list_users() -> None:
    """List every account."""
    from microcasa.cli import open_database

    with open_database() as database, database.session() as session:
        for user in service.list_users(session):
            state = "active" if user.is_active else "deactivated"
            click.echo(f"{user.email}\t{user.role}\t{user.country or '-'}\t{state}")


@users.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
def token(email: str, name: str) -> None:
    """Print a new API token for the account, once (only its hash is kept)."""
    from microcasa.cli import open_database

    with open_database() as database, database.transaction() as session:
        issued = tokens.create_token(session, _user(session, email), name)
        secret = issued.secret
    click.echo(secret)
