"""The demo: an admin account now; each area adds its demo data here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import click

from microcasa.auth import service
from microcasa.db import Database

DEMO_ADMIN_EMAIL = "admin@example.org"


@dataclass(frozen=True)
class DemoResult:
    admin_email: str
    admin_password: str | None  # None when the account existed already


def load_demo(database: Database) -> DemoResult:
    """Create what the demo needs, leaving whatever exists alone (idempotent)."""
    with database.transaction() as session:
        if service.find_user(session, DEMO_ADMIN_EMAIL) is not None:
            return DemoResult(DEMO_ADMIN_EMAIL, None)
        password = secrets.token_urlsafe(15)
        service.create_user(
            session,
            email=DEMO_ADMIN_EMAIL,
            password=password,
            role="admin",
            display_name="Demo admin",
        )
    return DemoResult(DEMO_ADMIN_EMAIL, password)


def print_demo_result(result: DemoResult) -> None:
    if result.admin_password is None:
        click.echo(
            f"demo admin: {result.admin_email} (exists; its password was printed when it was "
            f"created; set a new one with `microcasa users password {result.admin_email}`)"
        )
    else:
        click.echo(f"demo admin: {result.admin_email}  password: {result.admin_password}")
        click.echo("this password is shown once; keep it")
