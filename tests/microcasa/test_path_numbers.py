"""Numbers in addresses larger than any stored id: 404, never a 500, on every route.

The routes come from the app's route table, so a new route with a number in its
address cannot escape. PostgreSQL ids are 32-bit (larger → "out of range") and
SQLite's 64-bit (larger → the driver overflows): both must read as "no such thing".
"""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from microcasa.auth.sessions import SESSION_COOKIE
from microcasa.db import Database
from microcasa.platform import Platform
from survey.demo import publish_bundled_form
from tests.conftest import add_user
from tests.microcasa.test_roles import SAMPLE

HUGE = (2**31, 2**63, 10**30)


def numbered_routes(app: Litestar) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and re.search(r"\{\w+:int\}", route.path):
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path))
    return found


@pytest.mark.parametrize("number", HUGE)
def test_a_huge_number_in_an_address_names_nothing(
    app: Litestar, database: Database, number: int
) -> None:
    with database.transaction() as session:
        publish_bundled_form(session)
    admin = add_user(database, "admin@uni.example", role="admin")
    platform: Platform = app.state.platform
    routes = numbered_routes(app)
    assert routes, "the app has routes with numbers in their addresses"
    answers = {}
    with TestClient(app) as client:
        client.get("/login")
        client.cookies.set(
            SESSION_COOKIE, platform.sessions.start(admin), domain="testserver.local"
        )
        for method, path in routes:
            url = re.sub(r"\{(\w+):int\}", str(number), path)
            url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE[m.group(1)], url)
            response = client.request(
                method,
                url,
                headers={"x-csrftoken": client.cookies.get("mc_csrf") or ""},
                data={"reason": "test"},
                follow_redirects=False,
            )
            answers[(method, url)] = response.status_code
    assert {key: status for key, status in answers.items() if status >= 500} == {}
    assert all(status in (400, 404, 422) for status in answers.values()), answers
