"""The demo: an admin account and each area's demo data."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import click

from analysis.synthetic import DEFAULT_SEED, load_synthetic
from microcasa.auth import service
from microcasa.db import Database
from policy_matrix.service import load_bundled
from survey.demo import publish_bundled_form

DEMO_ADMIN_EMAIL = "admin@example.org"
DEMO_RESPONSES = 600  # synthetic responses to the bundled questionnaire


@dataclass(frozen=True)
class DemoResult:
    admin_email: str
    admin_password: str | None  # None when the account existed already
    questionnaire: str  # title and version of the published questionnaire
    policy_cells: int = 0  # bundled matrix cells written now (0 when loaded before)
    synthetic_responses: int = 0  # synthetic responses stored now (0 when loaded before)


def load_demo(database: Database) -> DemoResult:
    """Create what the demo needs, leaving whatever exists alone (idempotent)."""
    with database.transaction() as session:
        version = publish_bundled_form(session)
        questionnaire = f"{version.title}, version {version.version} ({version.status})"
        cells = load_bundled(session).cells
        synthetic = load_synthetic(session, DEMO_RESPONSES, DEFAULT_SEED)
        if service.find_user(session, DEMO_ADMIN_EMAIL) is not None:
            return DemoResult(DEMO_ADMIN_EMAIL, None, questionnaire, cells, synthetic)
        password = secrets.token_urlsafe(15)
        service.create_user(
            session,
            email=DEMO_ADMIN_EMAIL,
            password=password,
            role="admin",
            display_name="Demo admin",
        )
    return DemoResult(DEMO_ADMIN_EMAIL, password, questionnaire, cells, synthetic)


def print_demo_result(result: DemoResult) -> None:
    click.echo(f"questionnaire: {result.questionnaire}")
    loaded = f"{result.policy_cells} cells loaded" if result.policy_cells else "already loaded"
    click.echo(f"policy matrix: six countries and two reference rows ({loaded})")
    if result.synthetic_responses:
        click.echo(f"synthetic responses: {result.synthetic_responses} loaded (labelled synthetic)")
    else:
        click.echo("synthetic responses: already loaded")
    if result.admin_password is None:
        click.echo(
            f"demo admin: {result.admin_email} (exists; its password was printed when it was "
            f"created; set a new one with `microcasa users password {result.admin_email}`)"
        )
    else:
        click.echo(f"demo admin: {result.admin_email}  password: {result.admin_password}")
        click.echo("this password is shown once; keep it")
