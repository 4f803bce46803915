"""API tokens: shown once, stored hashed, revocable, carrying the account's role."""

from __future__ import annotations

import hashlib
import re

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from microcasa.auth import service, tokens
from microcasa.auth.models import ApiToken, User
from microcasa.db import Database
from tests.conftest import add_user, login, post_form

Client = TestClient[Litestar]


def _issue(database: Database, email: str, name: str = "sync script") -> str:
    with database.transaction() as session:
        user = service.find_user(session, email)
        assert user is not None
        return tokens.create_token(session, user, name).secret


def test_token_is_stored_only_as_a_hash(database: Database) -> None:
    add_user(database, "ana@uni.example")
    secret = _issue(database, "ana@uni.example")
    with database.session() as session:
        stored = session.exec(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(stored.prefix)


def test_bearer_token_authenticates_the_api_with_the_users_role(
    client: Client, database: Database
) -> None:
    add_user(database, "koord@uni.example", role="coordinator", country="PH")
    secret = _issue(database, "koord@uni.example")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "koord@uni.example"
    assert body["role"] == "coordinator"
    assert body["country"] == "PH"
    assert "password_hash" not in body
    # The coordinator's token cannot do what only admins may.
    denied = client.get("/api/users", headers={"Authorization": f"Bearer {secret}"})
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")


def test_last_use_is_recorded(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    secret = _issue(database, "ana@uni.example")
    client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    with database.session() as session:
        assert session.exec(select(ApiToken)).one().last_used_at is not None


def test_revoked_unknown_and_inactive_tokens_get_401_problem(
    client: Client, database: Database
) -> None:
    add_user(database, "admin@uni.example", role="admin")
    user = add_user(database, "ana@uni.example")
    revoked = _issue(database, "ana@uni.example", "old")
    with database.transaction() as session:
        token = session.exec(select(ApiToken)).one()
        tokens.revoke_token(session, user.id, token.id)  # type: ignore[arg-type]
    inactive = _issue(database, "ana@uni.example", "new")
    with database.transaction() as session:
        service.set_active(session, session.get(User, user.id), False)  # type: ignore[arg-type]
    for header in (
        f"Bearer {revoked}",
        f"Bearer {inactive}",
        "Bearer mcat_not-a-real-token",
        "Bearer ",
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    ):
        response = client.get("/api/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        problem = response.json()
        assert problem["status"] == 401
        assert problem["detail"]


def test_bearer_requests_skip_csrf_but_cookies_do_not(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    secret = _issue(database, "ana@uni.example")
    # POST /logout with a bearer token: no CSRF token needed (no cookie to ride on).
    response = client.post(
        "/logout", headers={"Authorization": f"Bearer {secret}"}, follow_redirects=False
    )
    assert response.status_code == 303
    # The same POST with only a session cookie and no CSRF token is refused.
    login(client, "ana@uni.example")
    client.cookies.delete("mc_csrf")
    assert client.post("/logout", follow_redirects=False).status_code == 403


def test_tokens_page_shows_a_new_token_once_and_revokes(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    created = post_form(client, "/account/tokens", {"name": "nightly export"})
    assert created.status_code == 201
    secret = re.search(r'id="new-token">([^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page = client.get("/account")
    assert "nightly export" in page.text
    assert secret not in page.text
    with database.session() as session:
        token_id = session.exec(select(ApiToken)).one().id
    revoked = post_form(client, f"/account/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 303
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    add_user(database, "ben@uni.example")
    secret = _issue(database, "ben@uni.example")
    with database.session() as session:
        token_id = session.exec(select(ApiToken)).one().id
    login(client, "ana@uni.example")
    response = post_form(client, f"/account/tokens/{token_id}/revoke", {})
    assert response.status_code == 404
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_token_name_is_required(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    response = post_form(client, "/account/tokens", {"name": "   "})
    assert response.status_code == 422
    assert "Give the token a name" in response.text
    with database.session() as session:
        assert session.exec(select(ApiToken)).all() == []
