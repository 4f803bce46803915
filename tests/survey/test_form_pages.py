"""Researchers upload, check, publish, preview, open and close questionnaires in the browser."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from microcasa.db import Database
from survey.demo import BUNDLED_FORM
from survey.models import FormVersion
from tests.conftest import add_user, csrf_token, login, post_form

Client = TestClient[Litestar]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BROKEN = """
## survey
| type | name | label |
| --- | --- | --- |
| text | q1 | One |
| begin repeat | r | Repeat |
| select_one nolist | q2 | Two |
"""


def _upload(client: Client, name: str, content: bytes, action: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/forms/upload",
        files={"file": (name, content, XLSX)},
        data={"action": action, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


def _researcher(client: Client, database: Database) -> None:
    add_user(database, "res@uni.example", role="researcher")
    login(client, "res@uni.example")


def test_check_shows_an_outline_and_stores_nothing(client: Client, database: Database) -> None:
    _researcher(client, database)
    response = _upload(client, "microcasa_hei.xlsx", BUNDLED_FORM.read_bytes(), "check")
    assert response.status_code == 200
    assert "is a valid questionnaire" in response.text
    assert "page 2: A. Institutional profile [a_profile]" in response.text
    with database.session() as session:
        assert session.exec(select(FormVersion)).all() == []


def test_check_lists_every_error_with_sheet_row_and_column(
    client: Client, database: Database
) -> None:
    _researcher(client, database)
    response = _upload(client, "broken.md", BROKEN.encode(), "check")
    assert response.status_code == 422
    assert "cannot be used yet" in response.text
    assert "“begin repeat” is not supported" in response.text
    assert "the choice list “nolist”" in response.text
    assert "<td>survey</td>" in response.text and "<td>3</td>" in response.text


def test_publish_preview_open_and_close(client: Client, database: Database) -> None:
    _researcher(client, database)
    published = _upload(client, "microcasa_hei.xlsx", BUNDLED_FORM.read_bytes(), "publish")
    assert published.status_code == 303
    location = published.headers["location"]
    assert location == "/forms/microcasa_hei/2026112810"
    page = client.get(location)
    assert "draft" in page.text and "Open for responses" in page.text
    with database.session() as session:
        stored = session.exec(select(FormVersion)).one()
        assert stored.publisher == "res@uni.example"

    preview = client.get(location + "/preview?lang=ms&page=3")
    assert preview.status_code == 200
    assert 'lang="ms"' in preview.text
    assert "Page 3 of 10" in preview.text
    assert "Kesedaran" in preview.text
    assert 'class="likert"' in preview.text  # the B2 grid
    assert " disabled" in preview.text
    design = client.get(location + "/preview?lang=de&page=5")
    assert "page shown if" in design.text  # staff see the skip logic

    opened = post_form(client, location + "/status", {"status": "open"})
    assert opened.status_code == 303
    assert "now open" in client.get(location).text
    post_form(client, location + "/status", {"status": "closed"})
    assert client.get("/api/forms/microcasa_hei").json()["versions"][0]["status"] == "closed"


def test_changed_file_with_same_version_is_refused_with_409(
    client: Client, database: Database
) -> None:
    _researcher(client, database)
    form = BROKEN.replace("| begin repeat | r | Repeat |\n", "").replace(
        "| select_one nolist | q2 | Two |", "| integer | q2 | Two |"
    )
    form += "\n## settings\n| form_id | version |\n| --- | --- |\n| short | 5 |\n"
    assert _upload(client, "short.md", form.encode(), "publish").status_code == 303
    changed = form.replace("| Two |", "| Two, revised |")
    refused = _upload(client, "short.md", changed.encode(), "publish")
    assert refused.status_code == 409
    assert "raise the version" in refused.text


def test_source_download_is_an_attachment(client: Client, database: Database) -> None:
    _researcher(client, database)
    _upload(client, "microcasa_hei.xlsx", BUNDLED_FORM.read_bytes(), "publish")
    response = client.get("/forms/microcasa_hei/2026112810/source")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="microcasa_hei-2026112810.xlsx"'
    )
    assert response.content == BUNDLED_FORM.read_bytes()


def test_upload_without_a_file_is_a_clear_error(client: Client, database: Database) -> None:
    _researcher(client, database)
    response = client.post(
        "/forms/upload",
        data={"action": "check", "_csrf_token": csrf_token(client)},
        files={"other": ("x.txt", b"x", "text/plain")},
    )
    assert response.status_code == 422
    assert "Choose an .xlsx file" in response.text


def test_unknown_questionnaire_and_version_are_404(client: Client, database: Database) -> None:
    _researcher(client, database)
    assert client.get("/forms/nope").status_code == 404
    assert client.get("/api/forms/nope").json()["status"] == 404
    _upload(client, "microcasa_hei.xlsx", BUNDLED_FORM.read_bytes(), "publish")
    assert client.get("/forms/microcasa_hei/1999").status_code == 404


def test_labels_from_a_form_are_escaped(client: Client, database: Database) -> None:
    _researcher(client, database)
    form = (
        "## survey\n| type | name | label |\n| --- | --- | --- |\n"
        "| text | q1 | <img src=x onerror=alert(1)> |\n"
        "## settings\n| form_id | version |\n| --- | --- |\n| xss | 1 |\n"
    )
    _upload(client, "xss.md", form.encode(), "publish")
    preview = client.get("/forms/xss/1/preview")
    assert "<img src=x" not in preview.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in preview.text
