"""Signing in and out through the pages, as a browser does."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update

from microcasa.auth.sessions import SESSION_COOKIE
from microcasa.db import Database, utcnow
from microcasa.state import StateEntry
from tests.conftest import PASSWORD, Browser, add_user, csrf_token, login, make_settings, post_form

Client = TestClient[Litestar]


def test_login_page_renders_a_form_with_a_csrf_field(client: Client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="_csrf_token"' in page.text
    assert client.cookies.get("mc_csrf") in page.text


def test_post_without_csrf_token_is_refused(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    client.get("/login")
    response = client.post(
        "/login", data={"email": "ana@uni.example", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


def test_post_with_a_foreign_csrf_token_is_refused(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    client.get("/login")
    with Browser(client) as other:
        other.get("/login")
        foreign = other.cookies.get("mc_csrf")
    response = client.post(
        "/login",
        data={
            "email": "ana@uni.example",
            "password": PASSWORD,
            "_csrf_token": foreign[:-4] + "abcd",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_login_sets_a_hardened_session_cookie_and_opens_the_dashboard(
    client: Client, database: Database
) -> None:
    add_user(database, "ana@uni.example")
    response = login(client, "ana@uni.example")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # not configured for this test server
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "ana@uni.example" in dashboard.text


def test_secure_cookies_when_configured(database_url: str, database: Database) -> None:
    from microcasa.app import create_app

    add_user(database, "ana@uni.example")
    app = create_app(make_settings(database_url, cookie_secure=True))
    with TestClient(app, base_url="https://testserver.local") as client:
        response = login(client, "ana@uni.example")
        cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith(SESSION_COOKIE) and "Secure" in c for c in cookies)


def test_session_id_rotates_at_login(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    add_user(database, "ben@uni.example")
    login(client, "ana@uni.example")
    first = client.cookies.get(SESSION_COOKIE)
    # Signing in again in the same browser (e.g. as someone else) issues a new id
    # and the old id stops working: a planted id is useless.
    login(client, "ben@uni.example")
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    with Browser(client) as attacker:
        attacker.cookies.set(SESSION_COOKIE, first)
        replay = attacker.get("/dashboard", follow_redirects=False)
    assert replay.status_code == 302
    assert replay.headers["location"].startswith("/login")


def test_fixated_session_id_is_not_adopted(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-id", domain="testserver.local")
    login(client, "ana@uni.example")
    assert client.cookies.get(SESSION_COOKIE) != "attacker-chosen-id"


def test_logout_ends_the_session_and_a_replay_is_refused(
    client: Client, database: Database
) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    stolen = client.cookies.get(SESSION_COOKIE)
    response = post_form(client, "/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    with Browser(client) as replayer:
        replayer.cookies.set(SESSION_COOKIE, stolen)
        assert replayer.get("/dashboard", follow_redirects=False).status_code == 302
        assert replayer.get("/api/me").status_code == 401


def test_logout_shows_a_flash_message_once(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    post_form(client, "/logout", {})
    first = client.get("/login")
    assert "You are signed out." in first.text
    second = client.get("/login")
    assert "You are signed out." not in second.text


def test_idle_session_expires(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    with database.transaction() as session:
        session.execute(update(StateEntry).values(expires_at=utcnow() - timedelta(seconds=1)))  # type: ignore[arg-type]
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=%2Fdashboard"


def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: Client, database: Database
) -> None:
    add_user(database, "ana@uni.example")
    wrong = login(client, "ana@uni.example", "not the right password")
    unknown = login(client, "nobody@uni.example", "not the right password")
    assert wrong.status_code == unknown.status_code == 422
    assert "The email address or password is not right." in wrong.text
    strip = lambda html: html.replace("ana@uni.example", "").replace("nobody@uni.example", "")  # noqa: E731
    assert strip(wrong.text) == strip(unknown.text)


def test_login_is_rate_limited_with_retry_after(database_url: str, database: Database) -> None:
    from microcasa.app import create_app

    add_user(database, "ana@uni.example")
    app = create_app(make_settings(database_url, login_attempts_per_account=3))
    with TestClient(app) as client:
        statuses = [
            login(client, "ana@uni.example", "guess number one").status_code for _ in range(3)
        ]
        limited = login(client, "ana@uni.example", PASSWORD)
    assert statuses == [422, 422, 422]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many sign-in attempts" in limited.text


def test_next_parameter_only_leads_to_local_pages(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    for target, expected in [
        ("/account", "/account"),
        ("//evil.example/x", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ]:
        response = post_form(
            client, "/login", {"email": "ana@uni.example", "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == expected


def test_password_change_ends_other_sessions(client: Client, database: Database) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    laptop = Browser(client)
    with laptop as other:
        login(other, "ana@uni.example")
        assert other.get("/dashboard", follow_redirects=False).status_code == 200
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a new and longer passphrase",
            "confirm_password": "a new and longer passphrase",
        },
    )
    assert response.status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    with laptop as other:
        assert other.get("/dashboard", follow_redirects=False).status_code == 302
    assert login(client, "ana@uni.example", "a new and longer passphrase").status_code == 303


def test_password_change_with_wrong_current_password_changes_nothing(
    client: Client, database: Database
) -> None:
    add_user(database, "ana@uni.example")
    login(client, "ana@uni.example")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "not my password",
            "new_password": "a new and longer passphrase",
            "confirm_password": "a new and longer passphrase",
        },
    )
    assert response.status_code == 422
    assert "The current password is not right." in response.text
    assert login(client, "ana@uni.example", PASSWORD).status_code == 303


def test_csrf_token_is_bound_to_the_browser(client: Client) -> None:
    token = csrf_token(client)
    assert len(token) > 32
