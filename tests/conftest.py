"""Fixtures shared by every test: a fresh migrated database per test, on SQLite or PostgreSQL.

Tests run on SQLite by default. With ``MICROCASA_TEST_DATABASE_URL`` set to a
PostgreSQL URL (``.ci/run`` does this for its second pass), every test gets its
own schema in that database instead, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from microcasa import schema
from microcasa.app import create_app
from microcasa.auth import service
from microcasa.auth.models import User
from microcasa.db import Database
from microcasa.settings import Settings, load_settings

PG_URL = os.environ.get("MICROCASA_TEST_DATABASE_URL", "")
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production"
PASSWORD = "correct horse battery staple"


def postgres_schema_url(base: str, schema_name: str) -> str:
    """The URL of one schema of a PostgreSQL database (its search_path)."""
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema_name}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of its own for this test."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'microcasa.db'}"
        return
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield postgres_schema_url(PG_URL, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "env": "test",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings)
    schema.upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


def add_user(
    database: Database,
    email: str,
    role: str = "researcher",
    country: str | None = None,
    password: str = PASSWORD,
) -> User:
    with database.transaction() as session:
        return service.create_user(
            session, email=email, password=password, role=role, country=country
        )


def csrf_token(client: TestClient[Litestar]) -> str:
    """The CSRF token of this browser, fetching the login page to get one if needed."""
    token = client.cookies.get("mc_csrf")
    if token is None:
        client.get("/login")
        token = client.cookies.get("mc_csrf")
    assert token, "the login page sets a CSRF cookie"
    return token


def post_form(client: TestClient[Litestar], path: str, data: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
    """Submit a form the way a browser does: with the CSRF token as a hidden field."""
    return client.post(
        path, data={**data, "_csrf_token": csrf_token(client)}, follow_redirects=False, **kwargs
    )


def login(client: TestClient[Litestar], email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post_form(client, "/login", {"email": email, "password": password})


class Browser:
    """Another browser on the same test client: its own cookie jar, swapped in with ``with``."""

    def __init__(self, client: TestClient[Litestar]) -> None:
        self.client = client
        self.jar = httpx.Cookies()

    def __enter__(self) -> TestClient[Litestar]:
        self.saved = self.client.cookies
        self.client.cookies = self.jar
        return self.client

    def __exit__(self, *_: object) -> None:
        self.jar = self.client.cookies
        self.client.cookies = self.saved


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for every browser test of the session."""
    from playwright.sync_api import sync_playwright

    from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_tools

    require_tools()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
