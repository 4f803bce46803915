"""Admins list, create, deactivate and reactivate accounts and reset passwords."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from microcasa.auth import service
from microcasa.db import Database
from tests.conftest import PASSWORD, Browser, add_user, login, post_form

Client = TestClient[Litestar]
NEW = {
    "email": "Siti.Rahman@USM.example",
    "display_name": "Siti Rahman",
    "role": "coordinator",
    "country": "my",
    "password": "kuala lumpur in the rain",
}


def _admin(client: Client, database: Database) -> None:
    add_user(database, "admin@uni.example", role="admin")
    login(client, "admin@uni.example")


def test_admin_creates_a_coordinator(client: Client, database: Database) -> None:
    _admin(client, database)
    response = post_form(client, "/admin/users", NEW)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Account siti.rahman@usm.example created." in page.text
    assert "coordinator (MY)" in page.text
    listing = client.get("/admin/users").text
    assert "siti.rahman@usm.example" in listing
    with Browser(client) as siti:
        assert login(siti, "siti.rahman@usm.example", NEW["password"]).status_code == 303


def test_bad_form_shows_the_field_error_keeps_input_and_stores_nothing(
    client: Client, database: Database
) -> None:
    _admin(client, database)
    response = post_form(client, "/admin/users", {**NEW, "country": "XX"})
    assert response.status_code == 422
    assert "“XX” is not a two-letter ISO 3166-1 country code." in response.text
    assert 'value="Siti Rahman"' in response.text
    assert NEW["password"] not in response.text
    with database.session() as session:
        assert service.find_user(session, NEW["email"]) is None


def test_duplicate_email_is_a_clear_error(client: Client, database: Database) -> None:
    _admin(client, database)
    post_form(client, "/admin/users", NEW)
    again = post_form(client, "/admin/users", {**NEW, "email": "siti.rahman@usm.example"})
    assert again.status_code == 422
    assert "exists already" in again.text


def test_deactivation_ends_sessions_and_reactivation_restores_sign_in(
    client: Client, database: Database
) -> None:
    _admin(client, database)
    user = add_user(database, "ana@uni.example")
    other = Browser(client)
    with other as ana:
        login(ana, "ana@uni.example")
        assert ana.get("/dashboard", follow_redirects=False).status_code == 200
    response = post_form(client, f"/admin/users/{user.id}/active", {"active": "0"})
    assert response.status_code == 303
    assert "deactivated" in client.get(response.headers["location"]).text
    with other as ana:
        assert ana.get("/dashboard", follow_redirects=False).status_code == 302
        assert login(ana, "ana@uni.example").status_code == 422
    post_form(client, f"/admin/users/{user.id}/active", {"active": "1"})
    with other as ana:
        assert login(ana, "ana@uni.example").status_code == 303


def test_admin_cannot_deactivate_the_last_admin(client: Client, database: Database) -> None:
    _admin(client, database)
    with database.session() as session:
        admin = service.find_user(session, "admin@uni.example")
    assert admin is not None
    response = post_form(client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert "last active admin" in client.get(response.headers["location"]).text
    assert client.get("/dashboard", follow_redirects=False).status_code == 200


def test_password_reset_by_admin(client: Client, database: Database) -> None:
    _admin(client, database)
    user = add_user(database, "ana@uni.example")
    weak = post_form(client, f"/admin/users/{user.id}/password", {"password": "password1234"})
    assert weak.status_code == 422
    assert "too common" in weak.text
    done = post_form(client, f"/admin/users/{user.id}/password", {"password": "a fresh passphrase"})
    assert done.status_code == 303
    with Browser(client) as ana:
        assert login(ana, "ana@uni.example", PASSWORD).status_code == 422
        assert login(ana, "ana@uni.example", "a fresh passphrase").status_code == 303


def test_unknown_user_is_404(client: Client, database: Database) -> None:
    _admin(client, database)
    assert client.get("/admin/users/999").status_code == 404
    assert post_form(client, "/admin/users/999/active", {"active": "0"}).status_code == 404
