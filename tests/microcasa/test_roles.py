"""Every route × every role, from the app's route table, against docs/roles.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from microcasa.auth.guards import ensure_country_scope
from microcasa.auth.roles import Role
from microcasa.auth.service import Identity
from microcasa.auth.sessions import SESSION_COOKIE
from microcasa.db import Database
from microcasa.platform import Platform
from survey.demo import publish_bundled_form
from tests.conftest import add_user

ROLES_DOC = Path(__file__).parents[2] / "docs" / "roles.md"
WHO = ("anonymous", "admin", "researcher", "coordinator", "organiser")
# Concrete values for path parameters, so that each route can be called.
SAMPLE = {
    "token_id": "1",
    "user_id": "1",
    "file_path": "css/microcasa.css",
    "path": "nothing-here",
    "form_id": "microcasa_hei",
    "version": "2026112810",
    "invitation_id": "1",
    "response_id": "1",
    "page": "intro",
    "token": "not-a-token",
    "code": "ID",
    "dimension": "PM07",
    "question": "b1",
    "job_id": "x" * 24,
}


def documented_rules() -> dict[tuple[str, str], dict[str, bool]]:
    rules: dict[tuple[str, str], dict[str, bool]] = {}
    for line in ROLES_DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(WHO) and cells[0] in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
            path = cells[1].strip("`")
            rules[(cells[0], path)] = {
                who: mark == "✓" for who, mark in zip(WHO, cells[2:], strict=True)
            }
    return rules


def app_routes(app: Litestar) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            found.append((method, path))
    return found


def test_every_route_is_documented_and_every_documented_route_exists(app: Litestar) -> None:
    documented = set(documented_rules())
    actual = set(app_routes(app))
    assert actual - documented == set(), "routes missing from docs/roles.md"
    assert documented - actual == set(), "docs/roles.md lists routes the app does not have"


def test_every_route_declares_who_may_use_it(app: Litestar) -> None:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _kwargs) in route.route_handler_map.items():
                if method != "OPTIONS":
                    assert "allow" in handler.opt, f"{method} {route.path} declares no access rule"


def _request(client: TestClient[Litestar], method: str, path: str):  # type: ignore[no-untyped-def]
    url = path.format(**SAMPLE)
    csrf = client.cookies.get("mc_csrf") or ""
    return client.request(
        method,
        url,
        headers={"x-csrftoken": csrf, "accept": "text/html"},
        follow_redirects=False,
    )


def _refused(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403):
        return True
    return response.status_code in (302, 303) and response.headers["location"].startswith("/login?")


def test_role_by_route_matches_the_documented_table(app: Litestar, database: Database) -> None:
    platform: Platform = app.state.platform
    with database.transaction() as session:
        publish_bundled_form(session)  # so that routes naming a questionnaire find one
    users = {
        "admin": add_user(database, "admin@uni.example", role="admin"),
        "researcher": add_user(database, "researcher@uni.example", role="researcher"),
        "coordinator": add_user(
            database, "coordinator@uni.example", role="coordinator", country="ID"
        ),
        "organiser": add_user(database, "organiser@uni.example", role="organiser"),
    }
    rules = documented_rules()
    mismatches = []
    with TestClient(app) as client:
        client.get("/login")  # a CSRF cookie, as any browser has
        for method, path in app_routes(app):
            for who in WHO:
                client.cookies.delete(SESSION_COOKIE)
                if who != "anonymous":
                    session_id = platform.sessions.start(users[who])
                    client.cookies.set(SESSION_COOKIE, session_id, domain="testserver.local")
                response = _request(client, method, path)
                assert response.status_code < 500, (method, path, who, response.text[:300])
                allowed = not _refused(response)
                if allowed != rules[(method, path)][who]:
                    mismatches.append(f"{method} {path} as {who}: got {response.status_code}")
    assert mismatches == []


def _identity(role: Role, country: str | None) -> Identity:
    return Identity(1, "x@uni.example", "X", role, country, "session")


def test_country_scope_confines_coordinators_to_their_country() -> None:
    ensure_country_scope(_identity(Role.COORDINATOR, "MY"), "MY")
    ensure_country_scope(_identity(Role.COORDINATOR, "MY"), "my")
    with pytest.raises(Exception, match=r"only work on their own country \(MY\)") as error:
        ensure_country_scope(_identity(Role.COORDINATOR, "MY"), "ID")
    assert getattr(error.value, "status_code", None) == 403
    for role in (Role.ADMIN, Role.RESEARCHER):
        ensure_country_scope(_identity(role, None), "ID")
