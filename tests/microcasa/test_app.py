"""The web shell: headers, error pages, health, OpenAPI, static files, escaping."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from microcasa.app import create_app
from microcasa.db import Database
from tests.conftest import add_user, login, make_settings, post_form

Client = TestClient[Litestar]


def test_security_headers_on_pages_and_api(client: Client) -> None:
    for path in ("/", "/login", "/api/me", "/healthz", "/no-such-page"):
        headers = client.get(path, follow_redirects=False).headers
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_base_layout_is_accessible(client: Client) -> None:
    page = client.get("/").text
    assert '<html lang="en">' in page
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main"' in page
    assert "<header" in page and "<nav" in page and "<footer" in page
    assert 'href="/static/css/microcasa.css"' in page
    assert "http://" not in page.split("<body>")[0] and "https://" not in page.split("<body>")[0]


def test_stylesheet_is_served_from_the_package(client: Client) -> None:
    response = client.get("/static/css/microcasa.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert "--accent" in response.text


def test_unknown_page_is_an_html_page_and_unknown_api_path_is_a_problem(client: Client) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["status"] == 404


def test_staff_page_sends_anonymous_people_to_sign_in(client: Client) -> None:
    response = client.get("/admin/users?sort=email", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fusers%3Fsort%3Demail"


def test_wrong_role_gets_a_403_page(client: Client, database: Database) -> None:
    add_user(database, "org@uni.example", role="organiser")
    login(client, "org@uni.example")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Your role does not allow this." in response.text


def test_health_reports_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_unreachable_database_gives_503_not_a_traceback() -> None:
    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "unreachable"
        assert health.headers["retry-after"]
        api = client.get("/api/me", headers={"Authorization": "Bearer mcat_x"})
        assert api.status_code == 503
        assert api.headers["content-type"].startswith("application/problem+json")
        assert "database cannot be reached" in api.json()["detail"]
        client.cookies.set("mc_session", "abc")
        page = client.get("/dashboard")
        assert page.status_code == 503
        assert "Traceback" not in page.text
        assert "database cannot be reached" in page.text


def test_openapi_document_lists_the_json_api_only(client: Client) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = set(document["paths"])
    assert {"/api/me", "/api/users", "/healthz"} <= paths
    assert not any(path.startswith(("/admin", "/login", "/account")) for path in paths)
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert client.get("/schema").json()["openapi"].startswith("3.")


def test_user_text_is_escaped_on_every_page(client: Client, database: Database) -> None:
    add_user(database, "admin@uni.example", role="admin")
    login(client, "admin@uni.example")
    payload = '<script>alert("x")</script>{{7*7}}'
    created = post_form(
        client,
        "/admin/users",
        {
            "email": "payload@uni.example",
            "display_name": payload,
            "role": "researcher",
            "password": "correct horse battery staple",
        },
    )
    assert created.status_code == 303
    listing = client.get("/admin/users").text
    assert "<script>alert" not in listing
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;{{7*7}}" in listing
    assert "<td>49<" not in listing and "}}49" not in listing


def test_oversized_body_is_refused(database_url: str, database: Database) -> None:
    app = create_app(make_settings(database_url, upload_max_bytes=2048))
    with TestClient(app) as client:
        client.get("/login")
        response = client.post(
            "/login",
            content=b"email=" + b"a" * 200_000,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-csrftoken": client.cookies.get("mc_csrf") or "",
            },
        )
    assert response.status_code == 413


def test_the_server_starts_without_loading_the_analysis_libraries() -> None:
    """pandas and scipy load with the first analysis page or export, not at start-up."""
    import subprocess
    import sys

    code = "import sys, microcasa.app; print(sorted({'pandas', 'scipy'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
